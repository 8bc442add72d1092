import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../test/support/errors.js";
import { parseTrustedRoot, publicGoodTrustedRoot, type UnusableTrustAnchor } from "./trusted-root.js";

const SIGSTORE = join(import.meta.dirname, "..", "..", "test", "fixtures", "sigstore");
const CONFORMANCE = join(SIGSTORE, "conformance", "test", "assets", "bundle-verify");
const PUBLIC_GOOD_FIXTURE = join(SIGSTORE, "sigstore-js", "derived", "public-good-trusted_root.json");
const read = (path: string) => readFileSync(path, "utf8");
const b64 = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString("base64");
const publicGoodJson = () => JSON.parse(read(PUBLIC_GOOD_FIXTURE)) as any;

const rootFiles = readdirSync(SIGSTORE, { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".json"))
  .map((f) => join(SIGSTORE, f))
  .filter((f) => read(f).includes("application/vnd.dev.sigstore.trustedroot"))
  .sort();

describe("parseTrustedRoot on every fixture root", () => {
  it("finds the 30 roots", () => {
    expect(rootFiles).toHaveLength(30);
  });

  it.each(rootFiles.map((f) => [relative(SIGSTORE, f), f]))("%s parses", (_name, file) => {
    const unusable: UnusableTrustAnchor[] = [];
    const root = parseTrustedRoot(read(file), file, { onUnusable: (a) => unusable.push(a) });
    const json = JSON.parse(read(file));
    expect(root.mediaType).toBe(json.mediaType);
    expect(root.certificateAuthorities).toHaveLength(json.certificateAuthorities?.length ?? 0);
    expect(root.timestampAuthorities).toHaveLength(json.timestampAuthorities?.length ?? 0);
    expect(root.ctlogs).toHaveLength(json.ctlogs?.length ?? 0);
    // Only the conformance case built for it has an unusable anchor.
    expect(root.tlogs).toHaveLength((json.tlogs?.length ?? 0) - unusable.length);
    expect(unusable.length).toBe(file.includes("trust-root-tlog-missing-validity-start_fail") ? 1 : 0);
  });
});

describe("the public-good root", () => {
  it("reads logs, CT logs, CAs and the TSA with their keys, IDs and validity", () => {
    const root = parseTrustedRoot(read(PUBLIC_GOOD_FIXTURE));
    expect(root.mediaType).toBe("application/vnd.dev.sigstore.trustedroot+json;version=0.1");
    expect(root.tlogs.map((t) => [t.baseUrl, t.keyDetails, t.hashAlgorithm, b64(t.logId), t.validFor.start.toISOString(), t.validFor.end])).toEqual([
      ["https://rekor.sigstore.dev", "PKIX_ECDSA_P256_SHA_256", "SHA2_256", "wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=", "2021-01-12T11:53:27.000Z", undefined],
      ["https://log2025-1.rekor.sigstore.dev", "PKIX_ED25519", "SHA2_256", "zxGZFVvd0FEmjR8WrFwMdcAJ9vtaY/QXf44Y1wUeP6A=", "2025-09-23T00:00:00.000Z", undefined],
    ]);
    expect(root.tlogs[0]!.publicKeyDer).toHaveLength(91);
    expect(root.tlogs[1]!.publicKeyDer).toHaveLength(44);
    expect(root.ctlogs.map((c) => [c.baseUrl, c.validFor.end?.toISOString()])).toEqual([
      ["https://ctfe.sigstore.dev/test", "2022-10-31T23:59:59.999Z"],
      ["https://ctfe.sigstore.dev/2022", undefined],
    ]);
    expect(root.certificateAuthorities.map((ca) => [ca.uri, ca.subject, ca.certChain.length, ca.validFor.end?.toISOString()])).toEqual([
      ["https://fulcio.sigstore.dev", { organization: "sigstore.dev", commonName: "sigstore" }, 1, "2022-12-31T23:59:59.999Z"],
      ["https://fulcio.sigstore.dev", { organization: "sigstore.dev", commonName: "sigstore" }, 2, undefined],
    ]);
    expect(root.timestampAuthorities.map((t) => [t.uri, t.subject.commonName, t.certChain.length, t.validFor.start.toISOString()])).toEqual([
      ["https://timestamp.sigstore.dev/api/v1/timestamp", "sigstore-tsa-selfsigned", 2, "2025-07-04T00:00:00.000Z"],
    ]);
  });

  it("ships with vouch: publicGoodTrustedRoot() is that root, parsed once", () => {
    const shipped = publicGoodTrustedRoot();
    expect(shipped).toBe(publicGoodTrustedRoot());
    expect(shipped).toEqual(parseTrustedRoot(read(PUBLIC_GOOD_FIXTURE)));
    // The shipped copy is the fixture byte for byte (refresh both together).
    expect(read(join(import.meta.dirname, "public-good-trusted-root.json"))).toBe(read(PUBLIC_GOOD_FIXTURE));
  });
});

