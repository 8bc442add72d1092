import { createHash, sign, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseCertificate, parseSctList, precertificateTbs, sctSignedData } from "../core/x509/index.js";
import { caChain, POISON_OID, precertificate, signTbs } from "../../test/support/ct-chain.js";
import { thrownVouchError } from "../../test/support/errors.js";
import { buildCertificate, ecKey, extension, nul } from "../../test/support/x509-builder.js";
import {
  decodeDigitallySigned,
  decodeMerkleTreeLeaf,
  encodeDigitallySigned,
  encodeExtraData,
  encodeMerkleTreeLeaf,
  encodeSct,
  encodeSctList,
  finalTbsFromPrecert,
  issuerKeyHash,
  precertificateParts,
  sctSignatureInput,
  tbsOf,
  treeHeadSignatureInput,
  type Sct,
  type TimestampedEntry,
} from "./structures.js";

const { intermediate } = caChain();
const logKey = ecKey();
const logId = new Uint8Array(createHash("sha256").update(logKey.spki).digest());

function sctFor(leaf: TimestampedEntry): Sct {
  const signature = new Uint8Array(sign("sha256", sctSignatureInput(leaf), { key: logKey.privateKey, dsaEncoding: "der" }));
  return { version: 0, logId, timestamp: leaf.timestamp, extensions: leaf.extensions, hashAlgorithm: 4, signatureAlgorithm: 3, signature };
}

describe("RFC 6962 TLS structures", () => {
  it("encodes a precert_entry MerkleTreeLeaf field by field (§3.4) and decodes it back", () => {
    const tbs = Uint8Array.of(0x30, 0x01, 0x00);
    const hash = new Uint8Array(32).fill(7);
    const leaf = encodeMerkleTreeLeaf({ timestamp: 0x0102030405060708n, entry: { type: "precert", issuerKeyHash: hash, tbsCertificate: tbs }, extensions: new Uint8Array() });
    expect(Buffer.from(leaf).toString("hex")).toBe(
      "00" + "00" + "0102030405060708" + "0001" + "07".repeat(32) + "000003" + "300100" + "0000",
    );
    expect(decodeMerkleTreeLeaf(leaf)).toEqual({ timestamp: 0x0102030405060708n, entry: { type: "precert", issuerKeyHash: hash, tbsCertificate: tbs }, extensions: new Uint8Array() });
  });

  it("encodes an x509_entry leaf, and the SCT's signed struct differs from it only in the first two bytes", () => {
    const entry = { timestamp: 5n, entry: { type: "x509" as const, certificate: Uint8Array.of(1, 2, 3) }, extensions: Uint8Array.of(9) };
    const leaf = encodeMerkleTreeLeaf(entry);
    expect(Buffer.from(leaf).toString("hex")).toBe("0000" + "0000000000000005" + "0000" + "000003010203" + "000109");
    // sct_version (0) and signature_type certificate_timestamp (0) replace version and leaf_type: same bytes in v1.
    expect(sctSignatureInput(entry)).toEqual(leaf);
    expect(decodeMerkleTreeLeaf(leaf).entry).toEqual(entry.entry);
  });

  it("refuses corrupt leaves: truncated, unknown version, leaf type or entry type, trailing bytes", () => {
    const leaf = encodeMerkleTreeLeaf({ timestamp: 1n, entry: { type: "x509", certificate: Uint8Array.of(1) }, extensions: new Uint8Array() });
    const variants: [Uint8Array, RegExp][] = [
      [leaf.subarray(0, leaf.length - 1), /truncated/],
      [new Uint8Array(), /truncated/],
      [Uint8Array.of(1, ...leaf.subarray(1)), /unknown version 1/],
      [Uint8Array.of(0, 1, ...leaf.subarray(2)), /unknown leaf_type 1/],
      [Uint8Array.of(...leaf.subarray(0, 10), 0, 2, ...leaf.subarray(12)), /unknown entry_type 2/],
      [Uint8Array.of(...leaf, 0), /1 trailing bytes/],
      // A certificate length running past the end.
      [Uint8Array.of(...leaf.subarray(0, 12), 0xff, 0xff, 0xff), /truncated/],
    ];
    for (const [bytes, message] of variants) {
      const error = thrownVouchError(() => decodeMerkleTreeLeaf(bytes));
      expect(error.code).toBe("INPUT_MALFORMED");
      expect(error.message).toMatch(message);
    }
  });

  it("encodes the TreeHeadSignature input (§3.5) and DigitallySigned (RFC 5246 §4.7)", () => {
    const input = treeHeadSignatureInput({ timestamp: 2n, treeSize: 3, rootHash: new Uint8Array(32).fill(0xaa) });
    expect(Buffer.from(input).toString("hex")).toBe("00" + "01" + "0000000000000002" + "0000000000000003" + "aa".repeat(32));
    const signed = encodeDigitallySigned({ hashAlgorithm: 4, signatureAlgorithm: 3, signature: Uint8Array.of(0xde, 0xad) });
    expect(Buffer.from(signed).toString("hex")).toBe("0403" + "0002" + "dead");
    expect(decodeDigitallySigned(signed)).toEqual({ hashAlgorithm: 4, signatureAlgorithm: 3, signature: Uint8Array.of(0xde, 0xad) });
    expect(thrownVouchError(() => decodeDigitallySigned(signed.subarray(0, 4))).code).toBe("INPUT_MALFORMED");
    expect(thrownVouchError(() => treeHeadSignatureInput({ timestamp: 0n, treeSize: 0, rootHash: new Uint8Array(31) })).code).toBe("CT_CHAIN_INVALID");
  });

  it("builds an SCT list vouch's verifier parses, wrapped in the DER OCTET STRING of the extnValue (§3.3)", () => {
    const leaf = { timestamp: 1700000000000n, entry: { type: "x509" as const, certificate: Uint8Array.of(1) }, extensions: new Uint8Array() };
    const a = sctFor(leaf);
    const b = sctFor({ ...leaf, timestamp: 1700000000001n });
    const value = encodeSctList([a, encodeSct(b)]);
    expect(value[0]).toBe(0x04);
    const inner = value.subarray(value[1]! < 0x80 ? 2 : 2 + (value[1]! & 0x7f));
    const parsed = parseSctList(inner);
    expect(parsed.map((s) => s.timestamp)).toEqual([1700000000000n, 1700000000001n]);
    expect(parsed[0]).toMatchObject({ version: 0, logId, hashAlgorithm: 4, signatureAlgorithm: 3, signature: a.signature });
    expect(thrownVouchError(() => encodeSctList([])).code).toBe("CT_CHAIN_INVALID");
  });

  it("encodes extra_data: a PrecertChainEntry and a certificate_chain (§4.6)", () => {
    const pre = Uint8Array.of(1, 2);
    const issuer = Uint8Array.of(3);
    const root = Uint8Array.of(4, 5);
    expect(Buffer.from(encodeExtraData("precert", [pre, issuer, root])).toString("hex")).toBe("0000020102" + "000009" + "00000103" + "0000020405");
    expect(Buffer.from(encodeExtraData("x509", [pre, issuer])).toString("hex")).toBe("000004" + "00000103");
  });
});

