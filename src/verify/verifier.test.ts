import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseBundle } from "../bundle/parse.js";
import { parseTrustedRoot, publicGoodTrustedRoot } from "../bundle/trusted-root.js";
import type { Bundle } from "../bundle/types.js";
import { importPublicKey } from "../core/crypto/keys.js";
import { isVouchError } from "../core/errors.js";
import { parseStatement } from "../core/intoto/statement.js";
import { verifyBundle, type VerificationPolicy } from "./verifier.js";

/**
 * Real public-good bundles (sigstore-js and sigstore-go test data, see their SOURCE.md) verified offline, with the
 * identities upstream asserts, and the negative cases each verification step must catch.
 */
const SIGSTORE = join(import.meta.dirname, "..", "..", "test", "fixtures", "sigstore");
const JS_BUNDLES = join(SIGSTORE, "sigstore-js", "tests", "bundles");
const GO = join(SIGSTORE, "sigstore-go");
const load = (path: string) => parseBundle(readFileSync(path, "utf8"), path);
const rootFile = (path: string) => parseTrustedRoot(readFileSync(path, "utf8"), path);

/** A DSSE bundle's own subject digest: the artifact (an npm tarball) is not part of the test data. */
function subjectDigest(bundle: Bundle): VerificationPolicy["artifact"] {
  if (bundle.content.kind !== "dsseEnvelope") throw new Error("not DSSE");
  const subject = parseStatement(bundle.content.envelope.payload).subject[0]!;
  const [algorithm, hex] = Object.entries(subject.digest)[0]!;
  return { kind: "digest", algorithm: algorithm as "sha512", hex };
}

function code(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (isVouchError(e)) return e.code;
    throw e;
  }
  return "verified";
}

