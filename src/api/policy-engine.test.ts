/**
 * The policy engine against Debian's docker-registry with images signed through a running `vouch serve` log: one
 * registry walk for 20 concurrent decisions of one image, the verdict cache, a registry stopped and restarted (each
 * outage action, and the automatic return to normal evaluation), and decisions recorded in a real decision store.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { VouchError } from "../core/errors.js";
import type { Decision, EvaluationInput } from "../policy/decision.js";
import { evaluate } from "../policy/evaluate.js";
import { parsePolicies } from "../policy/model/index.js";
import type { AdvisoryStore } from "../store/ports.js";
import { openSqliteAdvisoryStore } from "../store/sqlite/advisory-store.js";
import { openSqliteDecisionStore } from "../store/sqlite/decision-store.js";
import { parseOsvJson } from "../vuln/osv/parse.js";
import { spawnVouch, vouch, type RunningVouch } from "../../test/support/cli.js";
import { buildTestImage, pushTestImage, registryUnavailable, startRegistry, type RunningRegistry } from "../../test/support/registry.js";
import { reconcileDecisions, renderReconcile } from "./admission-reconcile.js";
import { attachSbom, signImage } from "./image-sign.js";
import { createPolicyEngine, type PolicyEngineOptions } from "./policy-engine.js";

const skipReason = registryUnavailable();
const work = mkdtempSync(join(tmpdir(), "vouch-policy-engine-"));
const env = { VOUCH_DATA_DIR: join(work, "data"), VOUCH_PASSWORD: "engine test password", VOUCH_CACHE_DIR: join(work, "cache") };
const key = join(work, "signer.key");
const pub = join(work, "signer.pub");
let registry: RunningRegistry;
let server: RunningVouch;
let root: string;

function policies(action = "deny", mode = "enforce", extra = "") {
  return parsePolicies(`apiVersion: vouch.dev/v1
kind: ImagePolicy
metadata: { name: signed-by-release-key }
spec:
  mode: ${mode}
  images: [ { glob: "127.0.0.1:*/holdout/**" } ]
  authorities:
    - key: { path: ${pub} }
  onVerificationUnavailable: ${action}
${extra}`);
}

/** A clock the test moves. */
function testClock(start: string) {
  let t = Date.parse(start);
  return { clock: () => new Date(t), advance: (ms: number) => (t += ms) };
}

/** Every request the engine sends the registry, as `METHOD /path`. */
function countingFetch() {
  const requests: string[] = [];
  const fetcher = (url: string | URL | Request, init?: RequestInit) => {
    requests.push(`${init?.method ?? "GET"} ${new URL(String(url)).pathname}`);
    return fetch(url, init);
  };
  return { requests, fetch: fetcher };
}

/** evaluate, counting its calls. */
function countingEvaluate() {
  const calls: EvaluationInput[] = [];
  return { calls, evaluate: (input: EvaluationInput): Decision => (calls.push(input), evaluate(input)) };
}

const pod = (ns = "prod") => ({ resource: { kind: "Pod", namespace: ns, name: "p" }, source: "admission" as const });

