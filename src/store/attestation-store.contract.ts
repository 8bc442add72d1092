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
  /** Runs SQL statements (separated by `;`) on the store's database, no store open: to make an older schema. */
  sql(statements: string): Promise<void>;
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
      byproducts: [{ digest: sha(`sbom ${seed}`), name: "sbom.cdx.json" }],
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

    it("lists newest ingest first (instants, then id, descending), filtered by verified and subject digest, walking pages each once", async () => {
      const shared = sha("image listed");
      const recs = [
        record("l1", { ingestedAt: "2025-01-01T00:00:00Z" }),
        record("l2", { ingestedAt: "2025-01-02T01:00:00+01:00", verified: false, reason: "VERIFY_SIGNATURE: bad", subjects: [{ name: "s", digest: shared }] }), // 00:00Z
        record("l3", { ingestedAt: "2025-01-02T00:00:00Z", subjects: [{ name: "s", digest: shared }, { name: "t", digest: sha("image l3") }] }),
        record("l4", { ingestedAt: "2025-01-03T00:00:00.000000001Z", verified: false, reason: "VERIFY_CHAIN: untrusted" }),
        record("l5", { ingestedAt: "2025-01-02T12:00:00Z" }),
      ];
      for (const r of recs) await store.ingest(write(r));
      // l2 and l3 share an instant: the greater id first.
      const tie = [recs[1]!, recs[2]!].sort((a, b) => (a.id < b.id ? 1 : -1)).map((r) => r.id);
      const ids = (page: { attestations: AttestationRecord[] }) => page.attestations.map((r) => r.id);
      const all = await store.list();
      expect(ids(all)).toEqual([recs[3]!.id, recs[4]!.id, ...tie, recs[0]!.id]);
      expect(all.next).toBeUndefined();
      expect(all.attestations[0]).toEqual({ ...recs[3]!, ingestedAt: "2025-01-03T00:00:00.000000001Z" });
      expect(ids(await store.list({ verified: false }))).toEqual([recs[3]!.id, recs[1]!.id]);
      expect(ids(await store.list({ digest: shared }))).toEqual(tie);
      expect(ids(await store.list({ digest: shared, verified: true }))).toEqual([recs[2]!.id]);
      expect(ids(await store.list({ digest: "sha256:%" }))).toEqual([]);
      const first = await store.list({ limit: 2 });
      expect(ids(first)).toEqual([recs[3]!.id, recs[4]!.id]);
      await store.ingest(write(record("newer", { ingestedAt: "2025-02-01T00:00:00Z" }))); // before the cursor: not on this walk
      await store.ingest(write(record("older", { ingestedAt: "2024-12-01T00:00:00Z" }))); // after it: seen at the end
      const seen = ids(first);
      let next = first.next;
      while (next !== undefined) {
        const page = await store.list({ limit: 2, cursor: next });
        seen.push(...ids(page));
        next = page.next;
      }
      expect(seen).toEqual([recs[3]!.id, recs[4]!.id, ...tie, recs[0]!.id, record("older").id]);
      await expect(store.list({ cursor: "not-a-cursor" })).rejects.toMatchObject({ code: "INPUT_MALFORMED" });
    });

    it("signers: one row per signer over verified attestations, first and last seen (signedAt, else ingestedAt), each attestation counted once", async () => {
      const key = { kind: "key" as const, identity: "sha256:abc" };
      await store.ingest(write(record("k1", { signer: key, signedAt: "2025-01-05T00:00:00+01:00", subjects: [{ name: "a", digest: sha("image x") }, { name: "b", digest: sha("image y") }] })));
      await store.ingest(write(record("k2", { signer: key, signedAt: undefined as never, ingestedAt: "2025-03-01T00:00:00Z" })));
      await store.ingest(write(record("k3", { signer: key, signedAt: "2025-01-01T00:00:00Z" })));
      await store.ingest(write(record("k-bad", { signer: key, verified: false, reason: "VERIFY_SIGNATURE: bad", signedAt: "2024-01-01T00:00:00Z" })));
      await store.ingest(write(record("cert")));
      await store.ingest(write(record("cert2", { signer: { kind: "certificate", identity: "sha256:abc", issuer: "https://issuer.example" }, signedAt: "2025-02-01T00:00:00Z" })));
      await store.ingest(write(record("anon", { signer: undefined as never })));
      expect(await store.signers()).toEqual([
        { kind: "certificate", identity: record("cert").signer!.identity, issuer: record("cert").signer!.issuer, firstSeen: "2025-01-02T03:04:05Z", lastSeen: "2025-01-02T03:04:05Z", signatures: 1 },
        { kind: "key", identity: "sha256:abc", firstSeen: "2025-01-01T00:00:00Z", lastSeen: "2025-03-01T00:00:00Z", signatures: 3 },
        { kind: "certificate", identity: "sha256:abc", issuer: "https://issuer.example", firstSeen: "2025-02-01T00:00:00Z", lastSeen: "2025-02-01T00:00:00Z", signatures: 1 },
      ]);
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

    it("upgrades a database made before byproducts were stored: they are read from the predicates it holds", async () => {
      const hex = (text: string) => sha(text).slice("sha256:".length);
      const slsa = (...byproducts: unknown[]) => ({ buildDefinition: { buildType: "b" }, runDetails: { builder: { id: "x" }, byproducts } });
      const before = (seed: string, change: Partial<AttestationRecord> = {}) => {
        const r = record(seed, change);
        const { byproducts: _dropped, ...facts } = r.provenance!;
        return { ...r, provenance: facts };
      };
      const verified = before("v");
      const unverified = before("u", { verified: false, reason: "VERIFY_KEY: x" });
      const v02 = before("v02", { predicateType: "https://slsa.dev/provenance/v0.2", provenance: { predicateType: "https://slsa.dev/provenance/v0.2", complete: false } });
      const broken = before("broken");
      const none = before("none");
      await store.ingest(write(verified, slsa({ name: "sbom.cdx.json", digest: { sha256: hex("sbom v").toUpperCase() } }, { uri: "log", digest: { sha256: hex("log v") } }, { name: "bad", digest: { sha256: "x" } }, null)));
      await store.ingest(write(unverified, slsa({ name: "sbom.spdx.json", digest: { sha256: hex("sbom u") } })));
      await store.ingest(write(v02, slsa({ name: "v0.2 has no byproducts", digest: { sha256: hex("sbom v02") } })));
      await store.ingest(write(broken, slsa({ name: "sbom.cdx.json", digest: { sha256: hex("sbom broken") } })));
      await store.ingest(write(none, slsa()));
      // More rows than the migration reads at once.
      const many = Array.from({ length: 205 }, (_, i) => before(`many ${i}`));
      for (const r of many) await store.ingest(write(r, slsa({ digest: { sha256: hex(`sbom ${r.id}`) } })));
      await store.close();
      // Back to migration 0001's schema, as a database in the field has it; one predicate corrupt on disk.
      await fx.sql(
        `drop index attestations_ingested; alter table attestations drop column byproducts; delete from vouch_attestation_migration where name <> '0001_attestations';` +
          `update attestation_documents set predicate = '{"runDetails": [' where attestation_seq = (select seq from attestations where id = '${broken.id}')`,
      );
      store = await fx.open();
      expect((await store.find(verified.id))?.provenance?.byproducts).toEqual([
        { digest: sha("log v") },
        { digest: sha("sbom v"), name: "sbom.cdx.json" },
      ]);
      expect(await store.find(verified.id)).toEqual({ ...verified, provenance: { ...verified.provenance, byproducts: expect.any(Array) } });
      expect((await store.find(unverified.id))?.provenance?.byproducts).toEqual([{ digest: sha("sbom u"), name: "sbom.spdx.json" }]);
      for (const r of [v02, broken, none]) expect(await store.find(r.id)).toEqual(r);
      expect((await store.provenanceFacts([verified.subjects[0]!.digest]))[0]?.byproducts).toHaveLength(2);
      const upgraded = await store.forDigests(many.map((r) => r.subjects[0]!.digest));
      expect(upgraded).toHaveLength(many.length);
      for (const r of upgraded) expect(r.provenance?.byproducts).toEqual([{ digest: sha(`sbom ${r.id}`) }]);
      // And a new ingest stores them as before.
      const after = record("after");
      await store.ingest(write(after));
      expect(await store.find(after.id)).toEqual(after);
    });

    it("answers ping, and refuses work once closed", async () => {
      await store.ping();
      const closed = await fx.open();
      await closed.close();
      await expect(closed.find(sha("x"))).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
    });
  });
}