describe("trust anchors that cannot be used", () => {
  it("leaves out a log key without validFor.start, and says where (conformance trust-root-tlog-missing-validity-start_fail)", () => {
    const file = join(CONFORMANCE, "trust-root-tlog-missing-validity-start_fail", "trusted_root.json");
    const unusable: UnusableTrustAnchor[] = [];
    const root = parseTrustedRoot(read(file), file, { onUnusable: (a) => unusable.push(a) });
    expect(unusable).toEqual([
      {
        field: "tlogs[1].publicKey.validFor.start",
        line: 24,
        message: "is missing: this log key has no known start of validity and is ignored",
      },
    ]);
    // The bundle's log (8w1amZ2S…) is gone; the other log stays.
    expect(root.tlogs.map((t) => b64(t.logId))).toEqual(["0y8wo8MtY5wrdiIFohx7sHeI5oKDpK5vQhGHI6G+pJY="]);
  });

  it("leaves out a log without key bytes, log ID or hash algorithm, and a CA without certificates or start", () => {
    const json = publicGoodJson();
    delete json.tlogs[0].publicKey.rawBytes;
    delete json.tlogs[1].logId;
    delete json.ctlogs[0].publicKey.validFor;
    json.ctlogs[1].hashAlgorithm = null;
    json.certificateAuthorities[0].certChain.certificates = [];
    delete json.timestampAuthorities[0].validFor.start;
    const fields: string[] = [];
    const root = parseTrustedRoot(json, undefined, { onUnusable: (a) => fields.push(a.field) });
    expect(fields).toEqual([
      "tlogs[0].publicKey.rawBytes",
      "tlogs[1].logId.keyId",
      "certificateAuthorities[0].certChain.certificates",
      "ctlogs[0].publicKey.validFor.start",
      "ctlogs[1].hashAlgorithm",
      "timestampAuthorities[0].validFor.start",
    ]);
    expect([root.tlogs.length, root.ctlogs.length, root.certificateAuthorities.length, root.timestampAuthorities.length]).toEqual([0, 0, 1, 0]);
  });

  it("reads null as absent (an open-ended window) and rounds nanoseconds toward the inside of the window", () => {
    const end = parseTrustedRoot(read(join(CONFORMANCE, "trust-root-tlog-validity-end-inclusive", "trusted_root.json")));
    expect(end.tlogs.map((t) => t.validFor.end?.toISOString())).toEqual(["2023-07-12T15:56:36.000Z", undefined]);
    const nanos = parseTrustedRoot(read(join(SIGSTORE, "sigstore-go", "pkg", "testing", "data", "trusted-roots", "public-key-validity.json")));
    expect(nanos.timestampAuthorities[0]!.validFor.start.toISOString()).toBe("2026-06-04T12:43:29.187Z");
    expect(nanos.timestampAuthorities[0]!.validFor.end!.toISOString()).toBe("2026-06-04T18:43:29.186Z");
  });

  it("keeps a checkpoint key ID when the root states one", () => {
    const json = publicGoodJson();
    json.mediaType = "application/vnd.dev.sigstore.trustedroot.v0.2+json";
    json.tlogs[1].checkpointKeyId = { keyId: "zxGZFQ==" };
    const root = parseTrustedRoot(json);
    expect(root.tlogs[1]!.checkpointKeyId).toEqual(new Uint8Array([0xcf, 0x11, 0x99, 0x15]));
    expect(root.tlogs[0]!.checkpointKeyId).toBeUndefined();
  });
});

describe("malformed trusted roots are refused", () => {
  const refused = (json: unknown) => thrownVouchError(() => parseTrustedRoot(json));

  it.each([
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    "application/vnd.dev.sigstore.trustedroot+json;version=0.2",
    "application/vnd.dev.sigstore.trustedroot.v0.1+json",
    "application/vnd.dev.sigstore.trustedroot.v0.2+json",
  ])("accepts media type %s", (mediaType) => {
    expect(parseTrustedRoot({ ...publicGoodJson(), mediaType }).mediaType).toBe(mediaType);
  });

  it.each(["application/vnd.dev.sigstore.trustedroot.v0.3+json", "application/vnd.dev.sigstore.bundle.v0.3+json"])("refuses media type %s", (mediaType) => {
    expect(refused({ ...publicGoodJson(), mediaType }).code).toBe("INPUT_UNSUPPORTED_FORMAT");
  });

  it("invalid base64 key bytes, with the line", () => {
    const text = read(PUBLIC_GOOD_FIXTURE).replace("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y", "MFkw!!!HKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y");
    const error = thrownVouchError(() => parseTrustedRoot(text, "root.json"));
    expect(error.code).toBe("INPUT_MALFORMED");
    expect(error.describe()).toBe("root.json:8: trusted root: tlogs[0].publicKey.rawBytes: is not valid base64");
  });

  it.each(["2021-01-12", "2021-01-12T11:53:27", "2021-02-30T00:00:00Z", "yesterday", 1610452407])("a start of %s", (start) => {
    const json = publicGoodJson();
    json.tlogs[0].publicKey.validFor.start = start;
    expect(refused(json).message).toContain("tlogs[0].publicKey.validFor.start");
  });

  it("a list that is not a list", () => {
    expect(refused({ ...publicGoodJson(), ctlogs: {} }).message).toBe("trusted root: ctlogs: must be an array, not an object");
  });

  it("JSON that does not parse", () => {
    const error = thrownVouchError(() => parseTrustedRoot('{"mediaType": ', "root.json"));
    expect([error.code, error.location.file]).toEqual(["INPUT_MALFORMED", "root.json"]);
  });
});
