import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../test/support/errors.js";
import { canonicalTimestamp } from "./time.js";

describe("canonicalTimestamp", () => {
  it("spells one instant one way: UTC, nine fraction digits, so string order is instant order", () => {
    expect(canonicalTimestamp("2021-12-10T00:40:56Z", "t")).toBe("2021-12-10T00:40:56.000000000Z");
    expect(canonicalTimestamp("2021-12-10T01:40:56.5+01:00", "t")).toBe("2021-12-10T00:40:56.500000000Z");
    expect(canonicalTimestamp("2021-12-10 00:40:56.123456789z", "t")).toBe("2021-12-10T00:40:56.123456789Z");
    expect(canonicalTimestamp("2016-12-31T23:59:60Z", "t")).toBe("2017-01-01T00:00:00.000000000Z");
  });

  it("refuses what is not RFC 3339, or finer than nanoseconds, naming the field", () => {
    for (const text of ["2021-12-10", "2021-12-10T00:40:56", "yesterday", "2021-12-10T00:40:56.1234567891Z"]) {
      const e = thrownVouchError(() => canonicalTimestamp(text, "modified"));
      expect([text, e.code, e.message.startsWith("modified ")]).toEqual([text, "INPUT_MALFORMED", true]);
    }
  });
});
