import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../test/support/errors.js";
import { bundleVersion, parseBundle } from "./parse.js";
import type { Bundle, DsseContent, MessageSignatureContent } from "./types.js";

const SIGSTORE = join(import.meta.dirname, "..", "..", "test", "fixtures", "sigstore");
const CONFORMANCE = join(SIGSTORE, "conformance", "test", "assets", "bundle-verify");
const SIGSTORE_JS = join(SIGSTORE, "sigstore-js", "tests", "bundles");
const SIGSTORE_GO = join(SIGSTORE, "sigstore-go");

const read = (path: string) => readFileSync(path, "utf8");
const conformanceText = (name: string) => read(join(CONFORMANCE, name, "bundle.sigstore.json"));
const conformanceJson = (name: string) => JSON.parse(conformanceText(name)) as any;
const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString("hex");
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");
const message = (b: Bundle) => b.content as MessageSignatureContent;
const dsse = (b: Bundle) => (b.content as DsseContent).envelope;

/** The conformance cases whose bundle itself is malformed: parseBundle must refuse them, with this code and field. */
const REFUSED_AT_PARSE: Record<string, { code: string; field: string }> = {
  "bundle-empty-certificate-chain_fail": { code: "INPUT_MALFORMED", field: "verificationMaterial.x509CertificateChain.certificates" },
  "bundle-invalid-base64-signature_fail": { code: "INPUT_MALFORMED", field: "messageSignature.signature" },
  "bundle-malformed-json_fail": { code: "INPUT_MALFORMED", field: "not valid JSON" },
  "bundle-unknown-version_fail": { code: "INPUT_UNSUPPORTED_FORMAT", field: "mediaType" },
  "intoto-missing-inclusion-proof_fail": { code: "INPUT_MALFORMED", field: "verificationMaterial.tlogEntries[0].inclusionProof" },
  "invalid-inclusion-proof_fail": { code: "INPUT_MALFORMED", field: "tlogEntries[0].inclusionProof.checkpoint.envelope" },
  "rekor2-no-inclusion-proof_fail": { code: "INPUT_MALFORMED", field: "verificationMaterial.tlogEntries[0].inclusionProof" },
};

