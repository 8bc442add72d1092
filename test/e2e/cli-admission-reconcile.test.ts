/**
 * `vouch admission reconcile` end to end: decisions admitted by allow-and-record while Debian's docker-registry was
 * down (recorded in the data directory's decision store by the engine, as the webhook records them) are re-decided
 * by the CLI once the registry is back; an exception that expired meanwhile does not apply, so the unsigned image's
 * admission is reported as a deny now (exit 1), and a second run has nothing left to do.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPolicyEngine } from "../../src/api/policy-engine.js";
import { parsePolicies } from "../../src/policy/model/index.js";
import { openSqliteDecisionStore } from "../../src/store/sqlite/decision-store.js";
import { spawnVouch, vouch, type RunningVouch } from "../support/cli.js";
import { buildTestImage, pushTestImage, registryUnavailable, startRegistry, type RunningRegistry } from "../support/registry.js";

const skipReason = registryUnavailable();
const work = mkdtempSync(join(tmpdir(), "vouch-cli-reconcile-"));
const env = { VOUCH_DATA_DIR: join(work, "data"), VOUCH_PASSWORD: "reconcile test password", VOUCH_CACHE_DIR: join(work, "cache") };
let registry: RunningRegistry;
let server: RunningVouch;

describe.skipIf(skipReason !== undefined)("vouch admission reconcile against docker-registry 2.8", () => {
  beforeAll(async () => {
    [registry, server] = await Promise.all([startRegistry(), spawnVouch(["serve", "--port", "0"], { env })]);
    expect(vouch(["key", "generate", "--out", join(work, "signer")], { env }).code).toBe(0);
    expect(vouch(["trust", "export", "--out", join(work, "trust"), "--log-url", server.url], { env }).code).toBe(0);
  }, 90_000);
  afterAll(async () => {
    await registry?.stop();
    expect(await server?.stop()).toBe(0);
    rmSync(work, { recursive: true, force: true });
  });

  it("re-decides what an outage admitted, records it linked, exits 1 for an admission that is a deny now; then nothing is pending", async () => {
    const push = (name: string) => pushTestImage({ registry: registry.host, repository: `holdout/${name}` }, buildTestImage({ layers: [[{ path: "etc/seed", content: name }]] }), "1.0");
    await Promise.all([push("signed"), push("unsigned")]);
    const signedRef = `${registry.host}/holdout/signed:1.0`;
    const unsignedRef = `${registry.host}/holdout/unsigned:1.0`;
    expect(vouch(["sign", signedRef, "--key", join(work, "signer.key"), "--tlog-url", server.url], { env }).code).toBe(0);
    // The engine below decides on 2020-01-01, before the exception expired; the CLI re-decides now, after it.
    const policyFile = join(work, "policy.yaml");
    writeFileSync(
      policyFile,
      `apiVersion: vouch.dev/v1
kind: ImagePolicy
metadata: { name: signed-by-release-key }
spec:
  mode: enforce
  images: [ { glob: "127.0.0.1:*/holdout/**" } ]
  authorities:
    - key: { path: ${join(work, "signer.pub")} }
  onVerificationUnavailable: allow-and-record
  exceptions:
    - { name: hotfix, images: [ { glob: "**/holdout/unsigned*" } ], reason: "vendor fix", approver: sec, expiresAt: "2020-01-02T00:00:00Z" }
`,
    );
    const store = await openSqliteDecisionStore(join(env.VOUCH_DATA_DIR, "index.sqlite"));
    const engine = createPolicyEngine({ policies: parsePolicies(readFileSync(policyFile, "utf8")), store, trust: { trustedRoot: join(work, "trust", "trusted_root.json") }, clock: () => new Date("2020-01-01T00:00:00Z"), contentCache: false });
    await registry.kill();
    try {
      for (const [name, reference] of [["a", signedRef], ["b", unsignedRef]] as const) {
        const d = await engine.decide({ resource: { kind: "Pod", namespace: "prod", name }, images: [{ reference }], source: "admission", uid: `uid-${name}` });
        expect([d.allowed, d.needsReconciliation]).toEqual([true, true]);
      }
      // The engine records in the background; the CLI below is another process reading the store.
      await engine.flush();
      // Still down: both stay pending, exit 2 (unavailable) naming the registry.
      const down = vouch(["admission", "reconcile", "--policy", policyFile, "--trusted-root", join(work, "trust", "trusted_root.json"), "--since", "2019-12-31T00:00:00Z"], { env });
      expect(down.code).toBe(2);
      expect(down.stdout).toContain("0 re-decided (0 denied now), 2 left pending");
      expect(down.stderr).toContain("2 decision(s) left pending, verification still unavailable");
      expect(down.stderr).toContain(registry.host);
    } finally {
      await registry.restart();
    }
    await engine.close();
    await store.close();

    const run = vouch(["admission", "reconcile", "--policy", policyFile, "--trusted-root", join(work, "trust", "trusted_root.json"), "-o", "json"], { env });
    expect(run.stderr).toContain("1 admitted resource(s) are denied on re-check");
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as { reconciled: { resource: { name: string }; wasAllowed: boolean; allowed: boolean; reasons: string[] }[]; deferred: unknown[]; unhealthy: string[] };
    // Both were decided at the same instant: the store orders them by id (random), so compare by resource.
    const byName = result.reconciled.sort((x, y) => x.resource.name.localeCompare(y.resource.name));
    expect(byName.map((r) => [r.resource.name, r.wasAllowed, r.allowed])).toEqual([
      ["a", true, true],
      ["b", true, false],
    ]);
    expect(byName[1]!.reasons.join("\n")).toContain("signed-by-release-key");
    expect(result.deferred).toEqual([]);

    const again = vouch(["admission", "reconcile", "--policy", policyFile, "--trusted-root", join(work, "trust", "trusted_root.json")], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("0 re-decided (0 denied now), 0 left pending");

    const reopened = await openSqliteDecisionStore(join(env.VOUCH_DATA_DIR, "index.sqlite"));
    const events = (await reopened.list()).events;
    const redecided = events.filter((e) => e.source === "reconcile").sort((x, y) => (x.uid ?? "").localeCompare(y.uid ?? ""));
    expect(redecided.map((e) => [e.reconciles !== undefined, e.allowed, e.uid])).toEqual([
      [true, true, "uid-a"],
      [true, false, "uid-b"],
    ]);
    await reopened.close();
  });

  it("refuses a --since that is neither a time nor a duration, and a missing --policy (exit 2)", () => {
    const bad = vouch(["admission", "reconcile", "--policy", "x.yaml", "--since", "yesterday"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--since yesterday");
    const none = vouch(["admission", "reconcile"], { env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("--policy is required");
  });
});