describe("verifyBundle on real public-good bundles", () => {
  const brian = { subject: "brian@dehamer.com", issuer: "https://github.com/login/oauth" };

  for (const file of readdirSync(JS_BUNDLES).filter((f) => f.endsWith(".sigstore"))) {
    it(`sigstore-js ${file} verifies offline with its identity`, () => {
      const bundle = load(join(JS_BUNDLES, file));
      const result = verifyBundle(bundle, { artifact: subjectDigest(bundle), trustedRoot: publicGoodTrustedRoot(), identity: brian });
      expect(result.signer).toMatchObject({ kind: "certificate", identity: { subject: "brian@dehamer.com", issuer: "https://github.com/login/oauth" } });
      expect(result.trustedTimes[0]?.time.toISOString()).toMatch(/^2023-07-12T/);
      expect(result.predicateType).toBe("https://github.com/npm/attestation/tree/main/specs/publish/v0.1");
      expect(result.checks.map((c) => c.step)).toEqual(["tlog", "timestamps", "certificate", "sct", "identity", "signature", "artifact"]);
    });
  }

  it("sigstore-go: SLSA v1 provenance of sigstore-js 2.0.0, built by GitHub Actions", () => {
    const bundle = load(join(GO, "pkg", "testing", "data", "bundles", "sigstore.js@2.0.0-provenance.sigstore.json"));
    const policy: VerificationPolicy = {
      artifact: subjectDigest(bundle),
      trustedRoot: rootFile(join(GO, "pkg", "testing", "data", "trusted-roots", "public-good.json")),
      identity: {
        subject: "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
        issuer: "https://token.actions.githubusercontent.com",
        extensions: { githubWorkflowRepository: "sigstore/sigstore-js" },
      },
      predicateType: "https://slsa.dev/provenance/v1",
    };
    expect(verifyBundle(bundle, policy).predicateType).toBe("https://slsa.dev/provenance/v1");
    // Upstream: fails when two tlog entries or a signed timestamp are required.
    expect(code(() => verifyBundle(bundle, { ...policy, tlogThreshold: 2 }))).toBe("VERIFY_THRESHOLD");
    expect(code(() => verifyBundle(bundle, { ...policy, timestampThreshold: 2 }))).toBe("VERIFY_THRESHOLD");
    expect(code(() => verifyBundle(bundle, { ...policy, predicateType: "https://spdx.dev/Document" }))).toBe("VERIFY_ARTIFACT");
    expect(code(() => verifyBundle(bundle, { ...policy, identity: { ...policy.identity!, extensions: { githubWorkflowRepository: "evil/fork" } } }))).toBe("VERIFY_IDENTITY");
    expect(code(() => verifyBundle(bundle, { ...policy, identity: { subjectRegExp: "https://github.com/sigstore/", issuer: policy.identity!.issuer } }))).toBe("VERIFY_IDENTITY");
  });

  it("sigstore-go: npm publish attestation signed with a managed key", () => {
    const bundle = load(join(GO, "examples", "bundle-publish.json"));
    const publicKey = importPublicKey(readFileSync(join(GO, "examples", "publish_key.pub"), "utf8"));
    const result = verifyBundle(bundle, { artifact: subjectDigest(bundle), trustedRoot: publicGoodTrustedRoot(), publicKey });
    expect(result.signer.kind).toBe("publicKey");
    // Without the key, or with an identity policy instead, it must not verify.
    expect(code(() => verifyBundle(bundle, { artifact: subjectDigest(bundle), trustedRoot: publicGoodTrustedRoot(), identity: brian }))).toBe("VERIFY_KEY");
  });

  it("rejects a tampered payload, a wrong subject, a wrong identity and a swapped payload type", () => {
    const file = join(JS_BUNDLES, "bundleV03-dsse.sigstore");
    const base = (): Bundle => load(file);
    const policy = (b: Bundle): VerificationPolicy => ({ artifact: subjectDigest(b), trustedRoot: publicGoodTrustedRoot(), identity: brian });

    const tampered = base();
    if (tampered.content.kind !== "dsseEnvelope") throw new Error("not DSSE");
    const payload = Buffer.from(tampered.content.envelope.payload);
    payload.writeUInt8(payload.readUInt8(payload.length - 2) ^ 1, payload.length - 2);
    tampered.content.envelope.payload = payload;
    expect(code(() => verifyBundle(tampered, policy(base())))).toMatch(/^VERIFY_(TLOG_BODY|SIGNATURE)$/);

    const b = base();
    expect(code(() => verifyBundle(b, { ...policy(b), artifact: { kind: "digest", algorithm: "sha512", hex: "ab".repeat(64) } }))).toBe("VERIFY_ARTIFACT");
    expect(code(() => verifyBundle(b, { ...policy(b), identity: { subject: "mallory@example.com", issuer: brian.issuer } }))).toBe("VERIFY_IDENTITY");
    expect(code(() => verifyBundle(b, { ...policy(b), identity: { subject: brian.subject, issuer: "https://accounts.example.com" } }))).toBe("VERIFY_IDENTITY");

    const swapped = base();
    if (swapped.content.kind !== "dsseEnvelope") throw new Error("not DSSE");
    swapped.content.envelope.payloadType = "application/json";
    expect(code(() => verifyBundle(swapped, policy(base())))).toMatch(/^VERIFY_(TLOG_BODY|SIGNATURE)$/);
  });

  it("counts a duplicated tlog entry once toward the threshold", () => {
    const bundle = load(join(JS_BUNDLES, "bundleV03-dsse.sigstore"));
    bundle.tlogEntries.push(bundle.tlogEntries[0]!);
    const policy: VerificationPolicy = { artifact: subjectDigest(bundle), trustedRoot: publicGoodTrustedRoot(), identity: brian };
    expect(verifyBundle(bundle, policy).tlogEntries).toHaveLength(1);
    expect(code(() => verifyBundle(bundle, { ...policy, tlogThreshold: 2 }))).toBe("VERIFY_THRESHOLD");
  });

  it("rejects a certificate outside its validity at the signing time (trusted time moved)", () => {
    const bundle = load(join(JS_BUNDLES, "bundleV01-dsse-no-proof.sigstore"));
    // Without the SET there is no trusted time for a certificate that lived ten minutes.
    bundle.tlogEntries[0]!.signedEntryTimestamp = undefined;
    expect(code(() => verifyBundle(bundle, { artifact: subjectDigest(bundle), trustedRoot: publicGoodTrustedRoot(), identity: brian }))).toMatch(/^VERIFY_(TLOG_INCLUSION|THRESHOLD)$/);
  });
});
