import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../test/support/errors.js";
import { parseBundle } from "./parse.js";
import { serializeBundle } from "./serialize.js";
import { BUNDLE_V03_MEDIA_TYPE, type Bundle } from "./types.js";

const SIGSTORE = join(import.meta.dirname, "..", "..", "test", "fixtures", "sigstore");

function bundleFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".sigstore") || f.endsWith("bundle.sigstore.json") || /bundles\/.*\.json$|examples\/bundle-.*\.json$/.test(f))
    .map((f) => join(dir, f))
    .sort();
}

/** Every fixture bundle that parses, with its JSON. */
const parsed = bundleFiles(SIGSTORE).flatMap((file) => {
  const text = readFileSync(file, "utf8");
  try {
    return [{ name: relative(SIGSTORE, file), json: JSON.parse(text) as any, bundle: parseBundle(text) }];
  } catch {
    return [];
  }
});

/**
 * The protobuf JSON mapping leaves out default values (empty strings and lists, zero integers) and does not fix key
 * order; writers differ on both (some emit `"keyid": ""`, some omit `tlogEntries` when empty). Compare modulo those.
 */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v === null || v === "" || (Array.isArray(v) && v.length === 0)) continue;
    if (v === "0" && (key === "integratedTime" || key === "logIndex")) continue;
    out[key] = normalize(v);
  }
  return out;
}

/** A bundle as a version-independent value (what a verifier sees). */
const content = (b: Bundle) => ({ ...b, mediaType: undefined, version: undefined });

describe("serializeBundle", () => {
  const v03 = parsed.filter((p) => p.bundle.version === "0.3");

  it("has v0.3 bundles to round-trip", () => {
    expect(v03.length).toBe(31);
  });

  it.each(v03.map((p) => [p.name, p] as const))("%s round-trips to the same JSON", (name, { json, bundle }) => {
    const out = serializeBundle(bundle);
    expect(out.mediaType).toBe(BUNDLE_V03_MEDIA_TYPE);
    const expected = { ...json, mediaType: BUNDLE_V03_MEDIA_TYPE };
    if (name.includes("rekor2-timestamp-with-incorrect-time_fail")) {
      // Its timestamp is base64 wrapped over lines; vouch writes it unwrapped.
      const ts = expected.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0];
      ts.signedTimestamp = ts.signedTimestamp.replace(/\n/g, "");
    }
    expect(normalize(out)).toEqual(normalize(expected));
  });

  it("writes fields in protobuf order with int64 as strings", () => {
    const { bundle } = parsed.find((p) => p.name.endsWith("rekor2-happy-path/bundle.sigstore.json"))!;
    const out = serializeBundle(bundle);
    expect(Object.keys(out)).toEqual(["mediaType", "verificationMaterial", "messageSignature"]);
    expect(Object.keys(out.verificationMaterial)).toEqual(["certificate", "tlogEntries", "timestampVerificationData"]);
    const entry = out.verificationMaterial.tlogEntries[0]!;
    expect(Object.keys(entry)).toEqual(["logIndex", "logId", "kindVersion", "inclusionProof", "canonicalizedBody"]);
    expect(entry.logIndex).toBe("735");
    expect(entry.inclusionProof.treeSize).toBe("736");
    expect(entry.logId.keyId).toBe("8w1amZ2S5mJIQkQmPxdMuOrL/oJkvFg9MnQXmeOCXck=");
  });

  it("is deterministic", () => {
    const { bundle } = parsed.find((p) => p.name.endsWith("happy-path-intoto-in-dsse-v3/bundle.sigstore.json"))!;
    expect(JSON.stringify(serializeBundle(bundle))).toBe(JSON.stringify(serializeBundle(parseBundle(JSON.stringify(serializeBundle(bundle))))));
  });

  it("upgrades every v0.1/v0.2 bundle whose entries have a checkpointed proof, losing nothing a verifier uses", () => {
    const upgradable = parsed.filter(
      (p) => p.bundle.version !== "0.3" && p.bundle.tlogEntries.every((e) => (e.inclusionProof?.checkpoint ?? "") !== ""),
    );
    expect(upgradable.length).toBe(18);
    for (const { bundle } of upgradable) {
      const again = parseBundle(JSON.parse(JSON.stringify(serializeBundle(bundle))));
      expect(again.version).toBe("0.3");
      const leafOnly =
        bundle.material.kind === "certificate" ? { kind: "certificate", certificates: bundle.material.certificates.slice(0, 1) } : bundle.material;
      expect(content(again)).toEqual({ ...content(bundle), material: leafOnly });
    }
  });

  it("writes a v0.1 certificate chain as its leaf `certificate`", () => {
    const { bundle, json } = parsed.find((p) => p.name.endsWith("happy-path-v0.1/bundle.sigstore.json"))!;
    const out = serializeBundle(bundle) as any;
    expect(out.verificationMaterial.x509CertificateChain).toBeUndefined();
    expect(out.verificationMaterial.certificate.rawBytes).toBe(json.verificationMaterial.x509CertificateChain.certificates[0].rawBytes);
    expect(out.verificationMaterial.tlogEntries[0].inclusionPromise.signedEntryTimestamp).toBe(
      json.verificationMaterial.tlogEntries[0].inclusionPromise.signedEntryTimestamp,
    );
  });

  it("refuses a SET-only v0.1 entry, which v0.3 cannot carry", () => {
    const { bundle } = parsed.find((p) => p.name.endsWith("bundleV01-dsse-no-proof.sigstore"))!;
    const error = thrownVouchError(() => serializeBundle(bundle));
    expect(error.code).toBe("INPUT_UNSUPPORTED_FORMAT");
    expect(error.message).toBe(
      "cannot write a v0.3 bundle: log entry 0 (log index 27246114) has no inclusion proof with a checkpoint, which v0.3 requires",
    );
  });

  it("refuses a DSSE envelope with two signatures", () => {
    const { bundle } = parsed.find((p) => p.name.endsWith("happy-path-intoto-in-dsse-v3/bundle.sigstore.json"))!;
    const envelope = (bundle.content as Extract<Bundle["content"], { kind: "dsseEnvelope" }>).envelope;
    const twice = { ...bundle, content: { kind: "dsseEnvelope" as const, envelope: { ...envelope, signatures: [...envelope.signatures, ...envelope.signatures] } } };
    expect(thrownVouchError(() => serializeBundle(twice)).code).toBe("INPUT_UNSUPPORTED_FORMAT");
  });

  it("writes a key-signed bundle without log entries", () => {
    const bundle: Bundle = {
      mediaType: BUNDLE_V03_MEDIA_TYPE,
      version: "0.3",
      material: { kind: "publicKey", hint: "" },
      tlogEntries: [],
      timestamps: [],
      content: { kind: "messageSignature", digest: { algorithm: "SHA2_256", value: new Uint8Array(32) }, signature: new Uint8Array([1, 2, 3]) },
    };
    expect(serializeBundle(bundle)).toEqual({
      mediaType: BUNDLE_V03_MEDIA_TYPE,
      verificationMaterial: { publicKey: { hint: "" }, tlogEntries: [] },
      messageSignature: { messageDigest: { algorithm: "SHA2_256", digest: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" }, signature: "AQID" },
    });
    expect(parseBundle(serializeBundle(bundle))).toEqual(bundle);
  });
});
