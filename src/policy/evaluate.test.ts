import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { publicGoodTrustedRoot } from "../bundle/trusted-root.js";
import { CONFORMANCE, evidence, fileBundle, policies, sha256, trustOf } from "../../test/support/policy.js";
import type { FoundFinding, ImageInput, PolicyResult } from "./decision.js";
import { evaluate } from "./evaluate.js";
import { MAX_WARNING_LENGTH } from "./rules/modes.js";

/**
 * evaluate's semantics on a real key-signed bundle: sigstore-conformance's managed-key-happy-path (a message signature
 * over a.txt, logged in public-good Rekor), its a.txt digest standing for the image digest.
 */
const MANAGED = join(CONFORMANCE, "managed-key-happy-path");
const DIGEST = sha256(readFileSync(join(CONFORMANCE, "..", "a.txt")));
const OTHER = `sha256:${"0".repeat(64)}`;
const KEY = "/etc/vouch/release.pub";
const trust = trustOf(publicGoodTrustedRoot(), { [KEY]: createPublicKey(readFileSync(join(MANAGED, "key.pub"))) });
const NOW = new Date("2026-03-01T00:00:00Z");
const REF = "localhost:5000/holdout/app:1.0";

function signed(digest = DIGEST, reference = REF): ImageInput {
  return { reference, evidence: evidence(reference, digest, [fileBundle(join(MANAGED, "bundle.sigstore.json"), digest)]) };
}

function policy(spec: string, name = "p"): string {
  return `apiVersion: vouch.dev/v1
kind: ImagePolicy
metadata: { name: ${name} }
spec:
  images: [ { glob: "localhost:*/holdout/**" } ]
${spec}`;
}
const KEY_AUTHORITY = `  authorities:\n    - key: { path: ${KEY} }\n`;

const decide = (yaml: string, images: ImageInput[], extra: { namespace?: string; noMatch?: "deny" | "warn" | "allow"; now?: Date } = {}) =>
  evaluate({
    policies: policies(yaml),
    resource: { kind: "Pod", ...(extra.namespace ? { namespace: extra.namespace } : {}) },
    images,
    trust,
    now: extra.now ?? NOW,
    ...(extra.noMatch ? { noMatch: extra.noMatch } : {}),
  });

describe("evaluate: authorities", () => {
  it("passes with the release key and records the signer and log index", () => {
    const d = decide(policy(KEY_AUTHORITY), [signed()]);
    expect(d).toMatchObject({ allowed: true, reasons: [], warnings: [], needsReconciliation: false, decidedAt: NOW.toISOString() });
    expect(d.images[0]!.policies[0]!.evidence.signers).toEqual([{ authority: "authority-0", identity: expect.stringMatching(/^key [0-9a-f]{64}$/) as string, location: expect.stringContaining("managed-key-happy-path") as string, logIndexes: [expect.stringMatching(/^\d+$/)] }]);
  });

  it("fails the same signature for another digest", () => {
    const d = decide(policy(KEY_AUTHORITY), [signed(OTHER)]);
    expect(d.allowed).toBe(false);
    expect(d.reasons).toEqual([expect.stringMatching(/^localhost:5000\/holdout\/app:1\.0: p\/authorities: none of 1 signature\(s\) verified/)]);
  });

  it("count: 2 of a passing key and a static fail is not enough; static pass makes two", () => {
    const two = (result: string) => `  count: 2\n  authorities:\n    - key: { path: ${KEY} }\n    - static: ${result}\n`;
    expect(decide(policy(two("fail")), [signed()]).reasons).toEqual([expect.stringMatching(/p\/authorities: 1 of 2 authorities passed, 2 needed: authority-1: static: fail/)]);
    expect(decide(policy(two("pass")), [signed()]).allowed).toBe(true);
  });

  it("any-of: a missing key file fails only its authority", () => {
    const d = decide(policy(`  authorities:\n    - key: { path: /nope.pub }\n    - key: { path: ${KEY} }\n`), [signed()]);
    expect(d.allowed).toBe(true);
    expect(d.images[0]!.policies[0]!.rules.find((r) => r.rule === "authority:authority-0")).toMatchObject({ outcome: "fail", reasons: [expect.stringMatching(/key: \/nope\.pub: no such key file/)] });
  });
});

