import { readdirSync, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { isVouchError, VouchError } from "../core/errors.js";
import { isWorkloadKind, readAdmissionReview, workloadImages, type WorkloadImage } from "../policy/admission/index.js";
import type { Decision, FoundBundle, FoundFinding, FoundSbom, ImageInput, NoMatchAction } from "../policy/decision.js";
import { evaluate } from "../policy/evaluate.js";
import { CelCompiler } from "../policy/cel.js";
import { parsePolicies, type ImagePolicy, type ResourceRef } from "../policy/model/index.js";
import { coveringPolicies, imageNames } from "../policy/rules/matching.js";
import { runPolicyTests, TEST_RESULTS, type PolicyTestRun, type TestResource, type TestResult } from "../policy/testing/run.js";
import { readBytesFile, readTextFile } from "./files.js";
import type { RegistryAccessOptions } from "./image-registry.js";
import type { AdvisoryStore } from "../store/ports.js";
import { gatherEvidence, scanEvidence } from "./policy-evidence.js";
import { loadPolicyTrust, type TrustOptions } from "./policy-trust.js";
import { loadBundle } from "./verify.js";

/** One policy file and what it holds (`vouch policy validate`). */
export interface ValidatedFile {
  readonly file: string;
  readonly policies: readonly { readonly kind: string; readonly name: string; readonly namespace?: string; readonly document: number; readonly mode: string }[];
}

/** The files a FILE|DIR argument names: the file itself, or a directory's `*.yaml` / `*.yml` files (recursively, sorted). */
export function policyFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (path: string): void => {
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      throw new VouchError("INPUT_NOT_FOUND", `${path}: no such file or directory`);
    }
    if (!isDir) {
      out.push(path);
      return;
    }
    for (const entry of readdirSync(path).sort()) {
      // Hidden entries are skipped: a ConfigMap mounted as a directory holds every key twice more under kubelet's
      // `..data` / `..<timestamp>` directories, which would define each policy three times.
      if (entry.startsWith(".")) continue;
      const child = join(path, entry);
      if (statSync(child).isDirectory()) walk(child);
      else if (/\.ya?ml$/.test(entry) && entry !== TEST_FILE) out.push(child);
    }
  };
  for (const p of paths) walk(p);
  return out;
}

/** The policy unit-test file name in a `vouch policy test` directory (never read as a policy). */
export const TEST_FILE = "vouch-test.yaml";

/**
 * Parses every policy file (`vouch policy validate FILE|DIR...`). Throws VouchError INPUT_MALFORMED naming the file,
 * line, document and field of the first mistake; a directory with no policy in it is INPUT_USAGE. Policy names must
 * be unique across the files, as they are in a cluster.
 *
 * @example
 *   for (const f of validatePolicyFiles(["policies/"])) console.log(f.file, f.policies.length);
 */
export function validatePolicyFiles(paths: readonly string[]): ValidatedFile[] {
  return loadPolicySet(paths).files;
}

/** Every policy of the files, parsed with one CEL compiler (each condition compiled once). */
export function loadPolicies(paths: readonly string[]): ImagePolicy[] {
  return loadPolicySet(paths).policies;
}

function loadPolicySet(paths: readonly string[]): { files: ValidatedFile[]; policies: ImagePolicy[] } {
  const cel = new CelCompiler();
  const files: ValidatedFile[] = [];
  const policies: ImagePolicy[] = [];
  const seen = new Map<string, string>();
  for (const file of policyFiles(paths)) {
    const parsed = parsePolicies(readTextFile(file), { file, cel });
    for (const p of parsed) {
      const key = `${p.kind === "NamespacedImagePolicy" ? `${p.namespace}/` : ""}${p.name}`;
      const other = seen.get(key);
      if (other !== undefined) throw new VouchError("INPUT_MALFORMED", `document ${p.documentIndex}, metadata.name: policy "${key}" is also defined in ${other}`, { file });
      seen.set(key, file);
    }
    policies.push(...parsed);
    files.push({
      file,
      policies: parsed.map((p) => ({ kind: p.kind, name: p.name, ...(p.namespace !== undefined ? { namespace: p.namespace } : {}), document: p.documentIndex, mode: p.mode })),
    });
  }
  if (policies.length === 0) throw new VouchError("INPUT_USAGE", `no policy found in ${paths.join(", ")}`);
  return { files, policies };
}