describe.skipIf(skipReason !== undefined)("policy engine against docker-registry 2.8", () => {
  let signed: { digest: string; ref: string };
  let unsigned: { digest: string; ref: string };
  const base = (): Omit<PolicyEngineOptions, "policies"> => ({ trust: { trustedRoot: root }, contentCache: false });

  beforeAll(async () => {
    [registry, server] = await Promise.all([startRegistry(), spawnVouch(["serve", "--port", "0"], { env })]);
    expect(vouch(["key", "generate", "--out", join(work, "signer")], { env }).code).toBe(0);
    expect(vouch(["trust", "export", "--out", join(work, "trust"), "--log-url", server.url], { env }).code).toBe(0);
    root = join(work, "trust", "trusted_root.json");
    const push = async (seed: string) => {
      const digest = await pushTestImage({ registry: registry.host, repository: `holdout/${seed}` }, buildTestImage({ layers: [[{ path: "etc/seed", content: seed }]] }), "1.0");
      return { digest, ref: `${registry.host}/holdout/${seed}:1.0` };
    };
    [signed, unsigned] = await Promise.all([push("signed"), push("unsigned")]);
    await signImage(signed.ref, { key, password: { env }, tlogUrl: server.url });
  }, 90_000);
  afterAll(async () => {
    await registry?.stop();
    expect(await server?.stop()).toBe(0);
    rmSync(work, { recursive: true, force: true });
  });

  it("admits the signed image and denies the unsigned one, with the reason and the signer", async () => {
    const engine = createPolicyEngine({ ...base(), policies: policies() });
    const ok = await engine.decide({ ...pod(), images: [{ reference: signed.ref, path: "spec.containers[0].image" }] });
    expect(ok).toMatchObject({ allowed: true, reasons: [], needsReconciliation: false });
    expect(ok.images[0]).toMatchObject({ reference: signed.ref, path: "spec.containers[0].image", digest: signed.digest, unmatched: false });
    expect(ok.images[0]!.policies[0]!.evidence.signers).toHaveLength(1);
    const no = await engine.decide({ ...pod(), images: [{ reference: unsigned.ref }] });
    expect(no.allowed).toBe(false);
    expect(no.reasons.join("\n")).toContain("signed-by-release-key");
    // Both at once: one denied image denies the resource.
    const both = await engine.decide({ ...pod(), images: [{ reference: signed.ref }, { reference: unsigned.ref }] });
    expect(both.allowed).toBe(false);
    expect(both.images.map((i) => i.reference)).toEqual([signed.ref, unsigned.ref]);
  });

  it("20 concurrent decisions of one image make one registry walk and one evaluation; later ones are cached", async () => {
    const alone = countingFetch();
    await createPolicyEngine({ ...base(), policies: policies(), fetch: alone.fetch }).decide({ ...pod(), images: [{ reference: signed.ref }] });
    expect(alone.requests.length).toBeGreaterThan(2);

    const many = countingFetch();
    const counted = countingEvaluate();
    const engine = createPolicyEngine({ ...base(), policies: policies(), fetch: many.fetch, evaluate: counted.evaluate });
    const decisions = await Promise.all(Array.from({ length: 20 }, (_, i) => engine.decide({ ...pod(), images: [{ reference: signed.ref, path: `spec.containers[${i}].image` }] })));
    expect(decisions.every((d) => d.allowed)).toBe(true);
    expect(decisions.map((d) => d.images[0]!.path)).toEqual(Array.from({ length: 20 }, (_, i) => `spec.containers[${i}].image`));
    expect(many.requests.sort()).toEqual(alone.requests.sort());
    expect(many.requests.filter((r) => r.endsWith("/manifests/1.0"))).toHaveLength(1);
    expect(counted.calls).toHaveLength(1);

    many.requests.length = 0;
    expect((await engine.decide({ ...pod(), images: [{ reference: signed.ref }] })).allowed).toBe(true);
    expect(many.requests).toEqual([]);
    expect(counted.calls).toHaveLength(1);
    // Another namespace is another key (exceptions and policies may differ by namespace).
    await engine.decide({ ...pod("dev"), images: [{ reference: signed.ref }] });
    expect(counted.calls).toHaveLength(2);
  });

  it("asks only for the cosign tags the covering policies can use (.sig for signatures; .att and .sbom for SBOM rules)", async () => {
    const tags = (requests: readonly string[]) => requests.filter((r) => /\/manifests\/sha256-[0-9a-f]{64}\.(sig|att|sbom)$/.test(r)).map((r) => r.slice(r.lastIndexOf(".")));
    const signatures = countingFetch();
    expect((await createPolicyEngine({ ...base(), policies: policies(), fetch: signatures.fetch }).decide({ ...pod(), images: [{ reference: signed.ref }] })).allowed).toBe(true);
    expect(tags(signatures.requests)).toEqual([".sig"]);
    // The referrers (the tag schema on this registry) are listed whatever the policy: one listing holds every kind.
    expect(signatures.requests).toContain(`GET /v2/holdout/signed/manifests/${signed.digest.replace(":", "-")}`);

    const sboms = countingFetch();
    const withSbom = createPolicyEngine({ ...base(), policies: policies("deny", "enforce", "  sbom: {}\n"), fetch: sboms.fetch });
    await withSbom.decide({ ...pod(), images: [{ reference: signed.ref }] });
    expect(tags(sboms.requests).sort()).toEqual([".att", ".sbom", ".sig"]);

    const statics = countingFetch();
    const staticOnly = parsePolicies(`apiVersion: vouch.dev/v1
kind: ImagePolicy
metadata: { name: anything-goes }
spec:
  images: [ { glob: "127.0.0.1:*/holdout/**" } ]
  authorities: [ { static: pass } ]
`);
    expect((await createPolicyEngine({ ...base(), policies: staticOnly, fetch: statics.fetch }).decide({ ...pod(), images: [{ reference: signed.ref }] })).allowed).toBe(true);
    expect(tags(statics.requests)).toEqual([]);
  });

  it("an image the registry does not have is denied, saying so; it is no outage", async () => {
    const engine = createPolicyEngine({ ...base(), policies: policies("allow-and-record") });
    const d = await engine.decide({ ...pod(), images: [{ reference: `${registry.host}/holdout/missing:1.0` }] });
    expect(d).toMatchObject({ allowed: false, needsReconciliation: false });
    expect(d.reasons.join("\n")).toContain("not found");
    expect(engine.health().unhealthy).toEqual([]);
  });

  it("decides an image no policy covers by noMatch without asking any registry", async () => {
    const seen = countingFetch();
    const deny = createPolicyEngine({ ...base(), policies: policies(), fetch: seen.fetch });
    const d = await deny.decide({ ...pod(), images: [{ reference: "docker.io/library/nginx:1.27" }] });
    expect(d.allowed).toBe(false);
    expect(d.images[0]!.unmatched).toBe(true);
    const allow = createPolicyEngine({ ...base(), policies: policies(), fetch: seen.fetch, noMatch: "allow" });
    expect((await allow.decide({ ...pod(), images: [{ reference: "docker.io/library/nginx:1.27" }] })).allowed).toBe(true);
    expect(seen.requests).toEqual([]);
  });

  it("records every decision but dry runs, with source, resource, uid and the Decision", async () => {
    const store = await openSqliteDecisionStore(join(work, "record.sqlite"));
    let n = 0;
    const engine = createPolicyEngine({ ...base(), policies: policies(), store, newId: () => `d${++n}` });
    await engine.decide({ ...pod(), uid: "u-1", operation: "CREATE", images: [{ reference: unsigned.ref }] });
    await engine.decide({ ...pod(), uid: "u-2", dryRun: true, images: [{ reference: unsigned.ref }] });
    await engine.decide({ resource: { kind: "Deployment", namespace: "prod" }, source: "cli", images: [{ reference: signed.ref }] });
    // Recorded in the background: flush() waits for the writes.
    await engine.flush();
    const { events } = await store.list();
    expect(events.map((e) => [e.id, e.source, e.uid, e.allowed])).toEqual([
      ["d1", "admission", "u-1", false],
      ["d2", "cli", undefined, true],
    ]);
    expect(events[0]).toMatchObject({ resource: { kind: "Pod", namespace: "prod", name: "p" }, operation: "CREATE", needsReconciliation: false });
    expect((events[0]!.decision as unknown as Decision).images[0]!.reference).toBe(unsigned.ref);
    await store.close();
  });

  it("a registry stopped and restarted: each outage action applies while it is down, and evaluation returns once a probe succeeds", async () => {
    const t = testClock("2026-03-01T10:00:00Z");
    const opts = { ...base(), clock: t.clock, breaker: { baseDelayMs: 1000, maxDelayMs: 4000 }, cache: { positiveTtlMs: 60_000 } };
    const deny = createPolicyEngine({ ...opts, policies: policies("deny") });
    const open = createPolicyEngine({ ...opts, policies: policies("allow-and-record") });
    const cached = createPolicyEngine({ ...opts, policies: policies("use-cache") });
    for (const engine of [deny, open, cached]) expect((await engine.decide({ ...pod(), images: [{ reference: signed.ref }] })).allowed).toBe(true);
    t.advance(120_000); // every verdict (and digest) is past its TTL: the next decision must ask the registry

    await registry.kill();
    try {
      const denied = await deny.decide({ ...pod(), images: [{ reference: signed.ref }] });
      expect(denied).toMatchObject({ allowed: false, needsReconciliation: true });
      expect(denied.images[0]!.policies[0]!.degraded).toMatchObject({ action: "deny" });
      expect(deny.health().unhealthy).toEqual([expect.objectContaining({ dependency: `registry:${registry.host}` })]);

      const admitted = await open.decide({ ...pod(), images: [{ reference: signed.ref }] });
      expect(admitted).toMatchObject({ allowed: true, needsReconciliation: true });
      expect(admitted.images[0]!.policies[0]!.degraded).toMatchObject({ action: "allow-and-record" });

      // The mutating webhook does not pin a tag to the digest it named before the outage.
      expect(await cached.resolve(signed.ref)).toMatchObject({ unavailable: expect.any(String) });
      const replayed = await cached.decide({ ...pod(), images: [{ reference: signed.ref }] });
      expect(replayed.allowed).toBe(true);
      expect(replayed.images[0]!.policies[0]!.degraded).toMatchObject({ action: "use-cache", fromCache: true });
      // Nothing cached for the unsigned image in this engine: use-cache falls back to deny.
      expect((await cached.decide({ ...pod(), images: [{ reference: unsigned.ref }] })).allowed).toBe(false);

      // While the breaker is open, the registry is not asked at all (no waiting on a dead registry).
      t.advance(500);
      const quick = await deny.decide({ ...pod(), images: [{ reference: signed.ref }] });
      expect(quick.images[0]!.policies[0]!.degraded?.reason).toContain("unavailable");
      // A probe that fails keeps it unhealthy.
      expect(await deny.probe()).toEqual([`registry:${registry.host}`]);
    } finally {
      await registry.restart();
    }
    // Back: the background probe (reconciliation) sees it at once, ...
    expect(await deny.probe()).toEqual([]);
    const normal = await deny.decide({ ...pod(), images: [{ reference: signed.ref }] });
    expect(normal).toMatchObject({ allowed: true, needsReconciliation: false });
    expect(normal.images[0]!.policies[0]!.degraded).toBeUndefined();
    // ... and without a probe, the first request after the backoff is the probe and returns to normal evaluation.
    t.advance(10_000);
    const back = await open.decide({ ...pod(), images: [{ reference: signed.ref }] });
    expect(back).toMatchObject({ allowed: true, needsReconciliation: false });
    expect(open.health().unhealthy).toEqual([]);
  });

  it("an exception waives a failure only until it expires: a cached waiver is not served past expiresAt", async () => {
    const t = testClock("2026-03-01T10:00:00Z");
    const exception = `  exceptions:
    - { name: hotfix, images: [ { glob: "**/holdout/unsigned*" } ], reason: "vendor fix", approver: sec, expiresAt: "2026-03-01T11:00:00Z" }
`;
    const engine = createPolicyEngine({ ...base(), policies: policies("deny", "enforce", exception), clock: t.clock, cache: { positiveTtlMs: 24 * 3_600_000, negativeTtlMs: 24 * 3_600_000 } });
    const waived = await engine.decide({ ...pod(), images: [{ reference: unsigned.ref }] });
    expect(waived.allowed).toBe(true);
    expect(waived.images[0]!.policies[0]!.exception).toMatchObject({ name: "hotfix" });
    t.advance(3_600_000);
    const expired = await engine.decide({ ...pod(), images: [{ reference: unsigned.ref }] });
    expect(expired.allowed).toBe(false);
    expect(expired.images[0]!.policies[0]!.exception).toBeUndefined();
  });

  it("resolve pins a tag, and says unavailable (not throws) for a registry that is down", async () => {
    const engine = createPolicyEngine({ ...base(), policies: policies() });
    expect(await engine.resolve(signed.ref)).toEqual({ pinned: `${registry.host}/holdout/signed@${signed.digest}`, digest: signed.digest });
    const dead = await startRegistry();
    const host = dead.host;
    await dead.stop();
    expect(await engine.resolve(`${host}/holdout/x:1`)).toMatchObject({ unavailable: expect.stringContaining(host) });
  });

  it("reconcile: decisions admitted during an outage are re-decided once the registry is back, linked, and an exception that expired meanwhile does not apply", async () => {
    const t = testClock("2026-03-01T10:00:00Z");
    const store = await openSqliteDecisionStore(join(work, "reconcile.sqlite"));
    const exception = `  exceptions:
    - { name: hotfix, images: [ { glob: "**/holdout/unsigned*" } ], reason: "vendor fix", approver: sec, expiresAt: "2026-03-01T11:00:00Z" }
`;
    let n = 0;
    const engine = createPolicyEngine({ ...base(), policies: policies("allow-and-record", "enforce", exception), store, clock: t.clock, newId: () => `e${++n}` });
    await registry.kill();
    try {
      const a = await engine.decide({ ...pod(), uid: "u-signed", images: [{ reference: signed.ref }] });
      const b = await engine.decide({ resource: { kind: "Pod", namespace: "prod", name: "q", labels: { app: "q" } }, source: "admission", uid: "u-unsigned", images: [{ reference: unsigned.ref, path: "spec.containers[0].image" }] });
      expect([a.allowed, a.needsReconciliation, b.allowed, b.needsReconciliation]).toEqual([true, true, true, true]);
      // Still down: nothing is re-decided, both stay pending.
      const early = await reconcileDecisions({ store, engine, newId: () => `r${++n}` });
      expect(early.reconciled).toEqual([]);
      expect(early.deferred.map((d) => d.id)).toEqual(["e1", "e2"]);
      expect(early.unhealthy).toEqual([`registry:${registry.host}`]);
    } finally {
      await registry.restart();
    }
    t.advance(2 * 3_600_000); // the exception expired at 11:00
    const run = await reconcileDecisions({ store, engine, newId: () => `r${++n}` });
    expect(run.unhealthy).toEqual([]);
    expect(run.reconciled.map((r) => [r.id, r.wasAllowed, r.allowed])).toEqual([
      ["e1", true, true],
      ["e2", true, false],
    ]);
    expect(run.reconciled[1]!.reasons.join("\n")).toContain("signed-by-release-key");
    const newEvent = await store.find(run.reconciled[1]!.by);
    expect(newEvent).toMatchObject({ source: "reconcile", reconciles: "e2", uid: "u-unsigned", allowed: false, needsReconciliation: false, resource: { name: "q", labels: { app: "q" } } });
    const decision = newEvent!.decision as unknown as Decision;
    expect(decision.images[0]).toMatchObject({ reference: unsigned.ref, path: "spec.containers[0].image" });
    expect(decision.images[0]!.policies[0]!.exception).toBeUndefined();
    expect(await store.find("e2")).toMatchObject({ reconciled: { by: run.reconciled[1]!.by } });
    expect((await store.list({ pending: true })).events).toEqual([]);
    expect(renderReconcile(run)).toContain("2 re-decided (1 denied now), 0 left pending");
    // Nothing pending: a second run does nothing.
    expect((await reconcileDecisions({ store, engine })).reconciled).toEqual([]);
    await engine.close();
    await store.close();
  });

  it("reconcile: the engine's background job (reconcileEvery) re-decides by itself once the registry is back", async () => {
    const store = await openSqliteDecisionStore(join(work, "background.sqlite"));
    const engine = createPolicyEngine({ ...base(), policies: policies("allow-and-record"), store, reconcileEvery: 50 });
    await registry.kill();
    try {
      expect((await engine.decide({ ...pod(), images: [{ reference: signed.ref }] })).needsReconciliation).toBe(true);
    } finally {
      await registry.restart();
    }
    // Recorded in the background: once flushed, the pending event is in the store for the job to find.
    await engine.flush();
    await vi.waitFor(
      async () => {
        expect((await store.list({ pending: true })).events).toEqual([]);
        expect((await store.list()).events).toHaveLength(2);
      },
      { timeout: 20_000, interval: 50 },
    );
    const events = (await store.list()).events;
    expect(events.map((e) => [e.source, e.allowed, e.needsReconciliation])).toEqual([
      ["admission", true, true],
      ["reconcile", true, false],
    ]);
    expect(events[1]!.reconciles).toBe(events[0]!.id);
    await engine.close();
    await store.close();
  });

  it("vulnerability rules: the image's SBOM is scanned against the advisory database; VEX covers a finding; the database's outage is an outage", async () => {
    const records = join(import.meta.dirname, "..", "vuln", "osv", "fixtures", "records");
    const advisories = await openSqliteAdvisoryStore(join(work, "advisories.sqlite"));
    await advisories.import({ importedAt: "2026-01-01T00:00:00Z", records: readdirSync(records).map((f) => parseOsvJson(readFileSync(join(records, f), "utf8"))) });
    const digest = await pushTestImage({ registry: registry.host, repository: "holdout/log4j" }, buildTestImage({ layers: [[{ path: "etc/seed", content: "log4j" }]] }), "1.0");
    const ref = `${registry.host}/holdout/log4j:1.0`;
    await signImage(ref, { key, password: { env }, tlogUrl: server.url });
    const sbom = join(work, "log4j.cdx.json");
    const purl = "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1";
    writeFileSync(sbom, JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.6", version: 1, metadata: { component: { type: "container", name: "app", "bom-ref": "app" } }, components: [{ type: "library", group: "org.apache.logging.log4j", name: "log4j-core", version: "2.14.1", "bom-ref": "log4j", purl }] }));
    await attachSbom(ref, { sbom, key, password: { env } });
    const vulnerable = policies("deny", "enforce", "  vulnerabilities: { denyAtOrAbove: high }\n");

    const denied = await createPolicyEngine({ ...base(), policies: vulnerable, advisories }).decide({ ...pod(), images: [{ reference: ref }] });
    expect(denied.allowed).toBe(false);
    expect(denied.reasons.join("\n")).toContain("CVE-2021-44228");
    expect(denied.images[0]!.policies[0]!.evidence.findings?.denied.join(" ")).toContain(purl);

    const vex = new TextEncoder().encode(JSON.stringify({
      "@context": "https://openvex.dev/ns/v0.2.0",
      "@id": "https://vouch.dev/vex/1",
      author: "sec",
      timestamp: "2026-01-01T00:00:00Z",
      version: 1,
      statements: [{ vulnerability: { name: "CVE-2021-44228" }, products: [{ "@id": `pkg:oci/log4j@${digest}`, subcomponents: [{ "@id": purl }] }], status: "not_affected", justification: "vulnerable_code_not_in_execute_path" }],
    }));
    const covered = await createPolicyEngine({ ...base(), policies: vulnerable, advisories, vex: [vex] }).decide({ ...pod(), images: [{ reference: ref }] });
    expect(covered.images[0]!.policies[0]!.evidence.findings?.coveredByVex.join(" ")).toContain("CVE-2021-44228");

    // Without the advisory database reachable, the policy's outage action decides (here: allow-and-record).
    const broken: AdvisoryStore = { ...advisories, findByPackages: () => Promise.reject(new VouchError("STORE_UNAVAILABLE", "the advisory database is gone")) };
    const outage = await createPolicyEngine({ ...base(), policies: policies("allow-and-record", "enforce", "  vulnerabilities: { denyAtOrAbove: high }\n"), advisories: broken }).decide({ ...pod(), images: [{ reference: ref }] });
    expect(outage).toMatchObject({ allowed: true, needsReconciliation: true });
    expect(outage.images[0]!.policies[0]!.degraded?.reason).toContain("advisory database");
    await advisories.close();
  });
});