describe("evaluate: matching, modes, no-match", () => {
  it("every covering policy must pass; one that does not cover the image does not apply", () => {
    const yaml = [policy(KEY_AUTHORITY, "a"), policy(`  authorities:\n    - static: fail\n`, "b").replace("localhost:*/holdout/**", "ghcr.io/**")].join("---\n");
    const d = decide(yaml, [signed()]);
    expect(d.images[0]!.policies.map((p) => p.policy)).toEqual(["a"]);
    expect(d.allowed).toBe(true);
    const both = decide([policy(KEY_AUTHORITY, "a"), policy(`  authorities:\n    - static: fail\n`, "b")].join("---\n"), [signed()]);
    expect(both.allowed).toBe(false);
    expect(both.reasons).toEqual([expect.stringMatching(/: b\/authorities: static: fail$/)]);
  });

  it("matches docker.io short names by their normalized form", () => {
    const yaml = policy(`  authorities:\n    - static: pass\n`).replace("localhost:*/holdout/**", "docker.io/library/**");
    const d = decide(yaml, [{ reference: "nginx:1.27", evidence: evidence("nginx:1.27", DIGEST, []) }]);
    expect(d.images[0]!.unmatched).toBe(false);
  });

  it("warn mode allows with warnings under 256 characters; audit mode records only", () => {
    const failing = `  authorities:\n    - key: { path: ${KEY} }\n`;
    const long = { reference: `localhost:5000/holdout/${"x".repeat(200)}:1`, evidence: evidence(`localhost:5000/holdout/${"x".repeat(200)}:1`, OTHER, [fileBundle(join(MANAGED, "bundle.sigstore.json"), OTHER)]) };
    const warn = decide(policy(`  mode: warn\n${failing}`), [long]);
    expect(warn.allowed).toBe(true);
    expect(warn.reasons).toEqual([]);
    expect(warn.warnings).toHaveLength(1);
    expect(warn.warnings[0]!.length).toBe(MAX_WARNING_LENGTH);
    expect(warn.warnings[0]!.endsWith("…")).toBe(true);
    const audit = decide(policy(`  mode: audit\n${failing}`), [signed(OTHER)]);
    expect(audit).toMatchObject({ allowed: true, reasons: [], warnings: [] });
    expect(audit.images[0]!.policies[0]).toMatchObject({ mode: "audit", passed: false });
  });

  it("an image no policy covers meets noMatch: deny by default, warn, allow", () => {
    const other: ImageInput = { reference: "quay.io/x/y:1", evidence: evidence("quay.io/x/y:1", DIGEST, []) };
    expect(decide(policy(KEY_AUTHORITY), [other])).toMatchObject({ allowed: false, reasons: ["quay.io/x/y:1: no policy covers this image (no-match: deny)"] });
    expect(decide(policy(KEY_AUTHORITY), [other], { noMatch: "warn" })).toMatchObject({ allowed: true, warnings: ["quay.io/x/y:1: no policy covers this image"] });
    expect(decide(policy(KEY_AUTHORITY), [other], { noMatch: "allow" })).toMatchObject({ allowed: true, warnings: [], reasons: [] });
    expect(decide(policy(KEY_AUTHORITY), [other]).images[0]!.unmatched).toBe(true);
  });
});

const ANY_IMAGE = '      images: [ { glob: "localhost:*/**" } ]\n';

