import { parseJsonText, type JsonPath } from "../core/encoding/json-text.js";
import { parseTlogEntry } from "./parse-tlog-entry.js";
import type {
  Bundle,
  BundleVersion,
  DigestAlgorithm,
  DsseContent,
  MessageSignatureContent,
  VerificationMaterial,
} from "./types.js";
import { WireReader } from "./wire.js";

/**
 * Parse a Sigstore bundle (protobuf-specs `dev.sigstore.bundle.v1.Bundle`, JSON mapping) of version 0.1, 0.2 or 0.3
 * into the narrow shape every verification step works on. The structural rules of each version are enforced here,
 * once (after sigstore-js `assertBundleV01/V02/Latest` and sigstore-go `Bundle.validate`):
 *   - v0.1: every tlog entry carries an inclusion promise (SET);
 *   - v0.2+: every tlog entry carries an inclusion proof with a checkpoint;
 *   - v0.3: the signer's certificate comes as `certificate` (the leaf), never as `x509CertificateChain`;
 *   - a DSSE envelope carries exactly one signature (protobuf-specs sigstore_bundle.proto: the bundle holds one set
 *     of verification material, so a second signature could not be verified and must not be ignored).
 * Oneofs are exclusive: a bundle that holds both a message signature and an envelope, or two kinds of verification
 * material, is refused rather than read one way by vouch and another way by another client.
 *
 * Throws VouchError INPUT_MALFORMED naming the field (and its line when given text), or INPUT_UNSUPPORTED_FORMAT for
 * a media type vouch does not read (an unknown version such as 0.4 or 99.9).
 *
 * @example
 *   const bundle = parseBundle(await readFile("artifact.sigstore.json", "utf8"), "artifact.sigstore.json");
 *   bundle.tlogEntries[0]?.logIndex; // 27246492n
 */
export function parseBundle(json: unknown, fileName?: string): Bundle {
  const text = typeof json === "string" ? json : undefined;
  const document = text === undefined ? json : parseJsonText(text, fileName);
  const w: WireReader = new WireReader("bundle", fileName, text);
  const root = w.object(document, []);

  const mediaType = w.string(root.mediaType, ["mediaType"]);
  const version = bundleVersion(mediaType);
  if (version === undefined) {
    w.fail(
      ["mediaType"],
      `unsupported bundle media type "${mediaType.slice(0, 100)}" (vouch reads bundle versions 0.1, 0.2 and 0.3)`,
      "INPUT_UNSUPPORTED_FORMAT",
    );
  }

  const vm = w.object(root.verificationMaterial, ["verificationMaterial"]);
  const material = parseMaterial(w, vm, version);
  const tlogEntries = w
    .array(vm.tlogEntries, ["verificationMaterial", "tlogEntries"])
    .map((entry, i) => parseTlogEntry(w, entry, ["verificationMaterial", "tlogEntries", i], version));
  const timestamps = parseTimestamps(w, vm.timestampVerificationData);
  const content = parseContent(w, root);
  return { mediaType, version, material, tlogEntries, timestamps, content };
}

/** The bundle version a media type names; undefined for anything vouch does not read. */
export function bundleVersion(mediaType: string): BundleVersion | undefined {
  const legacy = /^application\/vnd\.dev\.sigstore\.bundle\+json;version=(0\.[123])$/.exec(mediaType);
  if (legacy) return legacy[1] as BundleVersion;
  // The OCI-compatible spelling (protobuf-specs 0.3.1) exists from v0.3 on.
  return mediaType === "application/vnd.dev.sigstore.bundle.v0.3+json" ? "0.3" : undefined;
}

const MATERIAL_KINDS = ["publicKey", "x509CertificateChain", "certificate"] as const;

function parseMaterial(w: WireReader, vm: Record<string, unknown>, version: BundleVersion): VerificationMaterial {
  const at = (...rest: (string | number)[]): JsonPath => ["verificationMaterial", ...rest];
  const present = MATERIAL_KINDS.filter((k) => vm[k] !== undefined && vm[k] !== null);
  if (present.length === 0) w.fail(at(), `has no ${MATERIAL_KINDS.join(", ")}`);
  if (present.length > 1) w.fail(at(present[1]!), `cannot be given together with ${present[0]} (they are one oneof)`);
  const kind = present[0]!;

  if (kind === "publicKey") {
    const key = w.object(vm.publicKey, at("publicKey"));
    return { kind: "publicKey", hint: w.optionalString(key.hint, at("publicKey", "hint")) };
  }
  if (kind === "certificate") {
    const cert = w.object(vm.certificate, at("certificate"));
    return { kind: "certificate", certificates: [w.bytes(cert.rawBytes, at("certificate", "rawBytes"))] };
  }
  if (version === "0.3") {
    w.fail(at("x509CertificateChain"), "is not allowed in a v0.3 bundle (v0.3 carries the leaf as `certificate`)");
  }
  const chain = w.object(vm.x509CertificateChain, at("x509CertificateChain"));
  const certs = w.array(chain.certificates, at("x509CertificateChain", "certificates"));
  if (certs.length === 0) w.fail(at("x509CertificateChain", "certificates"), "is empty: the bundle has no signing certificate");
  const certificates = certs.map((c, i) => {
    const path = at("x509CertificateChain", "certificates", i);
    return w.bytes(w.object(c, path).rawBytes, [...path, "rawBytes"]);
  });
  return { kind: "certificate", certificates };
}