export interface PolicyEvalOptions extends RegistryAccessOptions, TrustOptions {
  /** Policy files or directories (`--policy`). */
  policy: readonly string[];
  /** An image in a registry; with `bundles`, only the name the policies' globs are matched against. */
  image?: string;
  /** Bundle files (`--bundle`): the image's signatures and attestations, read instead of the registry's. */
  bundles?: readonly string[];
  /** `--digest sha256:…`: the image digest the bundles are for (required with `bundles`). */
  digest?: string;
  /** SBOM files (`--sbom`), taken as the image's SBOM referrers. */
  sboms?: readonly string[];
  /** VEX documents for the vulnerability rule. */
  vex?: readonly string[];
  namespace?: string;
  /** The resource kind the policies' `resources` are matched against (default Pod). */
  kind?: string;
  labels?: Readonly<Record<string, string>>;
  noMatch?: NoMatchAction;
  /** The time exceptions are judged at (default: now). */
  now?: Date;
  /**
   * Opens the advisory database (the one `vouch db import` fills and `vouch scan` reads), for policies with
   * vulnerability rules: called only when a policy covering the image has one, and closed after the scan. Without
   * it such rules fail for want of a scan. `description` names the database in errors.
   */
  openAdvisories?: () => Promise<{ store: AdvisoryStore; description?: string }>;
}

