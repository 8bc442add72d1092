import { describe, expect, it } from "vitest";
import { GENERATE_ALGORITHMS } from "../../public/keys.js";
import { GENERATE_ALGORITHMS_HELP } from "./key.js";

describe("vouch key generate --help", () => {
  it("names exactly the algorithms the library generates (spelt out so --help does not load node:crypto)", () => {
    expect(GENERATE_ALGORITHMS_HELP).toBe(GENERATE_ALGORITHMS.join(" or "));
  });
});