describe("evaluate: exceptions", () => {
  const withException = (scope: string) =>
    policy(`${KEY_AUTHORITY}  exceptions:
    - name: hotfix
${scope}      reason: key rotation
      ticket: OPS-7
      approver: sec@example.com
      expiresAt: "2026-03-02T00:00:00Z"
`);

  it("waives a failing policy before expiresAt and never at or after it", () => {
    const yaml = withException(ANY_IMAGE);
    const before = decide(yaml, [signed(OTHER)]);
    expect(before.allowed).toBe(true);
    expect(before.images[0]!.policies[0]).toMatchObject({ passed: true, exception: { name: "hotfix", reason: "key rotation", ticket: "OPS-7", approver: "sec@example.com", expiresAt: "2026-03-02T00:00:00.000Z" } });
    for (const now of [new Date("2026-03-02T00:00:00Z"), new Date("2027-01-01T00:00:00Z")]) {
      const after = decide(yaml, [signed(OTHER)], { now });
      expect(after.allowed).toBe(false);
      expect(after.images[0]!.policies[0]!.exception).toBeUndefined();
    }
  });

  it("is scoped by namespace and image", () => {
    const yaml = withException("      namespaces: [payments]\n      images: [ { glob: \"localhost:*/holdout/app:*\" } ]\n");
    expect(decide(yaml, [signed(OTHER)], { namespace: "payments" }).allowed).toBe(true);
    expect(decide(yaml, [signed(OTHER)], { namespace: "web" }).allowed).toBe(false);
    expect(decide(yaml, [signed(OTHER)]).allowed).toBe(false);
    expect(decide(yaml, [signed(OTHER, "localhost:5000/holdout/db:1")], { namespace: "payments" }).allowed).toBe(false);
  });

  it("does not waive a passing policy (nothing to record)", () => {
    expect(decide(withException(ANY_IMAGE), [signed()]).images[0]!.policies[0]!.exception).toBeUndefined();
  });
});

describe("evaluate: verification unavailable", () => {
  const down = (cached?: readonly PolicyResult[]): ImageInput => ({ reference: REF, unavailable: "registry 127.0.0.1:5000: connection refused", ...(cached ? { cached } : {}) });

  it("deny fails closed with the reason", () => {
    const d = decide(policy(`${KEY_AUTHORITY}  onVerificationUnavailable: deny\n`), [down()]);
    expect(d).toMatchObject({ allowed: false, needsReconciliation: true });
    expect(d.reasons).toEqual([`${REF}: p/unavailable: verification unavailable: registry 127.0.0.1:5000: connection refused`]);
  });

  it("allow-and-record admits, degraded, for reconciliation", () => {
    const d = decide(policy(`${KEY_AUTHORITY}  onVerificationUnavailable: allow-and-record\n`), [down()]);
    expect(d).toMatchObject({ allowed: true, needsReconciliation: true });
    expect(d.images[0]!.policies[0]!.degraded).toEqual({ action: "allow-and-record", reason: "registry 127.0.0.1:5000: connection refused" });
  });

  it("use-cache replays the cached result of the same policy version, else denies", () => {
    const yaml = policy(`${KEY_AUTHORITY}  onVerificationUnavailable: use-cache\n`);
    const good = decide(yaml, [signed()]).images[0]!.policies;
    const replay = decide(yaml, [down(good)]);
    expect(replay.allowed).toBe(true);
    expect(replay.images[0]!.policies[0]).toMatchObject({ passed: true, degraded: { action: "use-cache", fromCache: true } });
    const stale = good.map((p) => ({ ...p, policyVersion: "older" }));
    expect(decide(yaml, [down(stale)]).allowed).toBe(false);
    expect(decide(yaml, [down()]).allowed).toBe(false);
  });

  it("use-cache does not keep an exception that has expired since the cached decision", () => {
    const yaml = policy(`${KEY_AUTHORITY}  onVerificationUnavailable: use-cache
  exceptions:
    - name: hotfix
      images: [ { glob: "localhost:*/**" } ]
      reason: r
      approver: a@example.com
      expiresAt: "2026-03-02T00:00:00Z"
`);
    const cached = decide(yaml, [signed(OTHER)]).images[0]!.policies;
    expect(cached[0]).toMatchObject({ passed: true, exception: { name: "hotfix" } });
    expect(decide(yaml, [down(cached)]).allowed).toBe(true);
    expect(decide(yaml, [down(cached)], { now: new Date("2026-03-03T00:00:00Z") }).allowed).toBe(false);
  });
});