function parseTimestamps(w: WireReader, value: unknown): Uint8Array[] {
  const path: JsonPath = ["verificationMaterial", "timestampVerificationData"];
  const data = w.optionalObject(value, path);
  if (data === undefined) return [];
  return w.array(data.rfc3161Timestamps, [...path, "rfc3161Timestamps"]).map((t, i) => {
    const at: JsonPath = [...path, "rfc3161Timestamps", i];
    return w.bytes(w.object(t, at).signedTimestamp, [...at, "signedTimestamp"]);
  });
}

/** HashAlgorithm numbers of the protobuf JSON mapping (sigstore_common.proto), for writers that emit enum numbers. */
const HASH_ALGORITHMS_BY_NUMBER = ["HASH_ALGORITHM_UNSPECIFIED", "SHA2_256", "SHA2_384", "SHA2_512"];
const DIGEST_ALGORITHMS: readonly string[] = ["SHA2_256", "SHA2_384", "SHA2_512"] satisfies DigestAlgorithm[];

function parseContent(w: WireReader, root: Record<string, unknown>): MessageSignatureContent | DsseContent {
  const hasMessage = root.messageSignature !== undefined && root.messageSignature !== null;
  const hasEnvelope = root.dsseEnvelope !== undefined && root.dsseEnvelope !== null;
  if (hasMessage && hasEnvelope) w.fail(["dsseEnvelope"], "cannot be given together with messageSignature (they are one oneof)");
  if (!hasMessage && !hasEnvelope) w.fail([], "has neither messageSignature nor dsseEnvelope");
  return hasMessage ? parseMessageSignature(w, root.messageSignature) : parseDsseEnvelope(w, root.dsseEnvelope);
}

function parseMessageSignature(w: WireReader, value: unknown): MessageSignatureContent {
  const ms = w.object(value, ["messageSignature"]);
  const signature = w.bytes(ms.signature, ["messageSignature", "signature"]);
  const md = w.optionalObject(ms.messageDigest, ["messageSignature", "messageDigest"]);
  if (md === undefined) return { kind: "messageSignature", signature };
  const algorithmPath: JsonPath = ["messageSignature", "messageDigest", "algorithm"];
  const algorithm = w.enumName(md.algorithm, algorithmPath, HASH_ALGORITHMS_BY_NUMBER);
  if (!DIGEST_ALGORITHMS.includes(algorithm)) {
    const expected = DIGEST_ALGORITHMS.join(", ");
    w.fail(algorithmPath, `unsupported digest algorithm "${algorithm}" (expected ${expected})`, "INPUT_UNSUPPORTED_FORMAT");
  }
  const digest = w.bytes(md.digest, ["messageSignature", "messageDigest", "digest"]);
  return { kind: "messageSignature", digest: { algorithm: algorithm as DigestAlgorithm, value: digest }, signature };
}

function parseDsseEnvelope(w: WireReader, value: unknown): DsseContent {
  const env = w.object(value, ["dsseEnvelope"]);
  const payload = w.bytes(env.payload, ["dsseEnvelope", "payload"]);
  const payloadType = w.string(env.payloadType, ["dsseEnvelope", "payloadType"]);
  const sigs = w.array(env.signatures, ["dsseEnvelope", "signatures"]);
  if (sigs.length !== 1) {
    w.fail(["dsseEnvelope", "signatures"], `must hold exactly one signature in a bundle, not ${sigs.length}`);
  }
  const signatures = sigs.map((s, i) => {
    const at: JsonPath = ["dsseEnvelope", "signatures", i];
    const sig = w.object(s, at);
    return { sig: w.bytes(sig.sig, [...at, "sig"]), keyid: w.optionalString(sig.keyid, [...at, "keyid"]) };
  });
  return { kind: "dsseEnvelope", envelope: { payload, payloadType, signatures } };
}
