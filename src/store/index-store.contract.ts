import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { VouchError } from "../core/errors.js";
import type { IndexComponent, IndexComponentHit, IndexDeployment, IndexSbom, IndexSbomWrite, IndexStore } from "./ports.js";

/**
 * The IndexStore conformance suite: every MUST and MUST NOT of ports.ts, run against every driver. A driver's test
 * file calls `describeIndexStoreContract` with a fixture that opens its store at a fresh, empty location per test.
 * (The service's tests, src/sbom-index/service.test.ts, feed the store real SBOMs; here the rows are made up so that
 * each case says exactly what it checks.)
 */

export interface IndexStoreFixture {
  /** Opens (again) the store at this fixture's location, which starts out empty. */
  open(): Promise<IndexStore>;
  /** Removes the location once every store on it is closed. */
  dispose?(): Promise<void>;
}

const sha = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;

function sbomRecord(seed: string, change: Partial<IndexSbom> = {}): IndexSbom {
  return {
    id: sha(`sbom ${seed}`),
    service: `svc-${seed}`,
    version: "1.0.0",
    digest: sha(`image ${seed}`),
    format: "cyclonedx",
    specVersion: "1.6",
    components: 0,
    withoutPurl: 0,
    ingestedAt: "2025-01-02T03:04:05Z",
    ingestedBy: "token-a",
    ...change,
  };
}

function log4j(version: string): IndexComponent {
  return {
    name: "log4j-core",
    version,
    purl: `pkg:maven/org.apache.logging.log4j/log4j-core@${version}`,
    purlKey: { type: "maven", namespace: "org.apache.logging.log4j", name: "log4j-core" },
    osvKey: { ecosystem: "Maven", name: "org.apache.logging.log4j:log4j-core", version },
    license: "Apache-2.0",
  };
}

function filler(i: number): IndexComponent {
  return { name: `pkg-${i}`, version: `1.0.${i}`, purl: `pkg:npm/pkg-${i}@1.0.${i}`, purlKey: { type: "npm", namespace: "", name: `pkg-${i}` }, osvKey: { ecosystem: "npm", name: `pkg-${i}`, version: `1.0.${i}` } };
}

function write(sbom: IndexSbom, components: IndexComponent[], document = `{"doc":"${sbom.id}"}`): IndexSbomWrite {
  return { sbom: { ...sbom, components: components.length }, document: new TextEncoder().encode(document), components };
}

function deployment(change: Partial<IndexDeployment> & { id: string }): IndexDeployment {
  return {
    service: "checkout",
    environment: "prod",
    digest: sha("image a"),
    deployedAt: "2025-01-01T00:00:00Z",
    source: "push",
    by: "token-a",
    recordedAt: "2025-01-05T00:00:00Z",
    ...change,
  };
}

/** The VouchError a call rejects with (contract files live in src/ and may not import test/support). */
async function rejectedVouchError(run: () => Promise<unknown>): Promise<VouchError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof VouchError) return err;
    throw err;
  }
  throw new Error("expected a VouchError");
}

/** Every deployment's facts (current and history) are the ones computed from `listSboms` (what the SLIs did before the store kept them). */
async function expectFactsAsListed(store: IndexStore): Promise<void> {
  const sboms = await store.listSboms();
  const ms = (t: string) => Date.parse(t);
  const first = (xs: string[]) => xs.sort((x, y) => ms(x) - ms(y))[0];
  for (const d of [...(await store.deploymentSbomFacts()), ...(await store.deploymentSbomFacts({ history: {} }))]) {
    const own = sboms.filter((s) => s.digest === d.digest).map((s) => s.ingestedAt);
    const atDeploy = own.filter((t) => ms(t) <= ms(d.deployedAt)).sort((x, y) => ms(y) - ms(x))[0];
    expect([d.deploymentId, d.digestFirstSbomAt, d.digestSbomAtDeploy, d.serviceFirstSbomAt]).toEqual([d.deploymentId, first(own), atDeploy, first(sboms.filter((s) => s.service === d.service).map((s) => s.ingestedAt))]);
  }
}

async function* throwingAfter<T>(items: T[], error: Error): AsyncGenerator<T> {
  for (const item of items) yield item;
  throw error;
}

const LOG4J_KEY = { type: "maven", namespace: "org.apache.logging.log4j", name: "log4j-core" };

