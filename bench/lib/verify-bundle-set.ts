import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The real Sigstore bundles the verification bench runs, each with everything a verifier needs: the trusted root,
 * the artifact (a file, or the digest an in-toto subject names) and who must have signed (an identity, or a key).
 * Only data from test/fixtures/sigstore is used; every bundle here is one its upstream expects to verify.
 */

/** The three shapes whose verification cost differs: what the log entry proves and what is signed. */
export type BundleKind = "rekor-v1-message" | "rekor-v1-dsse" | "rekor-v2";

export const BUNDLE_KINDS: readonly BundleKind[] = ["rekor-v1-message", "rekor-v1-dsse", "rekor-v2"];

export const KIND_LABELS: Record<BundleKind, string> = {
  "rekor-v1-message": "Rekor v1, message signature",
  "rekor-v1-dsse": "Rekor v1, DSSE (in-toto)",
  "rekor-v2": "Rekor v2 (message and DSSE)",
};

export type ArtifactRef = { kind: "file"; path: string } | { kind: "digest"; algorithm: "sha256" | "sha384" | "sha512"; hex: string };

export type SignerRef = { kind: "identity"; subject: string; issuer: string } | { kind: "key"; pemPath: string };

export interface BenchBundle {
  /** A short, stable name: `<source>/<case or file>`. */
  id: string;
  bundlePath: string;
  kind: BundleKind;
  content: "messageSignature" | "dsseEnvelope";
  trustedRootPath: string;
  artifact: ArtifactRef;
  signer: SignerRef;
  /**
   * SHA-256 (hex) of the signing certificate's DER, or of the public-key hint: bundles that share it were signed
   * with the same certificate, so a verifier that remembers certificates it has checked treats them as one.
   */
  signerFingerprint: string;
}

const FIXTURES = "test/fixtures/sigstore";
const CONFORMANCE = `${FIXTURES}/conformance/test/assets/bundle-verify`;
/** The Sigstore public-good production root (sigstore-js's embedded TUF seed, decoded; see that folder's SOURCE.md). */
export const PRODUCTION_ROOT = `${FIXTURES}/sigstore-js/derived/public-good-trusted_root.json`;

/** The conformance suite's defaults when a case has no `identity` / `issuer` file (its SOURCE.md). */
const CONFORMANCE_IDENTITY = {
  subject: "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
  issuer: "https://token.actions.githubusercontent.com",
};
const BRIAN = { subject: "brian@dehamer.com", issuer: "https://github.com/login/oauth" };
const SIGSTORE_JS_RELEASE = {
  subject: "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
  issuer: "https://token.actions.githubusercontent.com",
};

/** sigstore-go's real public-good bundles (SOURCE.md there says which verify and as whom). */
const SIGSTORE_GO_BUNDLES: readonly { path: string; identity: { subject: string; issuer: string } }[] = [
  { path: "pkg/testing/data/bundles/sigstore.js@2.0.0-provenance.sigstore.json", identity: SIGSTORE_JS_RELEASE },
  { path: "examples/bundle-provenance.json", identity: SIGSTORE_JS_RELEASE },
  { path: "pkg/testing/data/bundles/dsse.sigstore.json", identity: BRIAN },
];

/**
 * Every bundle of the set, relative paths resolved against `repo`:
 *   - the conformance cases expected to pass (names without `_fail`), with the case's own trusted_root.json or the
 *     production root, its `artifact` or the shared a.txt, its identity/issuer files or the suite's defaults, and
 *     `key.pub` for the managed-key case;
 *   - sigstore-js's nine production bundles (brian@dehamer.com), artifact = the in-toto subject's digest;
 *   - sigstore-go's real public-good bundles, artifact = the in-toto subject's digest.
 */
