import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CertificateAuthority, TransparencyLogInstance, ValidityPeriod } from "../../src/bundle/types.js";

/**
 * The certificate-side material of the Sigstore fixtures (test/fixtures/sigstore), decoded straight from the JSON for
 * the x509 / certificate / timestamp unit tests, independently of src/bundle's parsers: leaf certificates, RFC 3161
 * tokens, signatures, integrated times, and the CA / TSA / CT log lists of trusted roots.
 */

export const SIGSTORE = join(import.meta.dirname, "..", "fixtures", "sigstore");
export const CONFORMANCE = join(SIGSTORE, "conformance", "test", "assets", "bundle-verify");
export const PUBLIC_GOOD_ROOT = join(SIGSTORE, "sigstore-js", "derived", "public-good-trusted_root.json");
export const SIGSTORE_JS_BUNDLES = join(SIGSTORE, "sigstore-js", "tests", "bundles");

export interface FixtureBundle {
  /** DER certificates, leaf first (v0.3 `certificate` or v0.1/0.2 `x509CertificateChain`). */
  certificates: Uint8Array[];
  /** RFC 3161 tokens from timestampVerificationData. */
  timestamps: Uint8Array[];
  /** The signature a timestamp covers: messageSignature.signature or the DSSE envelope's first signature. */
  signature: Uint8Array;
  /** integratedTime of each tlog entry (seconds), as Dates; Rekor v2 entries have none. */
  integratedTimes: Date[];
}

export interface FixtureRoot {
  certificateAuthorities: CertificateAuthority[];
  timestampAuthorities: CertificateAuthority[];
  ctlogs: TransparencyLogInstance[];
}

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"));

/** The slices of the protobuf-specs JSON these helpers read (fixtures are trusted test data, not validated). */
interface WireBundle {
  verificationMaterial: {
    certificate?: { rawBytes: string };
    x509CertificateChain?: { certificates: { rawBytes: string }[] };
    timestampVerificationData?: { rfc3161Timestamps?: { signedTimestamp: string }[] };
    tlogEntries?: { integratedTime?: string }[];
  };
  messageSignature?: { signature: string };
  dsseEnvelope?: { signatures: { sig: string }[] };
}

interface WireValidity {
  start: string;
  end?: string;
}

interface WireAuthority {
  uri?: string;
  subject?: { organization?: string; commonName?: string };
  certChain: { certificates: { rawBytes: string }[] };
  validFor: WireValidity;
}

interface WireLog {
  baseUrl: string;
  hashAlgorithm: string;
  publicKey: { rawBytes: string; keyDetails: string; validFor: WireValidity };
  logId: { keyId: string };
}

interface WireRoot {
  certificateAuthorities?: WireAuthority[];
  timestampAuthorities?: WireAuthority[];
  ctlogs?: WireLog[];
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

export function fixtureBundle(path: string): FixtureBundle {
  const b = readJson<WireBundle>(path);
  const vm = b.verificationMaterial;
  const certificates: Uint8Array[] = vm.certificate
    ? [b64(vm.certificate.rawBytes)]
    : (vm.x509CertificateChain?.certificates ?? []).map((c) => b64(c.rawBytes));
  const timestamps = (vm.timestampVerificationData?.rfc3161Timestamps ?? []).map((t) => b64(t.signedTimestamp));
  const signature = b64(b.messageSignature?.signature ?? b.dsseEnvelope?.signatures[0]?.sig ?? "");
  const integratedTimes = (vm.tlogEntries ?? [])
    .filter((e) => e.integratedTime !== undefined && e.integratedTime !== "0")
    .map((e) => new Date(Number(e.integratedTime) * 1000));
  return { certificates, timestamps, signature, integratedTimes };
}

/** A conformance case's bundle. */
export function conformanceBundle(name: string): FixtureBundle {
  return fixtureBundle(join(CONFORMANCE, name, "bundle.sigstore.json"));
}

/** A conformance case's own trusted root, or the public-good production root when it ships none. */
export function conformanceRoot(name: string): FixtureRoot {
  try {
    return fixtureRoot(join(CONFORMANCE, name, "trusted_root.json"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return fixtureRoot(PUBLIC_GOOD_ROOT);
    throw err;
  }
}

function validity(v: WireValidity): ValidityPeriod {
  return v.end ? { start: new Date(v.start), end: new Date(v.end) } : { start: new Date(v.start) };
}

function authority(ca: WireAuthority): CertificateAuthority {
  return {
    uri: ca.uri ?? "",
    subject: ca.subject ?? {},
    certChain: ca.certChain.certificates.map((c) => b64(c.rawBytes)),
    validFor: validity(ca.validFor),
  };
}

export function fixtureRoot(path: string): FixtureRoot {
  const r = readJson<WireRoot>(path);
  return {
    certificateAuthorities: (r.certificateAuthorities ?? []).map(authority),
    timestampAuthorities: (r.timestampAuthorities ?? []).map(authority),
    ctlogs: (r.ctlogs ?? []).map(
      (l): TransparencyLogInstance => ({
        baseUrl: l.baseUrl,
        hashAlgorithm: l.hashAlgorithm,
        publicKeyDer: b64(l.publicKey.rawBytes),
        keyDetails: l.publicKey.keyDetails,
        validFor: validity(l.publicKey.validFor),
        logId: b64(l.logId.keyId),
      }),
    ),
  };
}
