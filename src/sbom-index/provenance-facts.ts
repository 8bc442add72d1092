import type { ProvenanceByproduct, ProvenanceFacts } from "../store/ports.js";

/** SLSA provenance predicate types the index reads facts from. */
export const SLSA_V1 = "https://slsa.dev/provenance/v1";
export const SLSA_V02 = "https://slsa.dev/provenance/v0.2";

/** Whether a predicate type is SLSA provenance the index extracts facts from. */
export function isSlsaProvenance(predicateType: string | undefined): boolean {
  return predicateType === SLSA_V1 || predicateType === SLSA_V02;
}

/**
 * What a SLSA provenance predicate (v1, or v0.2 mapped onto v1's names) says about the build: builder, build type,
 * source repository and commit, and the run. Pure; the predicate is attacker-shaped JSON (it was signed, not
 * validated), so every field is read defensively and a wrong type is treated as absent, never thrown on.
 *
 * v1's runDetails.byproducts with a sha256 digest become `byproducts` (the SBOM the run produced).
 *
 * `complete` follows ports.ts ProvenanceFacts: v1 needs runDetails.builder.id, buildDefinition.buildType, a non-empty
 * buildDefinition.externalParameters, a resolvedDependency with a commit digest and runDetails.metadata.invocationId;
 * v0.2 needs builder.id, buildType, invocation.configSource with a commit digest, invocation.parameters or
 * configSource.entryPoint, and metadata.buildInvocationId.
 *
 * @example
 *   provenanceFactsOf("https://slsa.dev/provenance/v1", statement.predicate)?.sourceCommit; // "4f0a…"
 */
export function provenanceFactsOf(predicateType: string, predicate: unknown): ProvenanceFacts | undefined {
  if (!isSlsaProvenance(predicateType) || !isObject(predicate)) return undefined;
  return predicateType === SLSA_V1 ? v1Facts(predicate) : v02Facts(predicate);
}

function v1Facts(p: Record<string, unknown>): ProvenanceFacts {
  const definition = objectAt(p, "buildDefinition");
  const run = objectAt(p, "runDetails");
  const builderId = stringAt(objectAt(run, "builder"), "id");
  const buildType = stringAt(definition, "buildType");
  const external = objectAt(definition, "externalParameters");
  const invocationId = stringAt(objectAt(run, "metadata"), "invocationId");
  const dependencies = arrayAt(definition, "resolvedDependencies").filter(isObject);
  const source = dependencies.map(sourceOf).find((s) => s.commit !== undefined) ?? workflowSource(external);
  const facts: ProvenanceFacts = {
    predicateType: SLSA_V1,
    complete: builderId !== undefined && buildType !== undefined && external !== undefined && Object.keys(external).length > 0 && source.commit !== undefined && invocationId !== undefined,
  };
  const byproducts = byproductsOf(arrayAt(run, "byproducts"));
  if (byproducts.length > 0) facts.byproducts = byproducts;
  return assign(facts, { builderId, buildType, sourceRepo: source.repo, sourceCommit: source.commit, invocationId });
}

/**
 * v1's runDetails.byproducts as the index joins them: entries with a sha256 digest (an SBOM's id in the index is the
 * sha256 of its bytes), lower-cased, sorted by digest then name, each once. An entry without one (a log named only by
 * URI) or with a malformed one is skipped: it names nothing the index could hold. (v0.2 has no byproducts.)
 */
function byproductsOf(entries: unknown[]): ProvenanceByproduct[] {
  const seen = new Map<string, ProvenanceByproduct>();
  for (const entry of entries) {
    if (!isObject(entry)) continue;
    const hex = stringAt(objectAt(entry, "digest"), "sha256");
    if (hex === undefined || !/^[0-9a-fA-F]{64}$/.test(hex)) continue;
    const digest = `sha256:${hex.toLowerCase()}`;
    const name = stringAt(entry, "name");
    seen.set(`${digest}\u0000${name ?? ""}`, name === undefined ? { digest } : { digest, name });
  }
  return [...seen.values()].sort((a, b) => cmp(a.digest, b.digest) || cmp(a.name ?? "", b.name ?? ""));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function v02Facts(p: Record<string, unknown>): ProvenanceFacts {
  const builderId = stringAt(objectAt(p, "builder"), "id");
  const buildType = stringAt(p, "buildType");
  const invocation = objectAt(p, "invocation");
  const configSource = objectAt(invocation, "configSource");
  const invocationId = stringAt(objectAt(p, "metadata"), "buildInvocationId");
  const fromConfig = configSource === undefined ? { repo: undefined, commit: undefined } : sourceOf(configSource);
  const source = fromConfig.commit !== undefined ? fromConfig : (arrayAt(p, "materials").filter(isObject).map(sourceOf).find((s) => s.commit !== undefined) ?? fromConfig);
  const parameters = objectAt(invocation, "parameters");
  const hasParameters = (parameters !== undefined && Object.keys(parameters).length > 0) || stringAt(configSource, "entryPoint") !== undefined;
  const facts: ProvenanceFacts = {
    predicateType: SLSA_V02,
    complete: builderId !== undefined && buildType !== undefined && fromConfig.commit !== undefined && hasParameters && invocationId !== undefined,
  };
  return assign(facts, { builderId, buildType, sourceRepo: source.repo, sourceCommit: source.commit, invocationId });
}

/** A resource descriptor (v1) or material (v0.2) as a source: its repository and its commit digest, if it has one. */
function sourceOf(d: Record<string, unknown>): { repo: string | undefined; commit: string | undefined } {
  const digest = objectAt(d, "digest");
  const commit = [stringAt(digest, "gitCommit"), stringAt(digest, "sha1"), stringAt(digest, "sha256")].find((c) => c !== undefined && /^[0-9a-fA-F]{7,64}$/.test(c));
  return { repo: repoOf(stringAt(d, "uri")), commit: commit?.toLowerCase() };
}

/** GitHub's build type names the repository in externalParameters.workflow (no commit there). */
function workflowSource(external: Record<string, unknown> | undefined): { repo: string | undefined; commit: undefined } {
  return { repo: repoOf(stringAt(objectAt(external, "workflow"), "repository")), commit: undefined };
}

/** `git+https://github.com/o/r@refs/heads/main` → `https://github.com/o/r`; other URIs as they are. */
export function repoOf(uri: string | undefined): string | undefined {
  if (uri === undefined) return undefined;
  let repo = uri.startsWith("git+") ? uri.slice(4) : uri;
  // The ref after "@" in the path (not a user name before the host) is not part of the repository.
  const scheme = repo.indexOf("://");
  const pathStart = scheme < 0 ? 0 : repo.indexOf("/", scheme + 3);
  const at = repo.lastIndexOf("@");
  if (pathStart >= 0 && at > pathStart) repo = repo.slice(0, at);
  return repo.replace(/\.git$/, "");
}

function assign(facts: ProvenanceFacts, fields: Partial<Record<"builderId" | "buildType" | "sourceRepo" | "sourceCommit" | "invocationId", string | undefined>>): ProvenanceFacts {
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) facts[k as keyof typeof fields] = v;
  return facts;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function objectAt(o: Record<string, unknown> | undefined, key: string): Record<string, unknown> | undefined {
  const v = o?.[key];
  return isObject(v) ? v : undefined;
}

function stringAt(o: Record<string, unknown> | undefined, key: string): string | undefined {
  const v = o?.[key];
  return typeof v === "string" && v !== "" ? v : undefined;
}

function arrayAt(o: Record<string, unknown> | undefined, key: string): unknown[] {
  const v = o?.[key];
  return Array.isArray(v) ? v : [];
}