describe("evaluate: vulnerabilities", () => {
  const finding = (id: string, severity: FoundFinding["severity"], extra: Partial<FoundFinding> = {}): FoundFinding => ({ id, aliases: [], purl: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", severity, kev: false, fixAvailable: true, ...extra });
  const yaml = policy(`  authorities:\n    - static: pass\n  vulnerabilities:\n    denyAtOrAbove: high\n    denyKev: true\n`);
  const withFindings = (findings: FoundFinding[], vex?: string[]): ImageInput => ({
    reference: REF,
    evidence: evidence(REF, DIGEST, [], { findings, ...(vex ? { vex: vex.map((v) => new TextEncoder().encode(v)) } : {}) }),
  });

  it("denies a finding at or above the level, or in KEV; passes below", () => {
    expect(decide(yaml, [withFindings([finding("CVE-2021-44228", "critical")])]).reasons).toEqual([expect.stringMatching(/p\/vulnerabilities: 1 finding\(s\) at or above high or in KEV: CVE-2021-44228 in pkg:maven/)]);
    expect(decide(yaml, [withFindings([finding("CVE-1", "low", { kev: true })])]).allowed).toBe(false);
    expect(decide(yaml, [withFindings([finding("CVE-1", "medium"), finding("CVE-2", "unknown")])]).allowed).toBe(true);
  });

  it("fails without findings: no SBOM was scanned", () => {
    expect(decide(yaml, [{ reference: REF, evidence: evidence(REF, DIGEST, []) }]).reasons).toEqual([expect.stringMatching(/no scan findings/)]);
  });

  it("onlyFixed counts only findings with a fix", () => {
    const only = yaml.replace("denyKev: true", "denyKev: true\n    onlyFixed: true");
    expect(decide(only, [withFindings([finding("CVE-2021-44228", "critical", { fixAvailable: false })])]).allowed).toBe(true);
  });

  it("a VEX not_affected statement covers the finding; an unreadable VEX document covers nothing", () => {
    const openvex = JSON.stringify({
      "@context": "https://openvex.dev/ns/v0.2.0",
      "@id": "https://example.com/vex/1",
      author: "sec@example.com",
      timestamp: "2026-01-01T00:00:00Z",
      version: 1,
      statements: [{ vulnerability: { name: "CVE-2021-44228" }, products: [{ "@id": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1" }], status: "not_affected", justification: "vulnerable_code_not_in_execute_path" }],
    });
    const d = decide(yaml, [withFindings([finding("CVE-2021-44228", "critical")], [openvex])]);
    expect(d.allowed).toBe(true);
    expect(d.images[0]!.policies[0]!.evidence.findings).toEqual({ denied: [], coveredByVex: [expect.stringMatching(/^CVE-2021-44228 .*\(not_affected\)$/)] });
    const broken = decide(yaml, [withFindings([finding("CVE-2021-44228", "critical")], ["{not json"])]);
    expect(broken.allowed).toBe(false);
    expect(broken.images[0]!.policies[0]!.rules.at(-1)!.reasons.join()).toMatch(/VEX document 1 ignored/);
  });
});

describe("evaluate: SBOM referrers", () => {
  const yaml = policy(`  authorities:\n    - static: pass\n  sbom:\n    minQualityScore: 9.5\n    deniedLicenses: [GPL-3.0-only]\n`);
  const sbomOf = (file: string, subjectDigest = DIGEST): ImageInput => ({
    reference: REF,
    evidence: evidence(REF, DIGEST, [], { sboms: [{ location: file, source: "referrer", bytes: readFileSync(file), subjectDigest }] }),
  });
  const WILD = join(import.meta.dirname, "..", "..", "test", "fixtures", "sboms-in-the-wild");

  it("scores a real SBOM and fails it below the minimum", () => {
    const d = decide(yaml, [sbomOf(join(WILD, "cdx16_trivy-0.54.1_test-image.json"))]);
    const rule = d.images[0]!.policies[0]!.rules.find((r) => r.rule === "sbom")!;
    expect(rule.outcome).toBe("fail");
    expect(rule.reasons.join()).toMatch(/quality score \d+(\.\d)? is below 9\.5/);
    expect(d.images[0]!.policies[0]!.evidence.sbom).toMatchObject({ format: "cyclonedx", qualityScore: expect.any(Number) as number });
  });

  it("ignores a referrer whose subject is another image, and fails as missing", () => {
    const d = decide(yaml, [sbomOf(join(WILD, "cdx16_trivy-0.54.1_test-image.json"), OTHER)]);
    expect(d.reasons.join()).toMatch(/p\/sbom: no SBOM attestation or SBOM referrer for the image digest found/);
  });

  it("a corrupt SBOM fails the rule with the reader's reason", () => {
    const d = decide(yaml, [sbomOf(join(WILD, "broken_spdx22_sbom-tool_psreadline-2.2.6.json"))]);
    expect(d.images[0]!.policies[0]!.rules.find((r) => r.rule === "sbom")).toMatchObject({ outcome: "fail" });
  });
});
