import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { encodePem } from "../crypto/keys.js";
import { decodePemBlocks } from "./pem.js";

describe("decodePemBlocks", () => {
  it("reads every block with its label, in order", () => {
    const text = `${encodePem("CERTIFICATE", new Uint8Array([1, 2, 3]))}junk between\n${encodePem("PUBLIC KEY", new Uint8Array(100).fill(7))}`;
    const blocks = decodePemBlocks(text);
    expect(blocks.map((b) => b.label)).toEqual(["CERTIFICATE", "PUBLIC KEY"]);
    expect([...blocks[0]!.der]).toEqual([1, 2, 3]);
    expect(blocks[1]!.der).toEqual(new Uint8Array(100).fill(7));
  });

  it("ignores a block whose END label does not match its BEGIN", () => {
    expect(decodePemBlocks("-----BEGIN CERTIFICATE-----\nAQID\n-----END PUBLIC KEY-----\n")).toEqual([]);
  });

  it("refuses a body that is not base64 (corrupt input)", () => {
    expect(thrownVouchError(() => decodePemBlocks("-----BEGIN CERTIFICATE-----\nAQI\n-----END CERTIFICATE-----")).code).toBe("INPUT_MALFORMED");
  });
});