export interface PolicyEvalResult {
  readonly decision: Decision;
  /** How the evidence was found: the registry, or the files given. */
  readonly evidence: "registry" | "files";
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * `vouch policy eval`: the CI gate. Decides on one image with the policies given: from its registry (every signature,
 * attestation and SBOM attached to it), or from files (`--bundle`, `--sbom`) for a digest. With files and no image
 * name, every policy given applies (the caller chose them); with a name, the policies' globs decide as in admission.
 * The decision is returned whether it allows or denies; throws only for unusable input (exit 2).
 *
 * @example
 *   const { decision } = await evalPolicy({ policy: ["policy.yaml"], bundles: ["app.sigstore.json"], digest: "sha256:…" });
 *   if (!decision.allowed) process.exitCode = 1;
 */
export async function evalPolicy(options: PolicyEvalOptions): Promise<PolicyEvalResult> {
  let policies = loadPolicies(options.policy);
  const fromFiles = (options.bundles?.length ?? 0) > 0 || (options.sboms?.length ?? 0) > 0;
  let image: ImageInput;
  if (fromFiles) {
    if (options.digest === undefined || !DIGEST.test(options.digest)) throw new VouchError("INPUT_USAGE", "--bundle and --sbom need --digest sha256:<64 hex> (the image they are for)");
    const digest = options.digest;
    const name = options.image;
    if (name === undefined) policies = policies.map(everyImage);
    const reference = name ?? digest;
    const pinned = name === undefined ? digest : `${name.replace(/@sha256:[0-9a-f]{64}$/, "").replace(/:[^:/]+$/, "")}@${digest}`;
    const hex = digest.slice("sha256:".length);
    const bundles: FoundBundle[] = (options.bundles ?? []).map((file) => ({ location: file, source: "file", bundle: loadBundle(file), artifact: { kind: "digest", algorithm: "sha256", hex } }));
    const sboms: FoundSbom[] = (options.sboms ?? []).map((file) => ({ location: file, source: "file", bytes: readBytesFile(file), subjectDigest: digest }));
    const vex = (options.vex ?? []).map((file) => readBytesFile(file));
    image = { reference, evidence: { reference, pinned, digest, resolvedFromTag: false, bundles, sboms, notes: [], ...(vex.length > 0 ? { vex } : {}) } };
  } else {
    if (options.image === undefined) throw new VouchError("INPUT_USAGE", "name an IMAGE, or give --bundle FILE... --digest sha256:…");
    if (options.digest !== undefined) throw new VouchError("INPUT_USAGE", "--digest goes with --bundle or --sbom (an IMAGE is resolved in its registry)");
    const reference = options.image.replace(/^registry:/, "");
    try {
      const evidence = await gatherEvidence(reference, options);
      const vex = (options.vex ?? []).map((file) => readBytesFile(file));
      image = { reference, evidence: vex.length > 0 ? { ...evidence, vex } : evidence };
    } catch (error) {
      // An unreachable registry is an outage: each policy's onVerificationUnavailable decides, as in admission.
      if (!isVouchError(error) || error.code !== "SERVICE_UNAVAILABLE") throw error;
      image = { reference, unavailable: error.message };
    }
  }
  const resource: ResourceRef = { kind: options.kind ?? "Pod", ...(options.namespace !== undefined ? { namespace: options.namespace } : {}), ...(options.labels ? { labels: options.labels } : {}) };
  image = await withFindings(image, policies, resource, options.openAdvisories);
  const trust = await loadPolicyTrust(policies, options);
  const decision = evaluate({
    policies,
    resource,
    images: [image],
    trust,
    now: options.now ?? new Date(),
    ...(options.noMatch !== undefined ? { noMatch: options.noMatch } : {}),
  });
  return { decision, evidence: fromFiles ? "files" : "registry" };
}

/**
 * The image's vulnerability findings, as admission gets them (scanEvidence: every SBOM found, the `--sbom` files and
 * the SBOM attestations among the bundles, scanned against the advisory database), when a policy covering the image
 * has vulnerability rules; the image unchanged otherwise (no database is opened). An empty or never-imported
 * database is a usage error (exit 2), not a clean scan; an unreachable one (STORE_UNAVAILABLE) is an outage, which
 * each policy's onVerificationUnavailable decides, as in admission.
 */
async function withFindings(image: ImageInput, policies: readonly ImagePolicy[], resource: ResourceRef, open: PolicyEvalOptions["openAdvisories"]): Promise<ImageInput> {
  if (!("evidence" in image) || open === undefined) return image;
  const { evidence } = image;
  const needing = coveringPolicies(policies, resource, imageNames(image.reference, evidence.pinned)).filter((p) => p.vulnerabilities !== undefined);
  if (needing.length === 0) return image;
  let scanned: Awaited<ReturnType<typeof scanEvidence>>;
  try {
    const { store, description } = await open();
    try {
      if (!(await store.scanStatus()).holdsRecords) {
        const named = needing.map((p) => p.name).join(", ");
        throw new VouchError("INPUT_NOT_FOUND", `the advisory database${description !== undefined ? ` (${description})` : ""} is empty: import OSV records first (vouch db import PATH…); the vulnerability rules of ${named} need it`);
      }
      scanned = await scanEvidence(evidence, store);
    } finally {
      await store.close();
    }
  } catch (error) {
    if (!isVouchError(error) || error.code !== "STORE_UNAVAILABLE") throw error;
    return { reference: image.reference, unavailable: `the advisory database is unavailable (${error.message})` };
  }
  return { ...image, evidence: { ...evidence, ...(scanned.findings !== undefined ? { findings: scanned.findings } : {}), notes: [...evidence.notes, ...scanned.notes] } };
}

/** A policy applied to whatever image it is given (its image globs set aside; its resources still apply). */
function everyImage(policy: ImagePolicy): ImagePolicy {
  const all = { pattern: "**", test: () => true };
  return { ...policy, images: { include: [all], exclude: [], matches: () => true } };
}

const MARK = { pass: "✓", fail: "✗", error: "!" } as const;

/** The text report of a decision: every image, every policy, every rule with its reasons, then the verdict. */
export function renderDecision(decision: Decision): string {
  const lines: string[] = [];
  for (const image of decision.images) {
    lines.push(`${image.reference}${image.digest !== undefined && !image.reference.includes(image.digest) ? ` (${image.digest})` : ""}`);
    if (image.unmatched) lines.push("  no policy covers this image");
    for (const p of image.policies) {
      const verdict = p.exception !== undefined ? `WAIVED by exception ${p.exception.name} (${p.exception.reason}; until ${p.exception.expiresAt})` : p.passed ? "PASS" : "FAIL";
      const degraded = p.degraded !== undefined ? ` [degraded: ${p.degraded.action}${p.degraded.fromCache ? ", from cache" : ""}]` : "";
      lines.push(`  policy ${p.policy} (${p.mode}): ${verdict}${degraded}`);
      for (const r of p.rules) {
        lines.push(`    ${MARK[r.outcome]} ${r.rule}: ${r.reasons[0] ?? r.outcome}`);
        for (const more of r.reasons.slice(1)) lines.push(`        ${more}`);
      }
    }
  }
  lines.push("");
  lines.push(decision.allowed ? "allowed" : "denied");
  for (const r of decision.reasons) lines.push(`  deny: ${r}`);
  for (const w of decision.warnings) lines.push(`  warning: ${w}`);
  if (decision.needsReconciliation) lines.push("  needs re-verification when the unavailable dependency is back");
  return `${lines.join("\n")}\n`;
}

/** The `vouch-test.yaml` of a `vouch policy test` directory, as written (paths relative to the directory). */
interface TestSpec {
  policies: string[];
  resources: string[];
  now?: string;
  noMatch?: NoMatchAction;
  trustedRoot?: string;
  keys?: Record<string, string>;
  images?: { image: string; digest?: string; bundles?: string[]; sboms?: string[]; vex?: string[]; findings?: string; unavailable?: string }[];
  results: { policy: string; resource: string; image?: string; result: TestResult }[];
}

/**
 * `vouch policy test DIR`: runs the policy unit tests of DIR/vouch-test.yaml (like `kyverno test`): the policies it
 * names, the resources (Kubernetes manifests or AdmissionReviews, multi-document YAML or JSON), each image's evidence
 * from files (bundles, SBOMs, VEX, scan findings as JSON, or `unavailable: reason` for an outage), a fixed `now`, and
 * the expected result per policy, resource and image: pass, fail, waived (by an exception) or skip (not covered).
 * Throws VouchError INPUT_MALFORMED naming the field for a broken test file; mismatches are in the result.
 *
 * @example
 *   const run = await testPolicies("policies/tests/holdout");
 *   process.stdout.write(renderTestTable(run));
 */
export async function testPolicies(dir: string): Promise<PolicyTestRun> {
  const file = join(dir, TEST_FILE);
  const spec = readTestSpec(readTextFile(file), file);
  const at = (p: string): string => (isAbsolute(p) ? p : join(dir, p));
  const policies = loadPolicies(spec.policies.map(at));
  const trust = await loadPolicyTrust(policies, {
    ...(spec.trustedRoot !== undefined ? { trustedRoot: at(spec.trustedRoot) } : {}),
    keyPaths: Object.fromEntries(Object.entries(spec.keys ?? {}).map(([k, v]) => [k, at(v)])),
  });
  const evidenceFor = new Map((spec.images ?? []).map((i) => [i.image, i]));
  const resources: TestResource[] = [];
  for (const path of spec.resources.map(at)) {
    for (const doc of parseAllDocuments(readTextFile(path))) {
      const json = doc.toJS() as unknown;
      if (json === null || json === undefined) continue;
      const r = readTestResource(json, path);
      resources.push({
        name: r.name,
        resource: r.resource,
        images: r.images.map((w) => imageInput(w.reference, w.path, evidenceFor.get(w.reference), at)),
      });
    }
  }
  return runPolicyTests({ policies, resources, expected: spec.results, trust, now: spec.now === undefined ? new Date() : new Date(spec.now), ...(spec.noMatch ? { noMatch: spec.noMatch } : {}) });
}

function imageInput(reference: string, path: string, given: NonNullable<TestSpec["images"]>[number] | undefined, at: (p: string) => string): ImageInput {
  if (given?.unavailable !== undefined) return { reference, path, unavailable: given.unavailable };
  const digest = given?.digest ?? /@(sha256:[0-9a-f]{64})$/.exec(reference)?.[1] ?? `sha256:${"0".repeat(64)}`;
  const hex = digest.slice("sha256:".length);
  const bundles: FoundBundle[] = (given?.bundles ?? []).map((f) => ({ location: f, source: "file", bundle: loadBundle(at(f)), artifact: { kind: "digest", algorithm: "sha256", hex } }));
  const sboms: FoundSbom[] = (given?.sboms ?? []).map((f) => ({ location: f, source: "file", bytes: readBytesFile(at(f)), subjectDigest: digest }));
  const vex = (given?.vex ?? []).map((f) => readBytesFile(at(f)));
  const findings = given?.findings === undefined ? undefined : (JSON.parse(readTextFile(at(given.findings))) as FoundFinding[]);
  const name = reference.replace(/@sha256:[0-9a-f]{64}$/, "").replace(/:[^:/]+$/, "");
  return {
    reference,
    path,
    evidence: {
      reference,
      pinned: `${name}@${digest}`,
      digest,
      resolvedFromTag: !reference.includes("@"),
      bundles,
      sboms,
      notes: given === undefined ? ["no evidence for this image in vouch-test.yaml"] : [],
      ...(vex.length > 0 ? { vex } : {}),
      ...(findings !== undefined ? { findings } : {}),
    },
  };
}

function readTestResource(json: unknown, file: string): { name: string; resource: ResourceRef; images: readonly WorkloadImage[] } {
  const o = json as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown; labels?: Record<string, string> } };
  if (o.kind === "AdmissionReview") {
    const review = readAdmissionReview(json);
    if (review.malformed !== undefined) throw new VouchError("INPUT_MALFORMED", `AdmissionReview: ${review.malformed}`, { file });
    return { name: review.name ?? review.uid, resource: { kind: review.kind, ...(review.namespace !== undefined ? { namespace: review.namespace } : {}), labels: review.labels }, images: review.images };
  }
  if (typeof o.kind !== "string" || !isWorkloadKind(o.kind)) throw new VouchError("INPUT_MALFORMED", `kind ${JSON.stringify(o.kind)}: not a workload kind (Pod, Deployment, …) or an AdmissionReview`, { file });
  const name = typeof o.metadata?.name === "string" ? o.metadata.name : undefined;
  if (name === undefined) throw new VouchError("INPUT_MALFORMED", `${o.kind}: metadata.name is required (results name resources by it)`, { file });
  const namespace = typeof o.metadata?.namespace === "string" ? o.metadata.namespace : undefined;
  return { name, resource: { kind: o.kind, ...(namespace !== undefined ? { namespace } : {}), labels: o.metadata?.labels ?? {} }, images: workloadImages(o.kind, json) };
}

