import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AttestationRecord, AttestationStore, AttestationWrite } from "./ports.js";

/**
 * The AttestationStore conformance suite: every MUST and MUST NOT of ports.ts, run against every driver. A driver's
 * test file calls `describeAttestationStoreContract` with a fixture that opens its store at a fresh, empty location.
 * (src/sbom-index/attestations.test.ts feeds real bundles through the verifier; here records are made up.)
 */

export interface AttestationStoreFixture {
  open(): Promise<AttestationStore>;
  dispose?(): Promise<void>;
}

const sha = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;
const COMMIT = "0123456789abcdef0123456789abcdef01234567";

function record(seed: string, change: Partial<AttestationRecord> = {}): AttestationRecord {
  return {
    id: sha(`bundle ${seed}`),
    kind: "bundle",
    mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
    payloadType: "application/vnd.in-toto+json",
    predicateType: "https://slsa.dev/provenance/v1",
    subjects: [{ name: `app-${seed}`, digest: sha(`image ${seed}`) }],
    signer: { kind: "certificate", identity: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main", issuer: "https://token.actions.githubusercontent.com" },
    verified: true,
    logEntries: [{ logId: "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d", logIndex: "9007199254740993", integratedTime: "2025-01-02T03:04:05Z" }],
    signedAt: "2025-01-02T03:04:05Z",
    provenance: {
      predicateType: "https://slsa.dev/provenance/v1",
      builderId: "https://github.com/actions/runner",
      buildType: "https://actions.github.io/buildtypes/workflow/v1",
      sourceRepo: "https://github.com/acme/app",
      sourceCommit: COMMIT,
      invocationId: "https://github.com/acme/app/actions/runs/1/attempts/1",
      complete: true,
    },
    ingestedAt: "2025-01-03T00:00:00Z",
    ingestedBy: "token-a",
    ...change,
  };
}

function write(rec: AttestationRecord, predicate: unknown = { buildDefinition: { seed: rec.id } }): AttestationWrite {
  return { record: rec, document: new TextEncoder().encode(`{"bundle":"${rec.id}"}`), predicate };
}

export function describeAttestationStoreContract(driver: string, fixture: () => Promise<AttestationStoreFixture>): void {
  describe(`AttestationStore contract: ${driver}`, () => {
    let fx: AttestationStoreFixture;
    let store: AttestationStore;
    beforeEach(async () => {
      fx = await fixture();
      store = await fx.open();
    });
    afterEach(async () => {
      await store.close();
      await fx.dispose?.();
    });

    it("stores a record, its document and predicate exactly as given, and reads them back", async () => {
      const rec = record("a");
      const w = write(rec);
      const { record: stored, created } = await store.ingest(w);
      expect(created).toBe(true);
      expect(stored).toEqual(rec);
      expect(await store.find(rec.id)).toEqual(rec);
      expect(await store.readDocument(rec.id)).toEqual(w.document);
      expect(await store.readPredicate(rec.id)).toEqual(w.predicate);
      expect(await store.find(sha("nothing"))).toBeUndefined();
      expect(await store.readDocument(sha("nothing"))).toBeUndefined();
      expect(await store.readPredicate(sha("nothing"))).toBeUndefined();
    });

    it("is idempotent by id, and never turns an unverified record into a verified one", async () => {
      const unverified = record("u", { verified: false, reason: "VERIFY_CHAIN: the certificate does not chain to a trusted CA" });
      expect((await store.ingest(write(unverified))).created).toBe(true);
      const again = await store.ingest(write({ ...unverified, verified: true, reason: undefined as never, ingestedBy: "token-b" }));
      expect(again.created).toBe(false);
      expect(again.record).toEqual(unverified);
      expect(await store.signedDigests([unverified.subjects[0]!.digest])).toEqual(new Set());
    });

    it("answers concurrent identical ingests with one record", async () => {
      const rec = record("c");
      const results = await Promise.all(Array.from({ length: 8 }, () => store.ingest(write(rec))));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      for (const r of results) expect(r.record).toEqual(rec);
      expect(await store.forDigests([rec.subjects[0]!.digest])).toEqual([rec]);
    });

    it("stores nothing of a write whose timestamps are not RFC 3339", async () => {
      const rec = record("bad", { signedAt: "yesterday" });
      await expect(store.ingest(write(rec))).rejects.toMatchObject({ code: "INPUT_MALFORMED" });
      expect(await store.find(rec.id)).toBeUndefined();
    });

    it("finds attestations by subject digest (verified or not), sorted by ingestedAt then id, each once", async () => {
      const shared = sha("image shared");
      const late = record("late", { subjects: [{ name: "x", digest: shared }, { name: "y", digest: shared }], ingestedAt: "2025-02-01T00:00:00Z" });
      const early = record("early", { subjects: [{ name: "z", digest: shared }], verified: false, reason: "VERIFY_KEY: no key", ingestedAt: "2025-01-01T00:00:00.5+01:00" });
      await store.ingest(write(late));
      await store.ingest(write(early));
      await store.ingest(write(record("other")));
      const found = await store.forDigests([shared, sha("image none")]);
      expect(found.map((r) => r.id)).toEqual([early.id, late.id]);
      expect(found[1]!.subjects).toEqual([
        { name: "x", digest: shared },
        { name: "y", digest: shared },
      ]);
      expect(found[0]!.ingestedAt).toBe("2024-12-31T23:00:00.5Z");
    });

    it("signedDigests counts verified attestations only", async () => {
      const a = record("a");
      const b = record("b", { verified: false, reason: "VERIFY_SIGNATURE: bad" });
      await store.ingest(write(a));
      await store.ingest(write(b));
      const digests = [a.subjects[0]!.digest, b.subjects[0]!.digest, sha("image none")];
      expect(await store.signedDigests(digests)).toEqual(new Set([a.subjects[0]!.digest]));
      expect(await store.signedDigests([])).toEqual(new Set());
    });

    it("signerIdentities: one row per digest and signer over verified attestations, first seen and count, filtered by since", async () => {
      const digest = sha("image s");
      const key = { kind: "key" as const, identity: "sha256:keyid" };
      await store.ingest(write(record("s1", { subjects: [{ name: "s", digest }], signedAt: "2025-03-01T00:00:00Z" })));
      await store.ingest(write(record("s2", { subjects: [{ name: "s", digest }], signedAt: "2025-02-01T00:00:00Z" })));
      await store.ingest(write(record("s3", { subjects: [{ name: "s", digest }], signer: key, signedAt: undefined as never, ingestedAt: "2025-04-01T00:00:00Z", provenance: undefined as never })));
      await store.ingest(write(record("s4", { subjects: [{ name: "s", digest }], signer: { kind: "key", identity: "sha256:unverified" }, verified: false, reason: "VERIFY_KEY: x" })));
      const rows = await store.signerIdentities();
      expect(rows).toEqual([
        { digest, identity: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main", issuer: "https://token.actions.githubusercontent.com", firstSeen: "2025-02-01T00:00:00Z", signatures: 2 },
        { digest, identity: "sha256:keyid", firstSeen: "2025-04-01T00:00:00Z", signatures: 1 },
      ]);
      expect((await store.signerIdentities({ since: "2025-03-01T00:00:00+00:00" })).map((r) => r.identity)).toEqual(["sha256:keyid"]);
      await expect(store.signerIdentities({ since: "last week" })).rejects.toMatchObject({ code: "INPUT_MALFORMED" });
    });

    it("provenanceFacts: verified provenance per subject digest", async () => {
      const a = record("p");
      const incomplete = record("q", { subjects: a.subjects, provenance: { predicateType: "https://slsa.dev/provenance/v0.2", builderId: "b", complete: false } });
      const unverified = record("r", { subjects: a.subjects, verified: false, reason: "VERIFY_CHAIN: x" });
      const noProvenance = record("n", { subjects: a.subjects, predicateType: "https://spdx.dev/Document", provenance: undefined as never });
      for (const r of [a, incomplete, unverified, noProvenance]) await store.ingest(write(r));
      const facts = await store.provenanceFacts([a.subjects[0]!.digest]);
      const expected = [
        { digest: a.subjects[0]!.digest, attestationId: a.id, ...a.provenance! },
        { digest: a.subjects[0]!.digest, attestationId: incomplete.id, ...incomplete.provenance! },
      ].sort((x, y) => (x.attestationId < y.attestationId ? -1 : 1));
      expect(facts).toEqual(expected);
    });

    it("bySourceCommit matches the whole commit or a hex prefix, verified only; bySigner by identity and issuer", async () => {
      const a = record("a");
      const other = record("o", { provenance: { ...a.provenance!, sourceCommit: "f".repeat(40) } });
      const unverified = record("u", { verified: false, reason: "VERIFY_CHAIN: x" });
      for (const r of [a, other, unverified]) await store.ingest(write(r));
      expect((await store.bySourceCommit(COMMIT)).map((r) => r.id)).toEqual([a.id]);
      expect((await store.bySourceCommit(COMMIT.slice(0, 7).toUpperCase())).map((r) => r.id)).toEqual([a.id]);
      expect(await store.bySourceCommit(COMMIT.slice(0, 6))).toEqual([]);
      expect((await store.bySigner(a.signer!.identity)).map((r) => r.id).sort()).toEqual([a.id, other.id].sort());
      expect(await store.bySigner(a.signer!.identity, "https://accounts.example.com")).toEqual([]);
    });

    it("treats SQL-significant characters in every value as data", async () => {
      const odd = "x'; drop table attestations; --%_\\";
      const rec = record("odd", { subjects: [{ name: odd, digest: odd }], signer: { kind: "key", identity: odd, issuer: odd }, provenance: { ...record("a").provenance!, sourceCommit: odd } });
      await store.ingest(write(rec));
      await store.ingest(write(record("plain")));
      expect((await store.forDigests(["x'%"])).length).toBe(0);
      expect((await store.forDigests([odd])).map((r) => r.id)).toEqual([rec.id]);
      expect((await store.bySigner("%")).length).toBe(0);
      expect((await store.bySigner(odd, odd)).map((r) => r.id)).toEqual([rec.id]);
      expect((await store.bySourceCommit(odd)).map((r) => r.id)).toEqual([rec.id]);
      expect((await store.bySourceCommit("%")).length).toBe(0);
      expect(await store.signedDigests([odd, "%"])).toEqual(new Set([odd]));
      expect(await store.find(rec.id)).toEqual({ ...rec, provenance: { ...rec.provenance!, sourceCommit: odd.toLowerCase() } });
    });

    it("answers ping, and refuses work once closed", async () => {
      await store.ping();
      const closed = await fx.open();
      await closed.close();
      await expect(closed.find(sha("x"))).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
    });
  });
}
