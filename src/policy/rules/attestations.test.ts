import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { evaluate } from "../evaluate.js";
import { evidence, fileBundle, policies, SLSA, slsaRoot, trustOf } from "../../../test/support/policy.js";

/**
 * The SLSA cases of test/fixtures/slsa (slsa-verifier's real provenance bundles, copied from ../shared/testdata/slsa;
 * see its SOURCE.md) evaluated as policy inputs: the artifact's sha256 stands for the image digest, the bundle is the
 * image's attestation, the authority is GitHub Actions keyless signing, and slsa-verifier's builder-id / source /
 * branch checks become CEL conditions. The expected pass/fail is the one slsa-verifier's own tests assert.
 */

interface Check {
  sourceUri?: string;
  builderId?: string;
  sourceBranch?: string;
  expect: string;
  [field: string]: unknown;
}
interface Case {
  id: string;
  provenance: string;
  artifactSha256: Record<string, string>;
  provenanceSummary?: { container?: string; predicateType?: string };
  checks: Check[];
}
const { cases } = JSON.parse(readFileSync(join(SLSA, "cases.json"), "utf8")) as { cases: Case[] };

/** The expectations a condition can express: builder identity and source (tag rules need semver, not translated). */
const TRANSLATED = new Set(["pass", "ErrorUntrustedReusableWorkflow", "ErrorMismatchBuilderID", "ErrorMismatchSource", "ErrorMismatchBranch"]);
const DEFAULT_BUILDERS = "https://github.com/slsa-framework/slsa-github-generator/";

function conditions(check: Check, v02: boolean): string[] {
  const builderField = v02 ? "predicate.builder.id" : "predicate.runDetails.builder.id";
  const out: string[] = [];
  const id = check.builderId;
  if (id === undefined) out.push(`${builderField}.startsWith(${JSON.stringify(DEFAULT_BUILDERS)})`);
  else if (!id.includes("@")) out.push(`${builderField}.startsWith(${JSON.stringify(`${id}@`)})`);
  else {
    const [base, ref] = id.split("@") as [string, string];
    out.push(`${builderField} == ${JSON.stringify(ref.startsWith("refs/") ? id : `${base}@refs/tags/${ref}`)}`);
  }
  const source = (uri: string): string =>
    v02
      ? `predicate.invocation.configSource.uri.startsWith(${JSON.stringify(`git+https://${uri}@`)})`
      : `predicate.buildDefinition.resolvedDependencies.exists(d, d.uri.startsWith(${JSON.stringify(`git+https://${uri}@`)}))`;
  if (check.sourceUri !== undefined) out.push(source(check.sourceUri));
  if (check.sourceBranch !== undefined) {
    const suffix = JSON.stringify(`@refs/heads/${check.sourceBranch}`);
    out.push(v02 ? `predicate.invocation.configSource.uri.endsWith(${suffix})` : `predicate.buildDefinition.resolvedDependencies[0].uri.endsWith(${suffix})`);
  }
  return out;
}

function policyYaml(predicateType: string, conds: string[], subjectRegExp = "^https://github\\\\.com/.+$"): string {
  return `apiVersion: vouch.dev/v1
kind: ImagePolicy
metadata: { name: slsa }
spec:
  images: [ { glob: "ghcr.io/slsa/**" } ]
  authorities:
    - keyless:
        identities:
          - issuer: https://token.actions.githubusercontent.com
            subjectRegExp: "${subjectRegExp}"
  attestations:
    - predicateType: ${predicateType}
      conditions:
${conds.map((c) => `        - ${JSON.stringify(c)}`).join("\n")}
`;
}

const root = slsaRoot();
const NOW = new Date("2026-01-01T00:00:00Z");

function decide(c: Case, yaml: string, digestOverride?: string) {
  const digest = digestOverride ?? `sha256:${Object.values(c.artifactSha256)[0]!}`;
  const bundle = fileBundle(join(SLSA, c.provenance), digest);
  const ev = evidence(`ghcr.io/slsa/${c.id.toLowerCase().replace(/[^a-z0-9]+/g, "-")}@${digest}`, digest, [bundle]);
  return evaluate({ policies: policies(yaml), resource: { kind: "Pod", namespace: "default" }, images: [{ reference: ev.reference, evidence: ev }], trust: trustOf(root), now: NOW });
}

/** Cases whose provenance is a Sigstore bundle verifiable offline (not the legacy bare DSSE, not npm documents). */
const bundleCases = cases.filter((c) => c.provenanceSummary?.container === "sigstore bundle" && Object.keys(c.artifactSha256).length === 1);

