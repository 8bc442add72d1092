import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { rejectedVouchError } from "../../test/support/errors.js";
import { attestFiles, generateProvenance } from "../api/attest.js";
import { parseTrustedRoot, publicGoodTrustedRoot } from "../bundle/trusted-root.js";
import { generateKeyPair, keyId } from "../core/crypto/keys.js";
import { KeySigner } from "../sign/key-signer.js";
import type { AttestationStore } from "../store/ports.js";
import { openSqliteAttestationStore } from "../store/sqlite/attestation-store.js";
import { createAttestationService, type AttestationTrust } from "./attestations.js";

/**
 * Attestations verified on ingest: real public-good bundles (sigstore-js / sigstore-go test data, see their
 * SOURCE.md) with and without the trust that verifies them, and keyed bundles and bare envelopes made here with
 * `vouch attest`'s library function over a generated key.
 */
const SIGSTORE = join(import.meta.dirname, "..", "..", "test", "fixtures", "sigstore");
const JS_V03 = readFileSync(join(SIGSTORE, "sigstore-js", "tests", "bundles", "bundleV03-dsse.sigstore"));
const GO_PROVENANCE = readFileSync(join(SIGSTORE, "sigstore-go", "pkg", "testing", "data", "bundles", "sigstore.js@2.0.0-provenance.sigstore.json"));
const GO_ROOT = parseTrustedRoot(readFileSync(join(SIGSTORE, "sigstore-go", "pkg", "testing", "data", "trusted-roots", "public-good.json"), "utf8"));
const SCAFFOLDING_ROOT = parseTrustedRoot(readFileSync(join(SIGSTORE, "sigstore-go", "pkg", "testing", "data", "trusted-roots", "scaffolding.json"), "utf8"));

