import { describe, expect, it } from "vitest";
import { provenanceFactsOf, repoOf } from "./provenance-facts.js";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";

const v1 = {
  buildDefinition: {
    buildType: "https://actions.github.io/buildtypes/workflow/v1",
    externalParameters: { workflow: { ref: "refs/heads/main", repository: "https://github.com/acme/app", path: ".github/workflows/release.yml" } },
    resolvedDependencies: [{ uri: "git+https://github.com/acme/app@refs/heads/main", digest: { gitCommit: COMMIT.toUpperCase() } }],
  },
  runDetails: { builder: { id: "https://github.com/actions/runner/github-hosted" }, metadata: { invocationId: "https://github.com/acme/app/actions/runs/1/attempts/1" } },
};

const v02 = {
  builder: { id: "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v1.9.0" },
  buildType: "https://github.com/slsa-framework/slsa-github-generator/generic@v1",
  invocation: { configSource: { uri: "git+https://github.com/acme/app@refs/tags/v1", digest: { sha1: COMMIT }, entryPoint: ".github/workflows/release.yml" }, parameters: {} },
  metadata: { buildInvocationId: "1-1" },
  materials: [{ uri: "git+https://github.com/acme/app@refs/tags/v1", digest: { sha1: COMMIT } }],
};

describe("provenanceFactsOf", () => {
  it("SLSA v1: builder, build type, source repository and commit, run; complete", () => {
    expect(provenanceFactsOf("https://slsa.dev/provenance/v1", v1)).toEqual({
      predicateType: "https://slsa.dev/provenance/v1",
      builderId: "https://github.com/actions/runner/github-hosted",
      buildType: "https://actions.github.io/buildtypes/workflow/v1",
      sourceRepo: "https://github.com/acme/app",
      sourceCommit: COMMIT,
      invocationId: "https://github.com/acme/app/actions/runs/1/attempts/1",
      complete: true,
    });
  });

  it("SLSA v1 is incomplete without each required field", () => {
    const without = (mutate: (p: typeof v1) => void) => {
      const p = structuredClone(v1);
      mutate(p);
      return provenanceFactsOf("https://slsa.dev/provenance/v1", p)?.complete;
    };
    expect(without((p) => delete (p.runDetails.builder as { id?: string }).id)).toBe(false);
    expect(without((p) => delete (p.buildDefinition as { buildType?: string }).buildType)).toBe(false);
    expect(without((p) => (p.buildDefinition.externalParameters = {} as never))).toBe(false);
    expect(without((p) => (p.buildDefinition.resolvedDependencies = []))).toBe(false);
    expect(without((p) => delete (p.runDetails.metadata as { invocationId?: string }).invocationId)).toBe(false);
    // Without a dependency, the repository still comes from GitHub's workflow parameters (no commit).
    const p = structuredClone(v1);
    p.buildDefinition.resolvedDependencies = [];
    expect(provenanceFactsOf("https://slsa.dev/provenance/v1", p)).toMatchObject({ sourceRepo: "https://github.com/acme/app", complete: false });
    expect(provenanceFactsOf("https://slsa.dev/provenance/v1", p)?.sourceCommit).toBeUndefined();
  });

  it("SLSA v1 byproducts: each sha256 digest lower-cased with its name, sorted, once; absent when there are none", () => {
    const sbom = "ab".repeat(32);
    const log = "0c".repeat(32);
    const p = structuredClone(v1) as typeof v1 & { runDetails: { byproducts?: unknown[] } };
    p.runDetails.byproducts = [
      { name: "sbom.cdx.json", digest: { sha256: sbom.toUpperCase() }, mediaType: "application/vnd.cyclonedx+json" },
      { uri: "https://ci.example/logs/1", digest: { sha256: log } },
      { name: "sbom.cdx.json", digest: { sha256: sbom, sha512: "ff".repeat(64) } },
    ];
    expect(provenanceFactsOf("https://slsa.dev/provenance/v1", p)).toMatchObject({
      complete: true,
      byproducts: [{ digest: `sha256:${log}` }, { digest: `sha256:${sbom}`, name: "sbom.cdx.json" }],
    });
    expect(provenanceFactsOf("https://slsa.dev/provenance/v1", v1)).not.toHaveProperty("byproducts");
    // v0.2 has no byproducts: nothing is read from elsewhere in its predicate.
    expect(provenanceFactsOf("https://slsa.dev/provenance/v0.2", { ...v02, runDetails: p.runDetails })).not.toHaveProperty("byproducts");
  });

  it("SLSA v1 byproducts: malformed entries are skipped, never thrown on", () => {
    const good = "12".repeat(32);
    const p = structuredClone(v1) as typeof v1 & { runDetails: { byproducts?: unknown } };
    p.runDetails.byproducts = [
      null,
      "sbom.json",
      7,
      [],
      { name: "no digest" },
      { name: "digest not an object", digest: `sha256:${good}` },
      { name: "short", digest: { sha256: "abc" } },
      { name: "not hex", digest: { sha256: "z".repeat(64) } },
      { name: "prefixed", digest: { sha256: `sha256:${good}` } },
      { name: "sha512 only", digest: { sha512: "ff".repeat(64) } },
      { name: 42, digest: { sha256: good } },
    ];
    expect(provenanceFactsOf("https://slsa.dev/provenance/v1", p)?.byproducts).toEqual([{ digest: `sha256:${good}` }]);
    p.runDetails.byproducts = { name: "an object, not a list", digest: { sha256: good } };
    expect(provenanceFactsOf("https://slsa.dev/provenance/v1", p)).not.toHaveProperty("byproducts");
  });

  it("SLSA v0.2: mapped onto v1's names; complete", () => {
    expect(provenanceFactsOf("https://slsa.dev/provenance/v0.2", v02)).toEqual({
      predicateType: "https://slsa.dev/provenance/v0.2",
      builderId: v02.builder.id,
      buildType: v02.buildType,
      sourceRepo: "https://github.com/acme/app",
      sourceCommit: COMMIT,
      invocationId: "1-1",
      complete: true,
    });
    const noInvocation = { ...v02, metadata: {} };
    expect(provenanceFactsOf("https://slsa.dev/provenance/v0.2", noInvocation)?.complete).toBe(false);
  });

  it("reads attacker-shaped predicates without throwing: wrong types are absent", () => {
    const corrupt = { buildDefinition: { buildType: 7, externalParameters: "x", resolvedDependencies: [null, 1, { digest: { gitCommit: "not hex" } }] }, runDetails: [] };
    expect(provenanceFactsOf("https://slsa.dev/provenance/v1", corrupt)).toEqual({ predicateType: "https://slsa.dev/provenance/v1", complete: false });
    expect(provenanceFactsOf("https://slsa.dev/provenance/v1", "a string")).toBeUndefined();
    expect(provenanceFactsOf("https://slsa.dev/provenance/v1", null)).toBeUndefined();
    expect(provenanceFactsOf("https://spdx.dev/Document", v1)).toBeUndefined();
  });

  it("repoOf drops git+ and the ref, keeps a user name before the host", () => {
    expect(repoOf("git+https://github.com/acme/app@refs/heads/main")).toBe("https://github.com/acme/app");
    expect(repoOf("git+https://github.com/acme/app.git")).toBe("https://github.com/acme/app");
    expect(repoOf("https://user@git.example.com/acme/app")).toBe("https://user@git.example.com/acme/app");
    expect(repoOf("git+ssh://git@github.com/acme/app@v1")).toBe("ssh://git@github.com/acme/app");
  });
});