function readTestSpec(text: string, file: string): TestSpec {
  const bad = (field: string, why: string): never => {
    throw new VouchError("INPUT_MALFORMED", `${field}: ${why}`, { file });
  };
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    return bad("(document)", `invalid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return bad("(document)", "must be a mapping");
  const o = raw as Record<string, unknown>;
  const strings = (field: string, required: boolean): string[] => {
    const v = o[field];
    if (v === undefined && !required) return [];
    if (!Array.isArray(v) || v.length === 0 || !v.every((s) => typeof s === "string")) return bad(field, "must be a non-empty list of file names");
    return v;
  };
  const known = new Set(["name", "description", "policies", "resources", "now", "noMatch", "trustedRoot", "keys", "images", "results"]);
  for (const k of Object.keys(o)) if (!known.has(k)) bad(k, `unknown field (known: ${[...known].join(", ")})`);
  if (o.now !== undefined && (typeof o.now !== "string" || !/^\d{4}-\d{2}-\d{2}T/.test(o.now) || Number.isNaN(Date.parse(o.now)))) bad("now", "must be an RFC 3339 time");
  if (o.noMatch !== undefined && !["deny", "warn", "allow"].includes(o.noMatch as string)) bad("noMatch", "must be deny, warn or allow");
  if (!Array.isArray(o.results) || o.results.length === 0) bad("results", "must be a non-empty list");
  (o.results as unknown[]).forEach((r, i) => {
    const e = r as Record<string, unknown>;
    if (typeof e.policy !== "string" || typeof e.resource !== "string") bad(`results[${i}]`, "needs policy and resource");
    if (!(TEST_RESULTS as readonly unknown[]).includes(e.result)) bad(`results[${i}].result`, `must be one of ${TEST_RESULTS.join(", ")}`);
    if (e.image !== undefined && typeof e.image !== "string") bad(`results[${i}].image`, "must be a string");
  });
  (Array.isArray(o.images) ? o.images : o.images === undefined ? [] : bad("images", "must be a list")).forEach((img: unknown, i: number) => {
    if (typeof (img as { image?: unknown }).image !== "string") bad(`images[${i}].image`, "is required");
  });
  return { ...(o as unknown as TestSpec), policies: strings("policies", true), resources: strings("resources", true) };
}