export function describeIndexStoreContract(name: string, makeFixture: () => Promise<IndexStoreFixture>): void {
  describe(`IndexStore contract: ${name}`, () => {
    let fixture: IndexStoreFixture;
    let opened: IndexStore[];

    const open = async (): Promise<IndexStore> => {
      const store = await fixture.open();
      opened.push(store);
      return store;
    };

    beforeEach(async () => {
      fixture = await makeFixture();
      opened = [];
    });

    afterEach(async () => {
      for (const store of opened) await store.close().catch(() => undefined);
      await fixture.dispose?.();
    });

    it("an empty store finds nothing and answers ping", async () => {
      const store = await open();
      await store.ping();
      expect(await store.findSbom(sha("nothing"))).toBeUndefined();
      expect(await store.readDocument(sha("nothing"))).toBeUndefined();
      expect(await store.findComponents({ purl: LOG4J_KEY })).toEqual([]);
      expect(await store.findComponents({ nameLower: "log4j-core" })).toEqual([]);
      expect(await store.findComponents({ osv: [{ ecosystem: "Maven", name: "org.apache.logging.log4j:log4j-core" }] })).toEqual([]);
      expect(await store.currentDeployments([sha("image a")])).toEqual([]);
    });

    it("stores an SBOM, its document byte for byte and its components, found by every key, reopened", async () => {
      let store = await open();
      const sbom = sbomRecord("a");
      const document = `{"bomFormat":"CycloneDX","specVersion":"1.6","x":"${"\u00e9\u2603".repeat(1000)}"}`;
      const image: IndexComponent = { name: "redis", version: "7.2", purl: "pkg:oci/redis@sha256%3Aabc", purlVersion: "sha256:abc", purlKey: { type: "oci", namespace: "", name: "redis" } };
      const components = [filler(1), log4j("2.14.1"), { name: "No-Purl Thing", version: "3" }, filler(2), image];
      const result = await store.ingestSbom(write(sbom, components, document));
      expect(result).toEqual({ created: true, sbom: { ...sbom, components: 5 } });
      await store.close();
      store = await open();
      expect(await store.findSbom(sbom.id)).toEqual({ ...sbom, components: 5 });
      expect(new TextDecoder().decode(await store.readDocument(sbom.id))).toBe(document);
      const byPurl = await store.findComponents({ purl: LOG4J_KEY });
      expect(byPurl).toEqual([{ sbom: { id: sbom.id, service: sbom.service, version: "1.0.0", digest: sbom.digest }, component: log4j("2.14.1") }]);
      expect(await store.findComponents({ nameLower: "log4j-core" })).toEqual(byPurl);
      expect(await store.findComponents({ osv: [{ ecosystem: "Maven", name: "org.apache.logging.log4j:log4j-core" }, { ecosystem: "npm", name: "pkg-2" }] })).toEqual([
        byPurl[0],
        { sbom: byPurl[0]!.sbom, component: filler(2) },
      ]);
      expect((await store.findComponents({ purl: { type: "oci", namespace: "", name: "redis" } })).map((h) => h.component)).toEqual([image]);
      // A component without a purl has no purl or OSV key and is found by name only.
      expect((await store.findComponents({ nameLower: "no-purl thing" })).map((h) => h.component)).toEqual([{ name: "No-Purl Thing", version: "3" }]);
      // Keys are exact: another namespace, type or case is another package.
      expect(await store.findComponents({ purl: { ...LOG4J_KEY, namespace: "" } })).toEqual([]);
      expect(await store.findComponents({ purl: { ...LOG4J_KEY, type: "npm" } })).toEqual([]);
      expect(await store.findComponents({ purl: { ...LOG4J_KEY, name: "Log4j-core" } })).toEqual([]);
    });

    it("keeps optional fields absent, not null, and orders hits by SBOM id then position", async () => {
      const store = await open();
      const bare = sbomRecord("bare");
      delete bare.version;
      delete bare.digest;
      const other = sbomRecord("other");
      await store.ingestSbom(write(bare, [log4j("2.16.0"), { ...log4j("2.0"), version: undefined } as IndexComponent]));
      await store.ingestSbom(write(other, [log4j("2.17.1")]));
      expect(await store.findSbom(bare.id)).toEqual({ ...bare, components: 2 });
      const hits = await store.findComponents({ purl: LOG4J_KEY });
      const expected = [
        { sbom: { id: bare.id, service: bare.service }, version: "2.16.0" },
        { sbom: { id: bare.id, service: bare.service }, version: undefined },
        { sbom: { id: other.id, service: other.service, version: "1.0.0", digest: other.digest }, version: "2.17.1" },
      ].sort((a, b) => (a.sbom.id < b.sbom.id ? -1 : a.sbom.id > b.sbom.id ? 1 : 0));
      expect(hits.map((h) => ({ sbom: h.sbom, version: h.component.version }))).toEqual(expected);
      expect("version" in hits.find((h) => h.component.version === undefined)!.component).toBe(false);
    });

    it("fields \"impact\": the same hits, each component with only name, version, purl, purlVersion and purlKey", async () => {
      const store = await open();
      const image: IndexComponent = { name: "redis", version: "7.2", purl: "pkg:oci/redis@sha256%3Aabc", purlVersion: "sha256:abc", purlKey: { type: "oci", namespace: "", name: "redis" }, license: "BSD-3-Clause" };
      const bare: IndexComponent = { name: "redis" };
      const [a, b] = [sbomRecord("impact a"), sbomRecord("impact b")];
      await store.ingestSbom(write(a, [filler(1), log4j("2.14.1"), image, log4j("2.16.0")]));
      await store.ingestSbom(write(b, [log4j("2.17.1"), { ...image, version: "7.4", purlVersion: "sha256:def" }, bare]));
      const impact = ({ name, version, purl, purlVersion, purlKey }: IndexComponent): IndexComponent =>
        JSON.parse(JSON.stringify({ name, version, purl, purlVersion, purlKey })) as IndexComponent;
      for (const lookup of [{ purl: LOG4J_KEY }, { purl: { type: "oci", namespace: "", name: "redis" } }, { nameLower: "redis" }, { nameLower: "pkg-1" }]) {
        const all = await store.findComponents(lookup);
        expect(all.length).toBeGreaterThan(0);
        const narrow = await store.findComponents(lookup, { fields: "impact" });
        expect(narrow).toEqual(all.map((h) => ({ sbom: h.sbom, component: impact(h.component) })));
        for (const h of narrow) expect(Object.keys(h.component).every((k) => ["name", "version", "purl", "purlVersion", "purlKey"].includes(k))).toBe(true);
      }
      expect(await store.findComponents({ purl: LOG4J_KEY }, { fields: "all" })).toEqual(await store.findComponents({ purl: LOG4J_KEY }));
      expect(await store.findComponents({ purl: { ...LOG4J_KEY, namespace: "" } }, { fields: "impact" })).toEqual([]);
    });

    it("fields \"impact\": one version in many SBOMs (twice in one) gives every hit in order, read-only", async () => {
      const store = await open();
      const records = [1, 2, 3, 4, 5].map((n) => sbomRecord(`shared version ${n}`));
      for (const [i, r] of records.entries()) await store.ingestSbom(write(r, i === 2 ? [log4j("2.14.1"), filler(2), log4j("2.14.1")] : [filler(i), log4j("2.14.1")]));
      const all = await store.findComponents({ purl: LOG4J_KEY });
      const narrow = await store.findComponents({ purl: LOG4J_KEY }, { fields: "impact" });
      expect(narrow).toHaveLength(6);
      expect(narrow.map((h) => h.sbom)).toEqual(all.map((h) => h.sbom));
      expect(narrow.map((h) => h.sbom.id)).toEqual([...narrow.map((h) => h.sbom.id)].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
      // Hits may share their objects, so they are frozen: a change throws and changes no other hit and no later answer.
      for (const hits of [narrow, all]) {
        expect(() => (hits[0]!.component.name = "changed")).toThrow(TypeError);
        expect(() => (hits[0]!.component.purlKey!.name = "changed")).toThrow(TypeError);
        expect(() => (hits[0]!.sbom.service = "changed")).toThrow(TypeError);
      }
      expect(() => (all[0]!.component.osvKey!.name = "changed")).toThrow(TypeError);
      expect(narrow.every((h) => h.component.name === "log4j-core" && h.component.purlKey!.name === "log4j-core" && h.sbom.service !== "changed")).toBe(true);
      expect((await store.findComponents({ purl: LOG4J_KEY }, { fields: "impact" }))[0]!.component.name).toBe("log4j-core");
    });

    it("hits after later ingests, by this store and by a second store on the same data (a replica), each carry their own SBOM", async () => {
      const [store, replica] = [await open(), await open()];
      const [a, b, c] = [sbomRecord("later a"), sbomRecord("later b", { version: "2.0.0" }), sbomRecord("later c")];
      delete c.digest;
      await store.ingestSbom(write(a, [log4j("2.14.1")]));
      const fields = (s: IndexSbom) => JSON.parse(JSON.stringify({ id: s.id, service: s.service, version: s.version, digest: s.digest })) as IndexComponentHit["sbom"];
      for (const fieldsAsked of ["all", "impact"] as const) expect((await store.findComponents({ purl: LOG4J_KEY }, { fields: fieldsAsked })).map((h) => h.sbom)).toEqual([fields(a)]);
      await replica.ingestSbom(write(b, [filler(3), log4j("2.16.0")]));
      await store.ingestSbom(write(c, [log4j("2.17.1")]));
      const expected = [a, b, c].map(fields).sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
      for (const s of [store, replica]) {
        for (const fieldsAsked of ["all", "impact"] as const) {
          const hits = await s.findComponents({ purl: LOG4J_KEY }, { fields: fieldsAsked });
          expect(hits.map((h) => h.sbom)).toEqual(expected);
          // Each hit's SBOM is read-only: a change throws and no later answer sees it.
          expect(() => (hits[0]!.sbom.service = "changed")).toThrow(TypeError);
          expect((await s.findComponents({ nameLower: "log4j-core" }, { fields: fieldsAsked })).map((h) => h.sbom)).toEqual(expected);
        }
      }
    });

    it("is idempotent by id: a second ingest stores nothing and answers the stored SBOM", async () => {
      const store = await open();
      const first = sbomRecord("a");
      await store.ingestSbom(write(first, [log4j("2.14.1"), filler(1)]));
      const again = await store.ingestSbom(write({ ...first, service: "someone-else", ingestedBy: "token-b" }, [log4j("2.14.1"), filler(1), filler(2)], "other bytes"));
      expect(again).toEqual({ created: false, sbom: { ...first, components: 2 } });
      expect(await store.findComponents({ purl: LOG4J_KEY })).toHaveLength(1);
      expect(await store.findComponents({ nameLower: "pkg-2" })).toEqual([]);
      expect(new TextDecoder().decode(await store.readDocument(first.id))).toBe(`{"doc":"${first.id}"}`);
    });

    it("stores nothing of an SBOM whose components fail part-way (past the first batch), and takes it again after", async () => {
      const store = await open();
      const sbom = sbomRecord("big");
      const many = Array.from({ length: 2500 }, (_, i) => filler(i));
      const failing: IndexSbomWrite = { sbom: { ...sbom, components: 2501 }, document: new Uint8Array([1, 2, 3]), components: throwingAfter([...many, log4j("2.14.1")], new Error("the reader broke")) };
      await expect(store.ingestSbom(failing)).rejects.toThrow(/the reader broke/);
      expect(await store.findSbom(sbom.id)).toBeUndefined();
      expect(await store.readDocument(sbom.id)).toBeUndefined();
      expect(await store.findComponents({ purl: LOG4J_KEY })).toEqual([]);
      expect(await store.findComponents({ nameLower: "pkg-1" })).toEqual([]);
      const result = await store.ingestSbom(write(sbom, [...many, log4j("2.14.1")]));
      expect(result.created).toBe(true);
      expect(await store.findComponents({ purl: LOG4J_KEY })).toHaveLength(1);
      expect(await store.findComponents({ nameLower: "pkg-2499" })).toHaveLength(1);
    });

    it("8 concurrent ingests (4 SBOMs, each twice) while queries run: each SBOM once, every caller answered the same", async () => {
      const store = await open();
      const seeds = ["c0", "c1", "c2", "c3"];
      const writes = seeds.map((seed) => write(sbomRecord(seed), [log4j("2.14.1"), ...Array.from({ length: 1200 }, (_, i) => filler(i))]));
      const queries: Promise<unknown>[] = [];
      let stop = false;
      const querying = (async () => {
        while (!stop) {
          const hits = await store.findComponents({ purl: LOG4J_KEY });
          // A reader sees whole SBOMs only: never a log4j row without its SBOM's 1,200 others.
          for (const h of hits) queries.push(store.findComponents({ nameLower: "pkg-1199" }).then((rows) => expect(rows.map((r) => r.sbom.id)).toContain(h.sbom.id)));
          await new Promise((r) => setImmediate(r));
        }
      })();
      const results = await Promise.all([...writes, ...writes].map((w) => store.ingestSbom(w)));
      stop = true;
      await querying;
      await Promise.all(queries);
      for (const [i, seed] of seeds.entries()) {
        const pair = [results[i]!, results[i + seeds.length]!];
        expect(pair.map((r) => r.created).sort()).toEqual([false, true]);
        expect(pair[0]!.sbom).toEqual(pair[1]!.sbom);
        expect(pair[0]!.sbom.service).toBe(`svc-${seed}`);
      }
      expect(await store.findComponents({ purl: LOG4J_KEY })).toHaveLength(4);
      expect(await store.findComponents({ nameLower: "pkg-7" })).toHaveLength(4);
    });

    it("concurrent ingests with failures among them: each failing SBOM stores nothing, every other one is stored whole", async () => {
      const store = await open();
      // Interleaved: good, failing part-way, good, failing at once, good, a duplicate of the first, a deployment.
      const good = ["g0", "g1", "g2"].map((seed) => write(sbomRecord(seed), [log4j("2.14.1"), ...Array.from({ length: 1100 }, (_, i) => filler(i))]));
      const broken = (seed: string, after: number): IndexSbomWrite => ({
        sbom: { ...sbomRecord(seed), components: after + 1 },
        document: new Uint8Array([1]),
        components: throwingAfter(Array.from({ length: after }, (_, i) => filler(i)), new Error(`${seed} broke`)),
      });
      const outcomes = await Promise.allSettled([
        store.ingestSbom(good[0]!),
        store.ingestSbom(broken("b0", 1500)),
        store.ingestSbom(good[1]!),
        store.ingestSbom(broken("b1", 0)),
        store.ingestSbom(good[2]!),
        store.ingestSbom(good[0]!),
        store.ingestDeployment(deployment({ id: "during", digest: good[0]!.sbom.digest! })),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled", "rejected", "fulfilled", "fulfilled", "fulfilled"]);
      expect(outcomes.flatMap((o) => (o.status === "rejected" ? [(o.reason as Error).message] : []))).toEqual([expect.stringMatching(/b0 broke/), expect.stringMatching(/b1 broke/)]);
      expect(outcomes.flatMap((o, i) => (o.status === "fulfilled" && i !== 6 ? [(o.value as { created: boolean }).created] : [])).sort()).toEqual([false, true, true, true]);
      for (const seed of ["b0", "b1"]) expect(await store.findSbom(sha(`sbom ${seed}`))).toBeUndefined();
      for (const w of good) expect(await store.findSbom(w.sbom.id)).toMatchObject({ components: 1101 });
      expect((await store.findComponents({ purl: LOG4J_KEY })).map((h) => h.sbom.id).sort()).toEqual(good.map((w) => w.sbom.id).sort());
      // Each good SBOM's fillers once, none of the broken ones'.
      expect(await store.findComponents({ nameLower: "pkg-0" })).toHaveLength(3);
      expect(await store.findComponents({ nameLower: "pkg-1099" })).toHaveLength(3);
      expect(await store.findComponents({ nameLower: "pkg-1499" })).toEqual([]);
      expect((await store.currentDeployments([good[0]!.sbom.digest!])).map((d) => d.deploymentId)).toEqual(["during"]);
      // A failed SBOM can be ingested again, whole.
      expect((await store.ingestSbom(write(sbomRecord("b0"), [filler(1)]))).created).toBe(true);
    });

    it("keeps the latest deployment per (service, environment) as current, whatever the arrival order", async () => {
      const store = await open();
      const [a, b, c] = [sha("image a"), sha("image b"), sha("image c")];
      // Arrival order: newest first, then an older one, then one at the same instant written with an offset.
      expect(await store.ingestDeployment(deployment({ id: "d2", digest: b, deployedAt: "2025-02-01T12:00:00Z" }))).toEqual({ created: true });
      expect(await store.ingestDeployment(deployment({ id: "d1", digest: a, deployedAt: "2025-01-01T00:00:00Z" }))).toEqual({ created: true });
      await store.ingestDeployment(deployment({ id: "d0", digest: c, deployedAt: "2025-02-01T13:00:00+01:00" }));
      await store.ingestDeployment(deployment({ id: "s1", environment: "staging", digest: a, deployedAt: "2025-03-01T00:00:00.250Z" }));
      expect(await store.currentDeployments([a, b, c])).toEqual([
        { service: "checkout", environment: "prod", digest: b, deployedAt: "2025-02-01T12:00:00Z", deploymentId: "d2" },
        { service: "checkout", environment: "staging", digest: a, deployedAt: "2025-03-01T00:00:00.25Z", deploymentId: "s1" },
      ]);
      // Same instant as d2 with a greater id: it wins the tie, in either arrival order.
      await store.ingestDeployment(deployment({ id: "d3", digest: c, deployedAt: "2025-02-01T12:00:00.000Z" }));
      expect((await store.currentDeployments([c])).map((d) => d.deploymentId)).toEqual(["d3"]);
      expect(await store.currentDeployments([a])).toHaveLength(1);
      expect(await store.currentDeployments([b])).toEqual([]);
    });

    it("is idempotent by deployment id and refuses a timestamp that is not RFC 3339, storing nothing", async () => {
      const store = await open();
      const a = sha("image a");
      await store.ingestDeployment(deployment({ id: "d1", digest: a }));
      expect(await store.ingestDeployment(deployment({ id: "d1", digest: sha("image b"), deployedAt: "2030-01-01T00:00:00Z" }))).toEqual({ created: false });
      expect((await store.currentDeployments([a])).map((d) => d.deploymentId)).toEqual(["d1"]);
      const err = await rejectedVouchError(() => store.ingestDeployment(deployment({ id: "bad", digest: sha("image z"), deployedAt: "yesterday" })));
      expect(err.code).toBe("INPUT_MALFORMED");
      expect(await store.currentDeployments([sha("image z")])).toEqual([]);
      expect((await rejectedVouchError(() => store.ingestSbom(write(sbomRecord("t", { ingestedAt: "01/02/2025" }), [])))).code).toBe("INPUT_MALFORMED");
    });

    it("currentDeploymentScopes: the distinct services and environments of what currentDeployments returns, for any number of digests", async () => {
      const store = await open();
      const digests = Array.from({ length: 1100 }, (_, i) => sha(`scopes ${i}`));
      for (const [i, digest] of digests.entries()) {
        if (i % 50 === 0) await store.ingestDeployment(deployment({ id: `s${i}`, service: `svc-${i % 300}`, environment: `env-${i % 7}`, digest }));
      }
      // An older event of a (service, environment) is not where the digest runs now.
      await store.ingestDeployment(deployment({ id: "s-old", service: "svc-0", environment: "env-0", digest: digests[1]!, deployedAt: "2024-01-01T00:00:00Z" }));
      const rows = await store.currentDeployments(digests);
      const scopes = await store.currentDeploymentScopes([...digests, ...digests]);
      expect(scopes).toEqual({
        services: [...new Set(rows.map((d) => d.service))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
        environments: [...new Set(rows.map((d) => d.environment))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      });
      expect(scopes.services).toEqual(["svc-0", "svc-100", "svc-150", "svc-200", "svc-250", "svc-50"]);
      expect(await store.currentDeploymentScopes([digests[1]!])).toEqual({ services: [], environments: [] });
      // Digest lists travel joined by commas where they can (PostgreSQL): a value holding one, or an empty one, is data.
      await store.ingestDeployment(deployment({ id: "comma", service: "svc-comma", environment: "env-comma", digest: "a,b" }));
      await store.ingestDeployment(deployment({ id: "empty", service: "svc-empty", environment: "env-empty", digest: "" }));
      expect((await store.currentDeployments(["a,b"])).map((d) => d.deploymentId)).toEqual(["comma"]);
      expect(await store.currentDeployments(["a", "b"])).toEqual([]);
      expect((await store.currentDeployments(["", digests[0]!])).map((d) => d.deploymentId)).toEqual(["s0", "empty"]);
      expect(await store.currentDeploymentScopes(["a", "b", digests[0]!])).toEqual({ services: ["svc-0"], environments: ["env-0"] });
      expect(await store.currentDeploymentScopes([])).toEqual({ services: [], environments: [] });
    });

    it("answers current deployments for more digests than one query holds", async () => {
      const store = await open();
      const digests = Array.from({ length: 1100 }, (_, i) => sha(`many ${i}`));
      for (const [i, digest] of digests.entries()) {
        if (i % 100 === 0) await store.ingestDeployment(deployment({ id: `m${i}`, environment: `env-${i}`, digest }));
      }
      expect((await store.currentDeployments(digests)).map((d) => d.deploymentId)).toEqual(Array.from({ length: 11 }, (_, i) => `m${i * 100}`).sort((x, y) => (`env-${x.slice(1)}` < `env-${y.slice(1)}` ? -1 : 1)));
    });

    it("deploymentSbomFacts: each deployment with its digest's first and at-deploy SBOM and its service's first, as listSboms has them", async () => {
      const store = await open();
      const [a, b, c, z] = [sha("image a"), sha("image b"), sha("image c"), sha("image z")];
      const sbom = (seed: string, service: string, digest: string, ingestedAt: string) => store.ingestSbom(write(sbomRecord(seed, { service, digest, ingestedAt }), []));
      // a: one SBOM before its deploy, one after; b: only after; c: none, but its service has one; z: a service without any.
      await sbom("a1", "checkout", a, "2025-01-01T00:00:00Z");
      await sbom("a2", "checkout", a, "2025-03-01T00:00:00Z");
      // Written with an offset: 2025-01-31T23:00:00Z, before the deploy at 2025-02-01T00:00:00Z.
      await sbom("a3", "checkout", a, "2025-02-01T00:00:00+01:00");
      await sbom("b1", "billing", b, "2025-04-01T00:00:00Z");
      // In the deploy's millisecond, 0.5 ms after it: counted at deploy (instants compared to the millisecond).
      await sbom("c0", "search", sha("image other"), "2025-02-10T00:00:00.0005Z");
      await store.ingestDeployment(deployment({ id: "d-a", service: "checkout", environment: "prod", digest: a, deployedAt: "2025-02-01T00:00:00Z" }));
      await store.ingestDeployment(deployment({ id: "d-b", service: "billing", environment: "prod", digest: b, deployedAt: "2025-02-05T00:00:00Z" }));
      await store.ingestDeployment(deployment({ id: "d-c-old", service: "search", environment: "prod", digest: sha("image other"), deployedAt: "2025-02-10T00:00:00Z" }));
      await store.ingestDeployment(deployment({ id: "d-c", service: "search", environment: "prod", digest: c, deployedAt: "2025-02-20T00:00:00Z" }));
      await store.ingestDeployment(deployment({ id: "d-z", service: "zeta", environment: "dev", digest: z, deployedAt: "2025-02-15T00:00:00Z" }));

      const current = await store.deploymentSbomFacts();
      expect(current).toEqual([
        { service: "billing", environment: "prod", digest: b, deployedAt: "2025-02-05T00:00:00Z", deploymentId: "d-b", digestFirstSbomAt: "2025-04-01T00:00:00Z", serviceFirstSbomAt: "2025-04-01T00:00:00Z" },
        {
          service: "checkout",
          environment: "prod",
          digest: a,
          deployedAt: "2025-02-01T00:00:00Z",
          deploymentId: "d-a",
          digestFirstSbomAt: "2025-01-01T00:00:00Z",
          digestSbomAtDeploy: "2025-01-31T23:00:00Z",
          serviceFirstSbomAt: "2025-01-01T00:00:00Z",
        },
        { service: "search", environment: "prod", digest: c, deployedAt: "2025-02-20T00:00:00Z", deploymentId: "d-c", serviceFirstSbomAt: "2025-02-10T00:00:00.0005Z" },
        { service: "zeta", environment: "dev", digest: z, deployedAt: "2025-02-15T00:00:00Z", deploymentId: "d-z" },
      ]);
      expect(await store.deploymentSbomFacts({ service: "checkout" })).toEqual([current[1]]);
      expect(await store.deploymentSbomFacts({ environment: "dev" })).toEqual([current[3]]);
      expect(await store.deploymentSbomFacts({ service: "checkout", environment: "dev" })).toEqual([]);

      // History: every event in [since, until], by deployedAt then id; the SBOM in the deploy's millisecond counts.
      const history = await store.deploymentSbomFacts({ history: { since: "2025-02-05T00:00:00Z", until: "2025-02-15T00:00:00Z" } });
      expect(history.map((d) => d.deploymentId)).toEqual(["d-b", "d-c-old", "d-z"]);
      expect(history[1]).toMatchObject({ digestFirstSbomAt: "2025-02-10T00:00:00.0005Z", digestSbomAtDeploy: "2025-02-10T00:00:00.0005Z" });
      expect((await store.deploymentSbomFacts({ service: "search", history: {} })).map((d) => d.deploymentId)).toEqual(["d-c-old", "d-c"]);
      // One millisecond after the deploy is after it.
      await sbom("late", "late", sha("image late"), "2025-03-01T00:00:00.001Z");
      await store.ingestDeployment(deployment({ id: "d-late", service: "late", digest: sha("image late"), deployedAt: "2025-03-01T00:00:00Z" }));
      expect(await store.deploymentSbomFacts({ service: "late" })).toEqual([
        { service: "late", environment: "prod", digest: sha("image late"), deployedAt: "2025-03-01T00:00:00Z", deploymentId: "d-late", digestFirstSbomAt: "2025-03-01T00:00:00.001Z", serviceFirstSbomAt: "2025-03-01T00:00:00.001Z" },
      ]);

      await expectFactsAsListed(store);
      expect((await rejectedVouchError(() => store.deploymentSbomFacts({ history: { since: "last week" } }))).code).toBe("INPUT_MALFORMED");
    });

    it("deploymentSbomFacts: SBOMs ingested after the deployments move their facts, in any order of ingest times", async () => {
      const store = await open();
      const [a, b] = [sha("image a"), sha("image b")];
      await store.ingestDeployment(deployment({ id: "d-a-old", service: "checkout", digest: a, deployedAt: "2025-02-01T00:00:00Z" }));
      await store.ingestDeployment(deployment({ id: "d-a", service: "checkout", environment: "dev", digest: a, deployedAt: "2025-03-01T00:00:00Z" }));
      await store.ingestDeployment(deployment({ id: "d-b", service: "billing", digest: b, deployedAt: "2025-02-01T00:00:00Z" }));
      expect((await store.deploymentSbomFacts()).map((d) => [d.deploymentId, d.digestFirstSbomAt, d.serviceFirstSbomAt])).toEqual([
        ["d-b", undefined, undefined],
        ["d-a", undefined, undefined],
        ["d-a-old", undefined, undefined],
      ]);
      const sbom = (seed: string, service: string, digest: string | undefined, ingestedAt: string) =>
        store.ingestSbom(write(sbomRecord(seed, { service, ...(digest === undefined ? {} : { digest }), ingestedAt }), []));
      // Latest first, then earlier ones: each moves the first back, and the at-deploy forward where it is not after the deploy.
      await sbom("a-late", "checkout", a, "2025-04-01T00:00:00Z");
      await expectFactsAsListed(store);
      await sbom("a-mid", "checkout", a, "2025-02-15T00:00:00Z");
      await expectFactsAsListed(store);
      await sbom("a-early", "checkout", a, "2025-01-15T00:00:00Z");
      await sbom("a-earliest", "checkout", a, "2025-01-01T00:00:00Z");
      // An SBOM of the service without a digest moves only the service's first.
      await sbom("checkout-nodigest", "checkout", undefined, "2024-12-01T00:00:00Z");
      // Another service's SBOM of the same digest moves the digest's facts, not checkout's service first.
      await sbom("b-as-a", "billing", a, "2024-11-01T00:00:00Z");
      // The same SBOM again changes nothing.
      await sbom("a-mid", "checkout", a, "2025-02-15T00:00:00Z");
      await expectFactsAsListed(store);
      const facts = await store.deploymentSbomFacts({ history: {} });
      expect(facts.map((d) => [d.deploymentId, d.digestFirstSbomAt, d.digestSbomAtDeploy, d.serviceFirstSbomAt])).toEqual([
        ["d-a-old", "2024-11-01T00:00:00Z", "2025-01-15T00:00:00Z", "2024-12-01T00:00:00Z"],
        ["d-b", undefined, undefined, "2024-11-01T00:00:00Z"],
        ["d-a", "2024-11-01T00:00:00Z", "2025-02-15T00:00:00Z", "2024-12-01T00:00:00Z"],
      ]);
      // A deployment after them all takes its facts from what is stored, and so does the current row it replaces.
      await store.ingestDeployment(deployment({ id: "d-a-new", service: "checkout", digest: a, deployedAt: "2025-05-01T00:00:00Z" }));
      expect((await store.deploymentSbomFacts({ service: "checkout", environment: "prod" }))[0]).toMatchObject({ deploymentId: "d-a-new", digestSbomAtDeploy: "2025-04-01T00:00:00Z" });
      await expectFactsAsListed(store);
    });

    it("deploymentSbomFacts: concurrent SBOM and deployment ingests leave the facts the lists give", async () => {
      const store = await open();
      const digests = Array.from({ length: 4 }, (_, i) => sha(`image race ${i}`));
      const work: Promise<unknown>[] = [];
      for (let round = 0; round < 6; round++) {
        for (const [i, digest] of digests.entries()) {
          const day = String(10 + round).padStart(2, "0");
          work.push(store.ingestDeployment(deployment({ id: `race-${round}-${i}`, service: `race-${i % 2}`, environment: `env-${round % 3}`, digest, deployedAt: `2025-03-${day}T12:00:00Z` })));
          work.push(store.ingestSbom(write(sbomRecord(`race ${round} ${i}`, { service: `race-${i % 2}`, digest, ingestedAt: `2025-03-${String(15 - round).padStart(2, "0")}T00:00:00Z` }), [])));
        }
      }
      await Promise.all(work);
      await expectFactsAsListed(store);
    });

    it("treats SQL-significant characters as data in every value", async () => {
      const store = await open();
      const nasty = ["o'brien", "100%", "a_b", "back\\slash", "x'; drop table sboms; --", '"quoted"', "\u00c9t\u00e9"];
      for (const [i, text] of nasty.entries()) {
        const component: IndexComponent = {
          name: text,
          version: text,
          purl: `pkg:generic/${encodeURIComponent(text)}`,
          purlKey: { type: "generic", namespace: text, name: text },
          osvKey: { ecosystem: text, name: text },
        };
        await store.ingestSbom(write(sbomRecord(`n${i}`, { service: text, version: text, ingestedBy: text }), [component]));
        await store.ingestDeployment(deployment({ id: text, service: text, environment: text, digest: sha(`image n${i}`) }));
      }
      for (const [i, text] of nasty.entries()) {
        const byPurl = await store.findComponents({ purl: { type: "generic", namespace: text, name: text } });
        expect(byPurl.map((h) => [h.sbom.service, h.component.name])).toEqual([[text, text]]);
        expect(await store.findComponents({ nameLower: text.toLowerCase() })).toEqual(byPurl);
        expect(await store.findComponents({ osv: [{ ecosystem: text, name: text }] })).toEqual(byPurl);
        expect((await store.currentDeployments([sha(`image n${i}`)])).map((d) => [d.service, d.environment, d.deploymentId])).toEqual([[text, text, text]]);
        expect((await store.findSbom(sha(`sbom n${i}`)))?.ingestedBy).toBe(text);
        expect((await store.deploymentSbomFacts({ service: text, environment: text })).map((d) => [d.deploymentId, d.serviceFirstSbomAt])).toEqual([[text, "2025-01-02T03:04:05Z"]]);
      }
      // Wildcards match only themselves.
      expect(await store.findComponents({ nameLower: "%" })).toEqual([]);
      expect(await store.findComponents({ nameLower: "a%b" })).toEqual([]);
      expect(await store.findComponents({ purl: { type: "generic", namespace: "a_b", name: "a%" } })).toEqual([]);
    });

    it("matches names lower-cased as JavaScript does (beyond ASCII)", async () => {
      const store = await open();
      await store.ingestSbom(write(sbomRecord("u"), [{ name: "\u00c9CLAIR-Lib", version: "1" }]));
      expect(await store.findComponents({ nameLower: "\u00e9clair-lib" })).toHaveLength(1);
    });

    it("refuses work once closed (STORE_UNAVAILABLE)", async () => {
      const store = await open();
      await store.close();
      expect((await rejectedVouchError(() => store.findComponents({ purl: LOG4J_KEY }))).code).toBe("STORE_UNAVAILABLE");
      expect((await rejectedVouchError(() => store.ingestDeployment(deployment({ id: "late" })))).code).toBe("STORE_UNAVAILABLE");
    });
  });
}