describe("precertificate TBS (the log's side of §3.2) against vouch's verifier and the final certificate", () => {
  for (const poisonAt of ["first", "middle", "last", "only"] as const) {
    it(`removing the poison (${poisonAt}) gives what the verifier rebuilds from the final certificate`, () => {
      const pre = precertificate(intermediate, { poisonAt });
      const parts = precertificateParts(pre.der);
      expect(parts.poisonCritical).toBe(true);
      expect(parts.poisonValue).toEqual(Uint8Array.of(0x05, 0x00));

      // The log signs the SCT over (issuer key hash, TBS without poison).
      const entry = { type: "precert" as const, issuerKeyHash: issuerKeyHash(intermediate.der), tbsCertificate: parts.tbsCertificate };
      const sct = sctFor({ timestamp: 1700000000000n, entry, extensions: new Uint8Array() });
      const finalDer = signTbs(finalTbsFromPrecert(tbsOf(pre.der), encodeSctList([sct])), intermediate.key.privateKey);

      // vouch's verifier (core/x509) removes the SCT list from the final certificate: byte-identical TBS.
      const final = parseCertificate(finalDer);
      expect(Buffer.from(precertificateTbs(final)).equals(Buffer.from(parts.tbsCertificate))).toBe(true);
      expect(final.extensions.map((e) => e.oid)).not.toContain(POISON_OID);
      // ...and its signed-data builder gives the bytes the log signed.
      const [embedded] = parseSctList(final.sctList!);
      const verifierHash = createHash("sha256").update(parseCertificate(intermediate.der).publicKeyDer).digest();
      expect(issuerKeyHash(intermediate.der)).toEqual(new Uint8Array(verifierHash));
      const signedData = sctSignedData(embedded!, verifierHash, precertificateTbs(final));
      expect(signedData).toEqual(sctSignatureInput({ timestamp: sct.timestamp, entry, extensions: new Uint8Array() }));
      expect(verify("sha256", signedData, { key: logKey.publicKey, dsaEncoding: "der" }, embedded!.signature)).toBe(true);
    });
  }

  it("keeps every other byte: the precertificate TBS is the final TBS minus exactly the SCT-list element", () => {
    const pre = precertificate(intermediate, { poisonAt: "middle" });
    const tbs = tbsOf(pre.der);
    const withoutPoison = precertificateParts(pre.der).tbsCertificate;
    // Only the poison element goes (the length octets above it keep their size here: both TBSs are over 255 bytes).
    const poison = extension(POISON_OID, true, nul());
    expect(tbs.length - withoutPoison.length).toBe(poison.length);
    const at = Buffer.from(tbs).indexOf(Buffer.from(poison));
    const rest = Buffer.concat([tbs.subarray(at + poison.length)]);
    expect(Buffer.from(withoutPoison).subarray(withoutPoison.length - rest.length).equals(rest)).toBe(true);
  });

  it("refuses a certificate without poison, a duplicated poison, and what is not a certificate", () => {
    const plain = precertificate(intermediate, { poisonAt: "none" });
    expect(thrownVouchError(() => precertificateParts(plain.der))).toMatchObject({ code: "CT_CHAIN_INVALID", message: expect.stringMatching(/no poison/) });
    expect(thrownVouchError(() => finalTbsFromPrecert(tbsOf(plain.der), Uint8Array.of(4, 0))).code).toBe("CT_CHAIN_INVALID");

    const poison = extension(POISON_OID, true, nul());
    const twice = buildCertificate({ issuer: intermediate, extensions: [poison, poison] });
    expect(thrownVouchError(() => precertificateParts(twice.der)).message).toMatch(/appears twice/);

    const pre = precertificate(intermediate).der;
    for (const garbage of [pre.subarray(0, pre.length - 5), Uint8Array.of(0x30, 0x80, 0, 0), new Uint8Array([1, 2, 3]), new Uint8Array()]) {
      expect(thrownVouchError(() => precertificateParts(garbage)).code).toBe("CT_CHAIN_INVALID");
    }
    expect(thrownVouchError(() => issuerKeyHash(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00))).code).toBe("CT_CHAIN_INVALID");
  });
});