export function collectBundleSet(repo: string): BenchBundle[] {
  const set: BenchBundle[] = [];
  const conformance = join(repo, CONFORMANCE);
  for (const name of readdirSync(conformance).sort()) {
    const dir = join(conformance, name);
    const bundlePath = join(dir, "bundle.sigstore.json");
    if (name.endsWith("_fail") || !existsSync(bundlePath)) continue;
    const text = (file: string) => readFileSync(join(dir, file), "utf8").trim();
    const signer: SignerRef = existsSync(join(dir, "key.pub"))
      ? { kind: "key", pemPath: join(dir, "key.pub") }
      : {
          kind: "identity",
          subject: existsSync(join(dir, "identity")) ? text("identity") : CONFORMANCE_IDENTITY.subject,
          issuer: existsSync(join(dir, "issuer")) ? text("issuer") : CONFORMANCE_IDENTITY.issuer,
        };
    set.push(
      describe(`conformance/${name}`, bundlePath, {
        trustedRootPath: existsSync(join(dir, "trusted_root.json")) ? join(dir, "trusted_root.json") : join(repo, PRODUCTION_ROOT),
        artifact: { kind: "file", path: existsSync(join(dir, "artifact")) ? join(dir, "artifact") : join(conformance, "a.txt") },
        signer,
      }),
    );
  }

  const sigstoreJs = join(repo, FIXTURES, "sigstore-js/tests/bundles");
  for (const name of readdirSync(sigstoreJs).filter((f) => f.endsWith(".sigstore")).sort()) {
    const bundlePath = join(sigstoreJs, name);
    set.push(describe(`sigstore-js/${name}`, bundlePath, { trustedRootPath: join(repo, PRODUCTION_ROOT), artifact: subjectDigest(bundlePath), signer: { kind: "identity", ...BRIAN } }));
  }

  for (const { path, identity } of SIGSTORE_GO_BUNDLES) {
    const bundlePath = join(repo, FIXTURES, "sigstore-go", path);
    const name = path.split("/").at(-1)!;
    set.push(describe(`sigstore-go/${name}`, bundlePath, { trustedRootPath: join(repo, PRODUCTION_ROOT), artifact: subjectDigest(bundlePath), signer: { kind: "identity", ...identity } }));
  }
  return set;
}

/** Raw JSON view of the few bundle fields the set is sorted by (the verifiers parse the bundle for real). */
interface RawBundle {
  dsseEnvelope?: { payload: string };
  verificationMaterial: {
    tlogEntries?: { kindVersion: { kind: string; version: string } }[];
    certificate?: { rawBytes: string };
    x509CertificateChain?: { certificates: { rawBytes: string }[] };
    publicKey?: { hint: string };
  };
}

function describe(id: string, bundlePath: string, rest: Pick<BenchBundle, "trustedRootPath" | "artifact" | "signer">): BenchBundle {
  const raw = JSON.parse(readFileSync(bundlePath, "utf8")) as RawBundle;
  const vm = raw.verificationMaterial;
  const signerBytes = vm.certificate?.rawBytes ?? vm.x509CertificateChain?.certificates[0]?.rawBytes;
  const signerFingerprint = createHash("sha256")
    .update(signerBytes !== undefined ? Buffer.from(signerBytes, "base64") : Buffer.from(`key:${vm.publicKey?.hint ?? id}`))
    .digest("hex");
  const content = raw.dsseEnvelope ? "dsseEnvelope" : "messageSignature";
  // Rekor v2 logs only hashedrekord 0.0.2 and dsse 0.0.2 entries (no SET; the time comes from a TSA).
  const v2 = (raw.verificationMaterial.tlogEntries ?? []).some((e) => ["hashedrekord", "dsse"].includes(e.kindVersion.kind) && e.kindVersion.version === "0.0.2");
  const kind: BundleKind = v2 ? "rekor-v2" : content === "dsseEnvelope" ? "rekor-v1-dsse" : "rekor-v1-message";
  return { id, bundlePath, kind, content, signerFingerprint, ...rest };
}

/** The digest of the first subject of the in-toto statement a DSSE bundle carries (sha256 preferred). */
function subjectDigest(bundlePath: string): ArtifactRef {
  const raw = JSON.parse(readFileSync(bundlePath, "utf8")) as RawBundle;
  if (!raw.dsseEnvelope) throw new Error(`${bundlePath}: no DSSE envelope, so no in-toto subject to take the artifact digest from`);
  const statement = JSON.parse(Buffer.from(raw.dsseEnvelope.payload, "base64").toString("utf8")) as { subject?: { digest?: Record<string, string> }[] };
  const digest = statement.subject?.[0]?.digest ?? {};
  for (const algorithm of ["sha256", "sha512", "sha384"] as const) {
    const hex = digest[algorithm];
    if (hex !== undefined) return { kind: "digest", algorithm, hex };
  }
  throw new Error(`${bundlePath}: the statement's first subject has no sha256/sha384/sha512 digest`);
}