const work = mkdtempSync(join(tmpdir(), "vouch-attestations-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const GITHUB = {
  GITHUB_ACTIONS: "true",
  GITHUB_SERVER_URL: "https://github.com",
  GITHUB_REPOSITORY: "acme/widget",
  GITHUB_RUN_ID: "99",
  GITHUB_RUN_ATTEMPT: "2",
  GITHUB_REF: "refs/tags/v1",
  GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567",
  GITHUB_WORKFLOW_REF: "acme/widget/.github/workflows/release.yml@refs/tags/v1",
  GITHUB_EVENT_NAME: "push",
};

const pair = generateKeyPair();
const other = generateKeyPair();
const artifact = join(work, "widget.tgz");
writeFileSync(artifact, "widget bytes");

let store: AttestationStore;
let dir: string;
beforeEach(async () => {
  dir = mkdtempSync(join(work, "store-"));
  store = await openSqliteAttestationStore(join(dir, "index.sqlite"));
});
afterEach(async () => {
  await store.close();
});

const service = (trust: Partial<AttestationTrust>) =>
  createAttestationService({ store, trust: { roots: trust.roots ?? [], keys: trust.keys ?? [] }, clock: () => new Date("2025-06-01T00:00:00Z") });
const publicGood = { roots: [{ name: "public-good", root: publicGoodTrustedRoot() }] };

async function keyedProvenance(): Promise<{ bundleJson: string; digest: string }> {
  const predicate = generateProvenance({ env: GITHUB, now: () => new Date("2025-05-01T00:00:00Z") });
  const a = await attestFiles([artifact], { type: "slsaprovenance", predicate, signer: new KeySigner(pair.privateKey) });
  return { bundleJson: a.bundleJson, digest: `sha256:${a.statement.subject[0]!.digest.sha256}` };
}

describe("attestation ingest", () => {
  it("verifies a real public-good bundle v0.3 with the public-good root: signer, subject (sha512), log entry, signing time", async () => {
    const { record, created } = await service(publicGood).ingest(JS_V03, "token-a");
    expect(created).toBe(true);
    expect(record).toMatchObject({
      kind: "bundle",
      mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.3",
      predicateType: "https://github.com/npm/attestation/tree/main/specs/publish/v0.1",
      verified: true,
      signer: { kind: "certificate", identity: "brian@dehamer.com", issuer: "https://github.com/login/oauth" },
      ingestedBy: "token-a",
      ingestedAt: "2025-06-01T00:00:00Z",
    });
    expect(record.reason).toBeUndefined();
    expect(record.subjects).toHaveLength(1);
    expect(record.subjects[0]!.digest).toMatch(/^sha512:[0-9a-f]{128}$/);
    expect(record.logEntries).toHaveLength(1);
    expect(record.signedAt).toMatch(/^2023-07-12T/);
    expect(await store.signedDigests([record.subjects[0]!.digest])).toEqual(new Set([record.subjects[0]!.digest]));
    // Idempotent by the document's bytes.
    const again = await service(publicGood).ingest(JS_V03, "token-b");
    expect(again).toEqual({ record, created: false });
  });

  it("verifies sigstore-js 2.0.0's SLSA v1 provenance and extracts its facts (GitHub Actions, commit, run)", async () => {
    const { record } = await service({ roots: [{ name: "go", root: GO_ROOT }] }).ingest(GO_PROVENANCE, "token-a");
    expect(record.verified).toBe(true);
    expect(record.signer).toEqual({
      kind: "certificate",
      identity: "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
      issuer: "https://token.actions.githubusercontent.com",
    });
    expect(record.provenance).toMatchObject({
      predicateType: "https://slsa.dev/provenance/v1",
      builderId: expect.stringMatching(/^https:\/\/github\.com\/actions\/runner/),
      sourceRepo: "https://github.com/sigstore/sigstore-js",
      sourceCommit: expect.stringMatching(/^[0-9a-f]{40}$/),
      invocationId: expect.stringMatching(/^https:\/\/github\.com\/sigstore\/sigstore-js\/actions\/runs\//),
      complete: true,
    });
    const facts = await store.provenanceFacts([record.subjects[0]!.digest]);
    expect(facts).toHaveLength(1);
    expect(await store.bySourceCommit(record.provenance!.sourceCommit!)).toHaveLength(1);
    expect(await store.readPredicate(record.id)).toMatchObject({ buildDefinition: { buildType: "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1" } });
  });

  it("stores a real bundle as UNVERIFIED with the reason when no root is configured, or the wrong one: never counted as signed", async () => {
    const none = await service({}).ingest(GO_PROVENANCE, "token-a");
    expect(none.record.verified).toBe(false);
    expect(none.record.reason).toMatch(/^VERIFY_CERTIFICATE_CHAIN: no trusted root is configured/);
    // What the certificate claims is kept, marked by the record as unverified.
    expect(none.record.signer?.identity).toBe("https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main");
    expect(none.record.provenance?.complete).toBe(true);
    const digest = none.record.subjects[0]!.digest;
    expect(await store.signedDigests([digest])).toEqual(new Set());
    expect(await store.provenanceFacts([digest])).toEqual([]);
    expect(await store.signerIdentities()).toEqual([]);

    const wrong = await service({ roots: [{ name: "scaffolding", root: SCAFFOLDING_ROOT }] }).ingest(JS_V03, "token-a");
    expect(wrong.record.verified).toBe(false);
    expect(wrong.record.reason).toMatch(/^VERIFY_/);
    // Re-pushing the same bytes once the trust is right answers the stored (unverified) record: the verdict is the first one.
    expect((await service({ roots: [{ name: "go", root: GO_ROOT }] }).ingest(GO_PROVENANCE, "token-b")).record.verified).toBe(false);
  });

  it("verifies a keyed SLSA provenance made by vouch attest with the configured key; the wrong key leaves it unverified", async () => {
    const { bundleJson, digest } = await keyedProvenance();
    const bytes = new TextEncoder().encode(bundleJson);
    const wrong = await service({ keys: [{ name: "other", key: other.publicKey }] }).ingest(bytes, "token-a");
    expect(wrong.record.verified).toBe(false);
    expect(wrong.record.reason).toMatch(/^VERIFY_SIGNATURE/);
    await store.close();
    store = await openSqliteAttestationStore(join(mkdtempSync(join(work, "store-")), "index.sqlite"));
    const { record } = await service({ keys: [{ name: "other", key: other.publicKey }, { name: "release", key: pair.publicKey }] }).ingest(bytes, "token-a");
    expect(record).toMatchObject({ verified: true, signer: { kind: "key", identity: `sha256:${keyId(pair.publicKey)}` }, subjects: [{ name: "widget.tgz", digest }] });
    expect(record.provenance).toMatchObject({
      sourceRepo: "https://github.com/acme/widget",
      sourceCommit: "0123456789abcdef0123456789abcdef01234567",
      invocationId: "https://github.com/acme/widget/actions/runs/99/attempts/2",
      complete: true,
    });
    expect(await store.signerIdentities()).toEqual([{ digest, identity: `sha256:${keyId(pair.publicKey)}`, firstSeen: "2025-06-01T00:00:00Z", signatures: 1 }]);
  });

  it("verifies a bare DSSE envelope with the key; a tampered payload is stored unverified", async () => {
    const { bundleJson, digest } = await keyedProvenance();
    const envelope = (JSON.parse(bundleJson) as { dsseEnvelope: { payload: string; payloadType: string; signatures: unknown[] } }).dsseEnvelope;
    const trust = { keys: [{ name: "release", key: pair.publicKey }] };
    const { record } = await service(trust).ingest(new TextEncoder().encode(JSON.stringify(envelope)), "token-a");
    expect(record).toMatchObject({ kind: "dsse", verified: true, payloadType: "application/vnd.in-toto+json", subjects: [{ digest }], logEntries: [] });
    expect(record.mediaType).toBeUndefined();

    const statement = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8")) as { subject: { digest: { sha256: string } }[] };
    statement.subject[0]!.digest.sha256 = "f".repeat(64);
    const tampered = { ...envelope, payload: Buffer.from(JSON.stringify(statement)).toString("base64") };
    const t = await service(trust).ingest(new TextEncoder().encode(JSON.stringify(tampered)), "token-a");
    expect(t.record.verified).toBe(false);
    expect(t.record.reason).toMatch(/^VERIFY_SIGNATURE/);
    expect(await store.signedDigests([`sha256:${"f".repeat(64)}`])).toEqual(new Set());
  });

  it("refuses malformed documents with a coded reason and stores nothing", async () => {
    const s = service(publicGood);
    const cases: [string, string][] = [
      ["not json {", "INPUT_MALFORMED"],
      ["[1,2]", "INPUT_MALFORMED"],
      ['{"hello":"world"}', "INPUT_MALFORMED"],
      ['{"mediaType":"application/vnd.dev.sigstore.bundle.v9+json"}', "INPUT_UNSUPPORTED_FORMAT"],
      ['{"payload":"%%%","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AAAA"}]}', "INPUT_MALFORMED"],
      ['{"payload":"","payloadType":"application/vnd.in-toto+json","signatures":[]}', "INPUT_MALFORMED"],
      [`{"payload":"${Buffer.from('{"_type":"https://in-toto.io/Statement/v1","subject":[]}').toString("base64")}","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AAAA"}]}`, "INPUT_MALFORMED"],
    ];
    for (const [text, code] of cases) {
      const err = await rejectedVouchError(() => s.ingest(new TextEncoder().encode(text), "token-a"));
      expect([text, err.code]).toEqual([text, code]);
      expect(await store.find(`sha256:${createHash("sha256").update(text).digest("hex")}`)).toBeUndefined();
    }
    // A truncated real bundle.
    expect((await rejectedVouchError(() => s.ingest(JS_V03.subarray(0, 300), "token-a"))).code).toMatch(/^INPUT_/);
    expect(await store.signerIdentities()).toEqual([]);
  });
});
