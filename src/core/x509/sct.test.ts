import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { buildCertificate, ecKey, T0 } from "../../../test/support/x509-builder.js";
import { parseCertificate } from "./certificate.js";
import { parseDer } from "./der.js";
import { parseSctList, precertificateTbs, sctSignedData } from "./sct.js";

const log = ecKey();
const ca = buildCertificate({ subject: "ca", ca: true });
const leaf = parseCertificate(
  buildCertificate({ subject: "", issuer: ca, keyUsage: [0], eku: ["1.3.6.1.5.5.7.3.3"], sct: { log, timestamp: T0 } }).der,
);

describe("parseSctList", () => {
  it("reads an embedded SCT", () => {
    const [sct, ...rest] = parseSctList(leaf.sctList!);
    expect(rest).toEqual([]);
    expect(sct!.version).toBe(0);
    expect(sct!.timestamp).toBe(BigInt(T0.getTime()));
    expect(sct!.hashAlgorithm).toBe(4);
    expect(sct!.signatureAlgorithm).toBe(3);
    expect(sct!.logId.length).toBe(32);
  });

  it("refuses lengths that run past the data, trailing bytes and empty lists", () => {
    const list = leaf.sctList!;
    expect(thrownVouchError(() => parseSctList(list.subarray(0, list.length - 1))).message).toContain("truncated");
    expect(thrownVouchError(() => parseSctList(new Uint8Array([...list, 0]))).message).toBe("SCT list: trailing bytes after the list");
    expect(thrownVouchError(() => parseSctList(new Uint8Array([0, 0]))).message).toBe("SCT list: the list is empty");
    expect(thrownVouchError(() => parseSctList(new Uint8Array([0, 2, 0, 0]))).message).toBe("SCT list: empty SerializedSCT");
  });
});

describe("precertificateTbs", () => {
  it("is the TBS without the SCT extension, every other field byte for byte", () => {
    const tbs = precertificateTbs(leaf);
    const exts = parseDer(tbs, "tbs").subs.at(-1)!.subs[0]!.subs.map((e) => e.subs[0]!.toOID());
    expect(exts).not.toContain("1.3.6.1.4.1.11129.2.4.2");
    expect(tbs.length).toBeLessThan(leaf.tbs.length);
    // a certificate without SCTs is its own precertificate
    const plain = parseCertificate(buildCertificate({ subject: "x", issuer: ca }).der);
    expect(precertificateTbs(plain)).toEqual(plain.tbs);
    // a certificate whose only extension is the SCT list loses the extensions field altogether
    const only = parseCertificate(buildCertificate({ subject: "y", issuer: ca, sct: { log, timestamp: T0 } }).der);
    expect(parseDer(precertificateTbs(only), "tbs").subs.at(-1)!.tag.number).toBe(0x10);
  });

  it("lays out the RFC 6962 §3.2 digitally-signed struct", () => {
    const [sct] = parseSctList(leaf.sctList!);
    const data = sctSignedData(sct!, new Uint8Array(32).fill(9), new Uint8Array([1, 2, 3]));
    expect(Array.from(data.subarray(0, 2))).toEqual([0, 0]);
    expect(Array.from(data.subarray(10, 12))).toEqual([0, 1]);
    expect(Array.from(data.subarray(44, 50))).toEqual([0, 0, 3, 1, 2, 3]);
    expect(Array.from(data.subarray(50))).toEqual([0, 0]);
  });
});
