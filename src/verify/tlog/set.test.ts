/** verifySignedEntryTimestamp with SETs signed here by a fresh ECDSA log key. */
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { TlogEntry, TransparencyLogInstance } from "../../bundle/types.js";
import type { VouchError } from "../../core/errors.js";
import { verifySignedEntryTimestamp } from "./set.js";

const pair = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const der = new Uint8Array(pair.publicKey.export({ type: "spki", format: "der" }));
const tlog: TransparencyLogInstance = {
  baseUrl: "https://rekor.example.dev",
  hashAlgorithm: "SHA2_256",
  publicKeyDer: der,
  keyDetails: "PKIX_ECDSA_P256_SHA_256",
  validFor: { start: new Date("2025-01-01T00:00:00Z"), end: new Date("2025-12-31T23:59:59Z") },
  logId: new Uint8Array(createHash("sha256").update(der).digest()),
};
const body = Buffer.from('{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{}}');

function signedEntry(payload: string): TlogEntry {
  return {
    logIndex: 123_456_789_012n,
    logId: tlog.logId,
    kind: "hashedrekord",
    kindVersion: "0.0.1",
    integratedTime: 1_750_000_000n,
    signedEntryTimestamp: new Uint8Array(sign("sha256", Buffer.from(payload), pair.privateKey)),
    canonicalizedBody: body,
  };
}
const canonical = (b64: string, it: string, logId: string, index: string): string =>
  `{"body":"${b64}","integratedTime":${it},"logID":"${logId}","logIndex":${index}}`;
const good = canonical(body.toString("base64"), "1750000000", Buffer.from(tlog.logId).toString("hex"), "123456789012");
const failure = (fn: () => unknown): { code: string; message: string } | undefined => {
  try {
    fn();
  } catch (e) {
    return { code: (e as VouchError).code, message: (e as Error).message };
  }
  return undefined;
};

describe("verifySignedEntryTimestamp", () => {
  it("verifies a signature over the canonical JSON of body, integrated time, log ID and index", () => {
    const result = verifySignedEntryTimestamp(signedEntry(good), [tlog]);
    expect(result.integratedTime.toISOString()).toBe("2025-06-15T15:06:40.000Z");
    expect(result.tlog).toBe(tlog);
  });

  it.each([
    ["keys out of order", `{"integratedTime":1750000000,"body":"${body.toString("base64")}","logID":"${Buffer.from(tlog.logId).toString("hex")}","logIndex":123456789012}`],
    ["whitespace", good.replace(",", ", ")],
    ["a quoted integer", good.replace(":1750000000", ':"1750000000"')],
    ["an uppercase hex log ID", good.replace(Buffer.from(tlog.logId).toString("hex"), Buffer.from(tlog.logId).toString("hex").toUpperCase())],
  ])("refuses a SET over a non-canonical payload (%s)", (_what, payload) => {
    expect(failure(() => verifySignedEntryTimestamp(signedEntry(payload), [tlog]))).toEqual({
      code: "VERIFY_TLOG_SET",
      message: "the signed entry timestamp does not verify with the key of https://rekor.example.dev",
    });
  });

  it("refuses a SET when any bound field changes", () => {
    const e = signedEntry(good);
    for (const changed of [
      { ...e, integratedTime: 1_750_000_001n },
      { ...e, logIndex: 123_456_789_013n },
      { ...e, canonicalizedBody: Buffer.from(body.toString().replace("0.0.1", "0.0.2")) },
    ]) {
      expect(failure(() => verifySignedEntryTimestamp(changed, [tlog]))?.code).toBe("VERIFY_TLOG_SET");
    }
  });

  it("refuses an entry without a SET or without an integrated time", () => {
    const e = signedEntry(good);
    expect(failure(() => verifySignedEntryTimestamp({ ...e, signedEntryTimestamp: undefined }, [tlog]))).toEqual({
      code: "VERIFY_TLOG_SET",
      message: "the entry has no signed entry timestamp",
    });
    expect(failure(() => verifySignedEntryTimestamp({ ...e, integratedTime: 0n }, [tlog]))).toEqual({
      code: "VERIFY_TLOG_SET",
      message: "the entry has no integrated time for its signed entry timestamp",
    });
    expect(failure(() => verifySignedEntryTimestamp({ ...e, logIndex: -1n }, [tlog]))).toEqual({
      code: "VERIFY_TLOG_SET",
      message: "log index -1 is negative",
    });
  });

  it("refuses a SET by a key outside its validity window, or by a log the root does not know", () => {
    const e = signedEntry(good);
    const expired = { ...tlog, validFor: { start: tlog.validFor.start, end: new Date("2025-06-15T15:06:39Z") } };
    expect(failure(() => verifySignedEntryTimestamp(e, [expired]))?.message).toBe(
      "the log key was not trusted at 2025-06-15T15:06:40.000Z: https://rekor.example.dev is trusted from 2025-01-01T00:00:00.000Z to 2025-06-15T15:06:39.000Z",
    );
    const atEnd = { ...tlog, validFor: { start: tlog.validFor.start, end: new Date("2025-06-15T15:06:40Z") } };
    expect(() => verifySignedEntryTimestamp(e, [atEnd])).not.toThrow();
    expect(failure(() => verifySignedEntryTimestamp({ ...e, logId: new Uint8Array(32) }, [tlog]))?.message).toBe(
      "no transparency log in the trusted root has log ID AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    );
  });

  it("refuses a SET by another key that claims the log's ID", () => {
    const other = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const forged = { ...signedEntry(good), signedEntryTimestamp: new Uint8Array(sign("sha256", Buffer.from(good), other.privateKey)) };
    expect(failure(() => verifySignedEntryTimestamp(forged, [tlog]))?.code).toBe("VERIFY_TLOG_SET");
  });
});