describe("attestations: slsa-verifier's cases as policies", () => {
  it("has the bundle cases to run", () => {
    expect(bundleCases.map((c) => c.id)).toEqual(expect.arrayContaining(["gha_generic-v2.1.0-workflow_dispatch", "gha_delegator-v2.1.0-workflow_dispatch", "gha_container-based-v2.1.0-workflow_dispatch", "bcr-MODULE.bazel"]));
  });

  for (const c of bundleCases) {
    const predicateType = c.provenanceSummary!.predicateType!;
    const v02 = predicateType === "https://slsa.dev/provenance/v0.2";
    c.checks.forEach((check, i) => {
      const extra = Object.keys(check).filter((k) => !["sourceUri", "builderId", "sourceBranch", "expect"].includes(k));
      if (extra.length > 0 || !TRANSLATED.has(check.expect)) return;
      it(`${c.id} check ${i}: ${check.expect}`, () => {
        const d = decide(c, policyYaml(predicateType, conditions(check, v02)));
        const result = d.images[0]!.policies[0]!;
        // The signature always verifies (real public-good bundle, GitHub identity): only the conditions decide.
        expect(result.rules.find((r) => r.rule === "authorities")?.outcome).toBe("pass");
        expect(result.evidence.signers).toEqual([expect.objectContaining({ identity: expect.stringMatching(/^https:\/\/github\.com\/.+\(https:\/\/token\.actions\.githubusercontent\.com\)$/) as string, logIndexes: [expect.stringMatching(/^\d+$/)] })]);
        const rule = result.rules.find((r) => r.rule.startsWith("attestation:"))!;
        expect(rule.outcome, rule.reasons.join("\n")).toBe(check.expect === "pass" ? "pass" : "fail");
        expect(d.allowed).toBe(check.expect === "pass");
        if (check.expect === "pass") {
          expect(result.evidence.attestations).toEqual([expect.objectContaining({ predicateType, signer: expect.stringContaining("(https://token.actions.githubusercontent.com)") as string })]);
        } else {
          expect(rule.reasons.join()).toMatch(/condition .* the condition is false/);
        }
      });
    });
  }

  const generic = cases.find((c) => c.id === "gha_generic-v2.1.0-workflow_dispatch")!;
  const delegator = cases.find((c) => c.id === "gha_delegator-v2.1.0-workflow_dispatch")!;

  it("refuses the attestation for another image: the statement's subject is not the image digest", () => {
    const d = decide(delegator, policyYaml("https://slsa.dev/provenance/v1", ['predicate.runDetails.builder.id.startsWith("https://github.com/")']), `sha256:${"ab".repeat(32)}`);
    expect(d.allowed).toBe(false);
    expect(d.reasons.join()).toMatch(/slsa\/attestation:https:\/\/slsa\.dev\/provenance\/v1: .*not verified/);
  });

  it("refuses a signer outside the keyless identities (the real certificate names slsa-framework, not acme)", () => {
    const d = decide(generic, policyYaml("https://slsa.dev/provenance/v0.2", ["true"], "^https://github\\\\.com/acme/.+$"));
    expect(d.allowed).toBe(false);
    expect(d.reasons.join()).toMatch(/identity|subject/i);
  });

  it("keyless identities are alternatives: the one that matches passes, and when none does each one's reason is given", () => {
    const identities = (...subjects: string[]) =>
      policyYaml("https://slsa.dev/provenance/v0.2", ["true"]).replace(
        / {8}identities:\n[\s\S]*?(?= {2}attestations:)/,
        `        identities:\n${subjects.map((re) => `          - issuer: https://token.actions.githubusercontent.com\n            subjectRegExp: "${re}"\n`).join("")}`,
      );
    const second = decide(generic, identities("^https://github\\\\.com/acme/.+$", "^https://github\\\\.com/slsa-framework/.+$"));
    expect(second.allowed, second.reasons.join("\n")).toBe(true);
    expect(second.images[0]!.policies[0]!.evidence.signers).toEqual([expect.objectContaining({ identity: expect.stringMatching(/^https:\/\/github\.com\/slsa-framework\//) as string })]);
    const neither = decide(generic, identities("^https://github\\\\.com/acme/.+$", "^https://github\\\\.com/octo/.+$"));
    expect(neither.allowed).toBe(false);
    const reasons = neither.reasons.join("\n");
    expect(reasons).toMatch(/acme/);
    expect(reasons).toMatch(/octo/);
  });

  it("fails when the image has no attestation of the predicate type", () => {
    const d = decide(generic, policyYaml("https://slsa.dev/provenance/v1", ["true"]));
    expect(d.reasons).toEqual([expect.stringMatching(/authorities: no signature found/), expect.stringMatching(/no attestation of type https:\/\/slsa\.dev\/provenance\/v1 found/)]);
  });

  for (const bad of ["invalid-set", "invalid-dsse-sig"]) {
    it(`refuses the tampered bundle ${bad} (slsa-verifier: ErrorInvalidRekorEntry)`, () => {
      const file = join(SLSA, "bundle", `${bad}.intoto.sigstore`);
      const json = JSON.parse(readFileSync(file, "utf8")) as { dsseEnvelope: { payload: string } };
      const statement = JSON.parse(Buffer.from(json.dsseEnvelope.payload, "base64").toString("utf8")) as { predicateType: string; subject: { digest: { sha256: string } }[] };
      const digest = `sha256:${statement.subject[0]!.digest.sha256}`;
      const ev = evidence(`ghcr.io/slsa/bundle@${digest}`, digest, [fileBundle(file, digest)]);
      const d = evaluate({ policies: policies(policyYaml(statement.predicateType, ["true"])), resource: { kind: "Pod" }, images: [{ reference: ev.reference, evidence: ev }], trust: trustOf(root), now: NOW });
      expect(d.allowed).toBe(false);
      expect(d.reasons.join("\n")).toMatch(/attestation:.*not verified/);
      expect(d.reasons.join("\n")).toMatch(/authorities: none of 1 signature\(s\) verified/);
    });
  }

});
