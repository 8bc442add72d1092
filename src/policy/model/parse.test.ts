import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isVouchError, type VouchError } from "../../core/errors.js";
import { CelCompiler } from "../cel.js";
import { exceptionApplies, parsePolicies, POLICY_SCHEMA } from "./index.js";

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/policies/${name}`, import.meta.url), "utf8");

function parseError(text: string, file?: string): VouchError {
  try {
    parsePolicies(text, { file });
  } catch (err) {
    if (isVouchError(err)) return err;
    throw err;
  }
  throw new Error("parsed without an error");
}

describe("the two policies of issue 10, exactly as written", () => {
  const [key, keyless] = parsePolicies(fixture("issue-10.yaml"), { file: "issue-10.yaml" });

  it("signed-by-release-key", () => {
    expect(key).toMatchObject({ kind: "ImagePolicy", name: "signed-by-release-key", mode: "enforce", count: 1, documentIndex: 1, onVerificationUnavailable: "deny" });
    expect(key?.authorities).toEqual([{ type: "key", name: "authority-0", key: { source: "path", path: "/etc/vouch/release.pub" } }]);
    expect(key?.images.matches("localhost:5000/holdout/app@sha256:0123")).toBe(true);
    expect(key?.images.matches("localhost:5000/holdout/a/b:v1")).toBe(true);
    expect(key?.images.matches("localhost:5000/other/app")).toBe(false);
    expect(key?.images.matches("evil.example/localhost:5000/holdout/app")).toBe(false);
    expect(key?.resources.matches({ kind: "Pod", namespace: "default" })).toBe(true);
    expect(key?.version).toMatch(/^[0-9a-f]{64}$/);
  });

  it("keyless-with-provenance", () => {
    expect(keyless).toMatchObject({ name: "keyless-with-provenance", mode: "warn", documentIndex: 2 });
    const authority = keyless?.authorities[0];
    if (authority?.type !== "keyless") throw new Error("expected a keyless authority");
    const identity = authority.identities[0];
    expect(identity?.issuer).toBe("https://token.actions.githubusercontent.com");
    const re = identity?.subjectRegExp;
    expect(re?.test("https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.2.3")).toBe(true);
    expect(re?.test("https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main")).toBe(false);
    expect(keyless?.images.matches("ghcr.io/acme/app:v1")).toBe(true);
    expect(keyless?.images.matches("ghcr.io/acmex/app:v1")).toBe(false);
    const rule = keyless?.attestations[0];
    expect(rule?.predicateType).toBe("https://slsa.dev/provenance/v1");
    expect(rule?.conditions.map((c) => c.expression)).toEqual(['predicate.runDetails.builder.id.startsWith("https://github.com/")']);
    expect(rule?.conditions[0]?.evaluate({ predicateType: "x", subject: [], predicate: { runDetails: { builder: { id: "https://github.com/x" } } } })).toEqual({ ok: true });
  });

  it("reuses a compiler's conditions and gives each document its own version", () => {
    const cel = new CelCompiler();
    const a = parsePolicies(fixture("issue-10.yaml"), { cel });
    const b = parsePolicies(fixture("issue-10.yaml"), { cel });
    expect(b[1]?.attestations[0]?.conditions[0]).toBe(a[1]?.attestations[0]?.conditions[0]);
    expect(a[0]?.version).not.toBe(a[1]?.version);
    expect(b[0]?.version).toBe(a[0]?.version);
  });
});

describe("every field", () => {
  const [p] = parsePolicies(fixture("full.yaml"));
  if (p === undefined) throw new Error("no policy");

  it("metadata, mode, outage behaviour", () => {
    expect(p).toMatchObject({ kind: "NamespacedImagePolicy", name: "payments-strict", namespace: "payments", labels: { team: "payments" }, mode: "audit", count: 2 });
    expect(p.onVerificationUnavailable).toBe("use-cache");
  });

  it("images with exclusions", () => {
    expect(p.images.matches("registry.acme.example/payments/api@sha256:00")).toBe(true);
    expect(p.images.matches("ghcr.io/acme/payments-api:v1")).toBe(true);
    expect(p.images.matches("ghcr.io/acme/payments-api/x:v1")).toBe(false);
    expect(p.images.matches("registry.acme.example/payments/debug/shell:1")).toBe(false);
  });

  it("resources by kind, own namespace and labels", () => {
    const labels = { tier: "backend", env: "prod" };
    expect(p.resources.matches({ kind: "Deployment", namespace: "payments", labels })).toBe(true);
    expect(p.resources.matches({ kind: "Deployment", namespace: "other", labels })).toBe(false);
    expect(p.resources.matches({ kind: "StatefulSet", namespace: "payments", labels })).toBe(false);
    expect(p.resources.matches({ kind: "Pod", namespace: "payments", labels: { ...labels, env: "dev" } })).toBe(false);
    expect(p.resources.matches({ kind: "Pod", namespace: "payments", labels: { ...labels, legacy: "y" } })).toBe(false);
    expect(p.resources.matches({ kind: "Pod", namespace: "payments", labels: { env: "prod" } })).toBe(false);
  });

  it("authorities: key data, PKCS#11, KMS, keyless with Fulcio claims, static; per-authority trusted root", () => {
    expect(p.authorities.map((a) => [a.type, a.name])).toEqual([
      ["key", "release-key"],
      ["key", "hsm"],
      ["key", "kms"],
      ["keyless", "ci"],
      ["static", "break-glass"],
    ]);
    const [data, hsm, kms, ci, stat] = p.authorities;
    expect(data).toMatchObject({ key: { source: "data", pem: expect.stringContaining("BEGIN PUBLIC KEY") as string }, trustedRoot: { source: "path", path: "/etc/vouch/private-root.json" } });
    expect(hsm).toMatchObject({ key: { source: "pkcs11", uri: expect.stringMatching(/^pkcs11:token=vouch/) as string } });
    expect(kms).toMatchObject({ key: { source: "kms", uri: "awskms:///arn:aws:kms:us-east-1:111122223333:key/abcd" } });
    expect(stat).toEqual({ type: "static", name: "break-glass", result: "fail" });
    if (ci?.type !== "keyless") throw new Error("expected keyless");
    const id = ci.identities[0];
    expect(id?.issuerRegExp?.test("https://token.actions.githubusercontent.com")).toBe(true);
    // anchored: a longer value that contains the pattern does not match
    expect(id?.issuerRegExp?.test("https://token.actions.githubusercontent.com.evil.example")).toBe(false);
    expect(id?.subject).toBe("https://github.com/acme/payments/.github/workflows/release.yml@refs/heads/main");
    expect({ ...id?.extensions }).toEqual({
      sourceRepositoryURI: "https://github.com/acme/payments",
      sourceRepositoryRef: "refs/heads/main",
      "1.3.6.1.4.1.57264.1.11": "github-hosted",
    });
  });

  it("attestations, SBOM and vulnerability rules", () => {
    expect(p.attestations.map((a) => [a.name, a.predicateType, a.conditions.length])).toEqual([
      ["provenance", "https://slsa.dev/provenance/v1", 2],
      ["https://openvex.dev/ns", "https://openvex.dev/ns", 0],
    ]);
    expect(p.sbom).toEqual({ required: true, formats: ["spdx"], subjectIsImage: true, minQualityScore: 6.5, deniedLicenses: ["AGPL-3.0-only", "SSPL-1.0"] });
    expect(p.vulnerabilities).toEqual({ denyAtOrAbove: "high", denyKev: true, onlyFixed: true, useVex: false });
  });

  it("exceptions apply before expiresAt and never after", () => {
    const e = p.exceptions[0];
    if (e === undefined) throw new Error("no exception");
    expect(e).toMatchObject({ name: "cve-hotfix", reason: "CVE-2025-0001 fix ships Friday", ticket: "SEC-1234", approver: "alice@acme.example" });
    expect(e.expiresAt.toISOString()).toBe("2030-01-31T17:00:00.000Z");
    const target = { image: "registry.acme.example/payments/api@sha256:abc", namespace: "payments" };
    expect(exceptionApplies(e, target, new Date("2030-01-31T16:59:59Z"))).toBe(true);
    expect(exceptionApplies(e, target, new Date("2030-01-31T17:00:00Z"))).toBe(false);
    expect(exceptionApplies(e, { ...target, namespace: "other" }, new Date("2029-01-01T00:00:00Z"))).toBe(false);
    expect(exceptionApplies(e, { ...target, image: "registry.acme.example/payments/web:1" }, new Date("2029-01-01T00:00:00Z"))).toBe(false);
  });

  it("defaults", () => {
    const [d] = parsePolicies("apiVersion: vouch.dev/v1\nkind: ImagePolicy\nmetadata: { name: d }\nspec:\n  images: [ { glob: 'a/**' } ]\n  authorities: [ { static: pass } ]\n  sbom: {}\n  vulnerabilities: {}\n");
    expect(d).toMatchObject({ mode: "enforce", count: 1, onVerificationUnavailable: "deny", attestations: [], exceptions: [] });
    expect(d?.sbom).toEqual({ required: true, formats: ["spdx", "cyclonedx"], subjectIsImage: true, deniedLicenses: [] });
    expect(d?.vulnerabilities).toEqual({ denyKev: false, onlyFixed: false, useVex: true });
    expect(d?.resources.kinds).toContain("CronJob");
  });
});

describe("malformed documents: a coded error naming the document and the field", () => {
  const cases: [string, RegExp][] = [
    ["wrong-api-version", /^document 1, apiVersion: must be "vouch.dev\/v1"/],
    ["unknown-field", /^document 1, spec.enforce: unknown field/],
    ["bad-regexp", /^document 1, spec.authorities\[0\].keyless.identities\[0\].subjectRegExp: not a valid regular expression/],
    ["bad-glob", /^document 1, spec.images\[0\].glob: not a valid glob/],
    ["bad-cel", /^document 1, spec.attestations\[0\].conditions\[0\]: invalid CEL/],
    ["expires-not-rfc3339", /^document 1, spec.exceptions\[0\].expiresAt: /],
    ["count-over-authorities", /^document 1, spec.count: 3 authorities must pass, but the policy lists 2/],
  ];
  for (const [name, message] of cases) {
    it(name, () => {
      const err = parseError(fixture(`corrupt/${name}.yaml`), `${name}.yaml`);
      expect(err.code).toBe("INPUT_MALFORMED");
      expect(err.message).toMatch(message);
      expect(err.location.file).toBe(`${name}.yaml`);
      expect(err.location.line).toBeGreaterThan(0);
    });
  }

  const base = "apiVersion: vouch.dev/v1\nkind: ImagePolicy\nmetadata: { name: p }\nspec:\n  images: [ { glob: 'a/**' } ]\n";
  const more: [string, string, RegExp][] = [
    ["invalid YAML", "a: [\n", /^document 1: invalid YAML/],
    ["duplicate key", "a: 1\na: 2\n", /invalid YAML/],
    ["a second document's error names it", `${base}  authorities: [ { static: pass } ]\n---\n${base.replace("name: p", "name: q")}  authorities: []\n`, /^document 2, spec.authorities: /],
    ["duplicate policy names", `${base}  authorities: [ { static: pass } ]\n---\n${base}  authorities: [ { static: pass } ]\n`, /^document 2, metadata.name: a policy named "p"/],
    ["an authority with two kinds", `${base}  authorities: [ { static: pass, key: { path: /k } } ]\n`, /authorities\[0\]: an authority is exactly one of/],
    ["two key sources", `${base}  authorities: [ { key: { path: /k, kms: "awskms:///k" } } ]\n`, /authorities\[0\].key: /],
    ["a KMS URI of an unknown kind", `${base}  authorities: [ { key: { kms: "mykms://k" } } ]\n`, /authorities\[0\].key.kms: /],
    ["a bad PKCS#11 URI", `${base}  authorities: [ { key: { pkcs11: "pkcs11:token=a#frag" } } ]\n`, /authorities\[0\].key.pkcs11: /],
    ["a keyless identity without a subject", `${base}  authorities: [ { keyless: { identities: [ { issuer: "https://i" } ] } } ]\n`, /needs an issuer .* and a subject/],
    ["an unknown Fulcio claim", `${base}  authorities: [ { keyless: { identities: [ { issuer: i, subject: s, extensions: { repo: x } } ] } } ]\n`, /extensions.repo: not a Fulcio claim/],
    ["a bad mode", `${base}  authorities: [ { static: pass } ]\n  mode: block\n`, /spec.mode: must be "enforce" or "warn" or "audit"/],
    ["a bad outage action", `${base}  authorities: [ { static: pass } ]\n  onVerificationUnavailable: allow\n`, /spec.onVerificationUnavailable: must be/],
    ["a negated glob", `${base.replace("'a/**'", "'!a/**'")}  authorities: [ { static: pass } ]\n`, /spec.images\[0\].glob: /],
    ["an unknown kind of workload", `${base}  authorities: [ { static: pass } ]\n  resources: { kinds: [Service] }\n`, /spec.resources.kinds\[0\]: must be/],
    ["In without values", `${base}  authorities: [ { static: pass } ]\n  resources: { labelSelector: { matchExpressions: [ { key: a, operator: In } ] } }\n`, /matchExpressions\[0\].values: In needs/],
    ["an exception without a scope", `${base}  authorities: [ { static: pass } ]\n  exceptions: [ { reason: r, approver: a, expiresAt: "2030-01-01T00:00:00Z" } ]\n`, /exceptions\[0\]: an exception needs a scope/],
    ["an exception without an approver", `${base}  authorities: [ { static: pass } ]\n  exceptions: [ { namespaces: [a], reason: r, expiresAt: "2030-01-01T00:00:00Z" } ]\n`, /exceptions\[0\].approver: is required/],
    ["a date that does not exist", `${base}  authorities: [ { static: pass } ]\n  exceptions: [ { namespaces: [a], reason: r, approver: a, expiresAt: "2030-02-30T00:00:00Z" } ]\n`, /expiresAt: "2030-02-30T00:00:00Z" is not an RFC 3339/],
    ["a YAML timestamp without a zone", `${base}  authorities: [ { static: pass } ]\n  exceptions: [ { namespaces: [a], reason: r, approver: a, expiresAt: 2030-01-01 } ]\n`, /expiresAt: /],
    ["a namespaced policy without a namespace", base.replace("ImagePolicy", "NamespacedImagePolicy") + "  authorities: [ { static: pass } ]\n", /metadata.namespace: a NamespacedImagePolicy needs/],
    ["a cluster policy with a namespace", base.replace("name: p", "name: p, namespace: x") + "  authorities: [ { static: pass } ]\n", /metadata.namespace: an ImagePolicy is cluster-wide/],
    ["an unknown predicate type short name", `${base}  authorities: [ { static: pass } ]\n  attestations: [ { predicateType: slsa } ]\n`, /attestations\[0\].predicateType: "slsa" is neither/],
    ["an unknown CEL variable", `${base}  authorities: [ { static: pass } ]\n  attestations: [ { predicateType: slsaprovenance, conditions: [ "statement.x == 1" ] } ]\n`, /unknown variable "statement"/],
    ["a static authority with a trusted root", `${base}  authorities: [ { static: pass, trustedRoot: { path: /r.json } } ]\n`, /trustedRoot: a static authority/],
    ["a document that is not a mapping", "- a\n- b\n", /^document 1, \(document\): must be object/],
  ];
  for (const [name, text, message] of more) {
    it(name, () => {
      const err = parseError(text);
      expect(err.code).toBe("INPUT_MALFORMED");
      expect(err.message).toMatch(message);
    });
  }

  it("skips empty documents and accepts an empty file", () => {
    expect(parsePolicies("")).toEqual([]);
    expect(parsePolicies(`---\n${fixture("issue-10.yaml")}\n---\n`).map((p) => p.name)).toEqual(["signed-by-release-key", "keyless-with-provenance"]);
  });

  it("refuses a huge file before parsing it", () => {
    expect(() => parsePolicies("#".repeat(2 * 1024 * 1024))).toThrow(expect.objectContaining({ code: "INPUT_TOO_LARGE" }) as Error);
  });

  it("the schema names the API version", () => {
    expect(POLICY_SCHEMA.properties.apiVersion.const).toBe("vouch.dev/v1");
  });
});