describe("parseBundle on the sigstore-conformance cases", () => {
  const cases = readdirSync(CONFORMANCE, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);

  it("finds the 47 cases", () => {
    expect(cases).toHaveLength(47);
  });

  it.each(cases)("%s parses, or is refused for the reason its README gives", (name) => {
    const file = join(CONFORMANCE, name, "bundle.sigstore.json");
    const expected = REFUSED_AT_PARSE[name];
    if (expected === undefined) {
      const bundle = parseBundle(read(file), file);
      expect(bundle.tlogEntries.length).toBeGreaterThan(0);
      return;
    }
    const error = thrownVouchError(() => parseBundle(read(file), file));
    expect(error.code).toBe(expected.code);
    expect(error.message).toContain(expected.field);
    expect(error.location.file).toBe(file);
    expect(error.location.line).toBeGreaterThan(0);
  });

  it("reads a v0.1 hashedrekord bundle field by field", () => {
    const b = parseBundle(conformanceText("happy-path-v0.1"));
    expect(b.mediaType).toBe("application/vnd.dev.sigstore.bundle+json;version=0.1");
    expect(b.version).toBe("0.1");
    expect(b.material.kind).toBe("certificate");
    expect(b.material.kind === "certificate" && b.material.certificates.map((c) => c.length)).toEqual([2077]);
    expect(b.timestamps).toEqual([]);
    const [entry] = b.tlogEntries;
    expect(entry!.logIndex).toBe(27246492n);
    expect(b64(entry!.logId)).toBe("wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=");
    expect([entry!.kind, entry!.kindVersion]).toEqual(["hashedrekord", "0.0.1"]);
    expect(entry!.integratedTime).toBe(1689177396n);
    expect(entry!.signedEntryTimestamp).toHaveLength(71);
    expect(entry!.canonicalizedBody).toHaveLength(4145);
    expect(text(entry!.canonicalizedBody)).toMatch(/^\{"apiVersion":"0\.0\.1","kind":"hashedrekord"/);
    const proof = entry!.inclusionProof!;
    expect([proof.logIndex, proof.treeSize]).toEqual([23083061n, 23083062n]);
    expect(b64(proof.rootHash)).toBe("dauhleYK4YyAdxwwDtR0l0KnSOWZdG2bwqHftlanvcI=");
    expect(proof.hashes).toHaveLength(10);
    expect(proof.hashes.every((h) => h.length === 32)).toBe(true);
    expect(proof.checkpoint.startsWith("rekor.sigstore.dev - 2605736670972794746\n23083062\n")).toBe(true);
    expect(message(b).digest?.algorithm).toBe("SHA2_256");
    expect(hex(message(b).digest?.value)).toBe("a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf");
    expect(message(b).signature).toHaveLength(70);
  });

  it("reads a Rekor v2 entry: no integrated time, no SET, a proof and a TSA timestamp", () => {
    const b = parseBundle(conformanceText("rekor2-happy-path"));
    expect(b.version).toBe("0.3");
    expect(b.material.kind === "certificate" && b.material.certificates.map((c) => c.length)).toEqual([2101]);
    const [entry] = b.tlogEntries;
    expect(entry!.logIndex).toBe(735n);
    expect([entry!.kind, entry!.kindVersion]).toEqual(["hashedrekord", "0.0.2"]);
    expect(entry!.integratedTime).toBeUndefined();
    expect(entry!.signedEntryTimestamp).toBeUndefined();
    expect([entry!.inclusionProof!.logIndex, entry!.inclusionProof!.treeSize]).toEqual([735n, 736n]);
    expect(entry!.inclusionProof!.hashes).toHaveLength(8);
    expect(entry!.inclusionProof!.checkpoint).toMatch(/^log2025-alpha1\.rekor\.sigstage\.dev\n736\n/);
    expect(b.timestamps.map((t) => t.length)).toEqual([1262]);
  });

  it("reads a managed-key bundle's key hint", () => {
    const b = parseBundle(conformanceText("managed-key-happy-path"));
    expect(b.material).toEqual({ kind: "publicKey", hint: "TLMsSDfG3ajPsWge+z/vX5T/zluXnmvbkTkwLIV68Tk=" });
    expect(b.tlogEntries[0]!.logIndex).toBe(771488337n);
    expect(b.timestamps.map((t) => t.length)).toEqual([717]);
  });

  it("reads a base64 value wrapped over lines, as Go's decoder does", () => {
    const b = parseBundle(conformanceText("rekor2-timestamp-with-incorrect-time_fail"));
    expect(b.timestamps).toHaveLength(1);
    expect(b.timestamps[0]!.length).toBeGreaterThan(1200);
  });

  it("reads a v0.3 DSSE bundle carrying an in-toto v1 statement", () => {
    const b = parseBundle(conformanceText("happy-path-intoto-in-dsse-v3"));
    expect(b.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    expect([b.tlogEntries[0]!.kind, b.tlogEntries[0]!.kindVersion]).toEqual(["dsse", "0.0.1"]);
    const envelope = dsse(b);
    expect(envelope.payloadType).toBe("application/vnd.in-toto+json");
    expect(envelope.payload).toHaveLength(1018);
    expect(JSON.parse(text(envelope.payload)).subject).toEqual([
      { name: "a.txt", digest: { sha256: "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf" } },
    ]);
    expect(envelope.signatures).toHaveLength(1);
    expect(envelope.signatures[0]!.keyid).toBe("");
    expect(envelope.signatures[0]!.sig).toHaveLength(72);
  });

  it("names the line of the malformed field", () => {
    const file = join(CONFORMANCE, "bundle-invalid-base64-signature_fail", "bundle.sigstore.json");
    const error = thrownVouchError(() => parseBundle(read(file), file));
    const lines = read(file).split("\n");
    expect(lines[error.location.line! - 1]).toContain('"signature": "INVALID!!!BASE64!!!ENCODING===="');
  });
});

describe("parseBundle on the real sigstore-js bundles", () => {
  const files = readdirSync(SIGSTORE_JS).filter((f) => f.endsWith(".sigstore"));

  it("finds all nine", () => {
    expect(files).toHaveLength(9);
  });

  it.each(files)("%s parses as the version its name says, with the npm publish statement", (file) => {
    const b = parseBundle(read(join(SIGSTORE_JS, file)), file);
    expect(b.version).toBe(/^bundleV0(\d)/.exec(file)![1] === "1" ? "0.1" : /^bundleV02/.test(file) ? "0.2" : "0.3");
    expect(b.tlogEntries).toHaveLength(1);
    const entry = b.tlogEntries[0]!;
    expect(entry.kind).toBe(file.includes("dsse") ? "dsse" : "intoto");
    expect(entry.kindVersion).toBe(file.includes("dsse") ? "0.0.1" : "0.0.2");
    expect(entry.logIndex).toBe(file.includes("dsse") ? 27246114n : 27244980n);
    expect(entry.signedEntryTimestamp).toBeDefined();
    expect(entry.inclusionProof !== undefined).toBe(!file.includes("no-proof") && !file.includes("full-cert-chain"));
    const statement = JSON.parse(text(dsse(b).payload));
    expect(statement._type).toBe("https://in-toto.io/Statement/v0.1");
    expect(statement.subject[0].name).toBe("pkg:npm/sigstore@1.0.0");
  });

  it("keeps the whole certificate chain of a v0.1 bundle, leaf first", () => {
    const b = parseBundle(read(join(SIGSTORE_JS, "bundleV01-full-cert-chain.sigstore")));
    expect(b.material.kind === "certificate" && b.material.certificates.map((c) => c.length)).toEqual([724, 542, 507]);
  });

  it("reads the new v0.3 media type and the leaf certificate", () => {
    const b = parseBundle(read(join(SIGSTORE_JS, "bundleV03-intoto.sigstore")));
    expect(b.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    expect(b.material.kind === "certificate" && b.material.certificates.map((c) => c.length)).toEqual([724]);
    expect(b.tlogEntries[0]!.inclusionProof!.checkpoint).toMatch(/^rekor\.sigstore\.dev - 2605736670972794746\n23081551\n/);
  });
});

describe("parseBundle on the sigstore-go bundles", () => {
  const go = (path: string) => read(join(SIGSTORE_GO, path));

  it("reads the SLSA v1 provenance bundle of sigstore.js@2.0.0", () => {
    const b = parseBundle(go("pkg/testing/data/bundles/sigstore.js@2.0.0-provenance.sigstore.json"));
    expect(b.version).toBe("0.1");
    expect(b.tlogEntries[0]!.logIndex).toBe(31821305n);
    expect(b.tlogEntries[0]!.integratedTime).toBe(1692374735n);
    expect(b.tlogEntries[0]!.inclusionProof!.treeSize).toBe(27657875n);
    const statement = JSON.parse(text(dsse(b).payload));
    expect(statement.predicateType).toBe("https://slsa.dev/provenance/v1");
    expect(statement.subject[0].digest.sha512).toMatch(/^46d4e2f7.*85cd3c$/);
  });

  it("reads the npm publish bundle signed with a managed key (SET only, no proof)", () => {
    const b = parseBundle(go("examples/bundle-publish.json"));
    expect(b.material.kind).toBe("publicKey");
    expect(b.tlogEntries[0]!.logIndex).toBe(18300940n);
    expect(b.tlogEntries[0]!.inclusionProof).toBeUndefined();
  });

  it("reads a v0.3 bundle with no log entries at all (a key and a timestamp)", () => {
    const b = parseBundle(go("pkg/testing/data/bundles/public-key-validity.sigstore.json"));
    expect(b.tlogEntries).toEqual([]);
    expect(b.timestamps).toHaveLength(1);
    expect(b.material.kind).toBe("publicKey");
  });

  it("refuses a DSSE envelope with two signatures", () => {
    const error = thrownVouchError(() => parseBundle(go("pkg/testing/data/bundles/dsse-2sigs.sigstore.json")));
    expect(error.code).toBe("INPUT_MALFORMED");
    expect(error.message).toContain("dsseEnvelope.signatures: must hold exactly one signature in a bundle, not 2");
  });

  it.each(["examples/bundle-provenance.json", "pkg/testing/data/bundles/dsse.sigstore.json", "pkg/testing/data/bundles/othername.sigstore.json"])(
    "parses %s",
    (path) => {
      expect(parseBundle(go(path)).tlogEntries).toHaveLength(1);
    },
  );
});

describe("parseBundle refuses what the spec does not allow", () => {
  const v01 = () => conformanceJson("happy-path-v0.1");
  const v03 = () => conformanceJson("happy-path-v0.3-new-mediaType");
  const refused = (doc: unknown) => thrownVouchError(() => parseBundle(doc));

  it.each([
    ["application/vnd.dev.sigstore.bundle+json;version=0.4", "INPUT_UNSUPPORTED_FORMAT"],
    ["application/vnd.dev.sigstore.bundle.v0.2+json", "INPUT_UNSUPPORTED_FORMAT"],
    ["application/json", "INPUT_UNSUPPORTED_FORMAT"],
  ])("media type %s", (mediaType, code) => {
    expect(refused({ ...v01(), mediaType }).code).toBe(code);
  });

  it("a document that is not an object", () => {
    expect(refused([]).message).toBe("bundle: (document): must be an object, not an array");
  });

  it("a v0.1 log entry without its SET", () => {
    const doc = v01();
    delete doc.verificationMaterial.tlogEntries[0].inclusionPromise;
    expect(refused(doc).message).toContain("tlogEntries[0].inclusionPromise: is missing");
  });

  it("a v0.3 bundle with an x509CertificateChain", () => {
    const doc = v03();
    doc.verificationMaterial.x509CertificateChain = { certificates: [doc.verificationMaterial.certificate] };
    delete doc.verificationMaterial.certificate;
    expect(refused(doc).message).toContain("x509CertificateChain: is not allowed in a v0.3 bundle");
  });

  it("two kinds of verification material", () => {
    const doc = v03();
    doc.verificationMaterial.publicKey = { hint: "x" };
    expect(refused(doc).message).toContain("(they are one oneof)");
  });

  it("both a message signature and a DSSE envelope", () => {
    const doc = v03();
    doc.dsseEnvelope = conformanceJson("happy-path-intoto-in-dsse-v3").dsseEnvelope;
    expect(refused(doc).message).toContain("dsseEnvelope: cannot be given together with messageSignature");
  });

  it("neither content", () => {
    const doc = v03();
    delete doc.messageSignature;
    expect(refused(doc).message).toContain("has neither messageSignature nor dsseEnvelope");
  });

  it("a log index that is not an integer, or negative, or beyond int64", () => {
    for (const logIndex of ["12x", "-1", "9223372036854775808", 1.5, true]) {
      const doc = v01();
      doc.verificationMaterial.tlogEntries[0].logIndex = logIndex;
      expect(refused(doc).message).toContain("tlogEntries[0].logIndex");
    }
  });

  it("accepts int64 as a JSON number and keeps values beyond 2^53 exact", () => {
    const doc = v01();
    doc.verificationMaterial.tlogEntries[0].logIndex = 27246492;
    doc.verificationMaterial.tlogEntries[0].inclusionProof.treeSize = "9223372036854775807";
    const entry = parseBundle(doc).tlogEntries[0]!;
    expect(entry.logIndex).toBe(27246492n);
    expect(entry.inclusionProof!.treeSize).toBe(9223372036854775807n);
  });

  it("an empty signature, an empty canonicalized body, a missing log ID", () => {
    const sig = v01();
    sig.messageSignature.signature = "";
    expect(refused(sig).message).toContain("messageSignature.signature: is missing or empty");
    const body = v01();
    delete body.verificationMaterial.tlogEntries[0].canonicalizedBody;
    expect(refused(body).message).toContain("canonicalizedBody: is missing or empty");
    const logId = v01();
    delete logId.verificationMaterial.tlogEntries[0].logId;
    expect(refused(logId).message).toContain("tlogEntries[0].logId: is missing");
  });

  it("a digest algorithm vouch does not know", () => {
    const doc = v01();
    doc.messageSignature.messageDigest.algorithm = "MD5";
    expect(refused(doc).code).toBe("INPUT_UNSUPPORTED_FORMAT");
  });

  it("reads an enum given by number, as the JSON mapping allows", () => {
    const doc = v01();
    doc.messageSignature.messageDigest.algorithm = 3;
    expect(message(parseBundle(doc)).digest?.algorithm).toBe("SHA2_512");
  });

  it("a DSSE envelope without a payload type", () => {
    const doc = conformanceJson("happy-path-intoto-in-dsse-v3");
    delete doc.dsseEnvelope.payloadType;
    expect(refused(doc).message).toContain("dsseEnvelope.payloadType: is missing or empty");
  });

  it("keeps a v0.1 proof without checkpoint with an empty checkpoint (unanchored), and the SET", () => {
    const doc = v01();
    delete doc.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint;
    const entry = parseBundle(doc).tlogEntries[0]!;
    expect(entry.inclusionProof!.checkpoint).toBe("");
    expect(entry.signedEntryTimestamp).toHaveLength(71);
  });

  it("treats null as absent and 0 integrated time as none", () => {
    const doc = v03();
    doc.verificationMaterial.tlogEntries[0].integratedTime = "0";
    doc.verificationMaterial.timestampVerificationData = null;
    const b = parseBundle(doc);
    expect(b.tlogEntries[0]!.integratedTime).toBeUndefined();
    expect(b.timestamps).toEqual([]);
  });
});

describe("bundleVersion", () => {
  it.each([
    ["application/vnd.dev.sigstore.bundle+json;version=0.1", "0.1"],
    ["application/vnd.dev.sigstore.bundle+json;version=0.2", "0.2"],
    ["application/vnd.dev.sigstore.bundle+json;version=0.3", "0.3"],
    ["application/vnd.dev.sigstore.bundle.v0.3+json", "0.3"],
    ["application/vnd.dev.sigstore.bundle+json;version=99.9", undefined],
    ["application/vnd.dev.sigstore.bundle.v0.4+json", undefined],
    ["application/vnd.dev.sigstore.bundle+json;version=0.1 ", undefined],
  ])("%s -> %s", (mediaType, version) => {
    expect(bundleVersion(mediaType)).toBe(version);
  });
});
