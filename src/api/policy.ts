import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { isVouchError, VouchError } from "../core/errors.js";
import type { Decision, FoundBundle, FoundSbom, ImageInput, NoMatchAction } from "../policy/decision.js";
import { evaluate } from "../policy/evaluate.js";
import { CelCompiler } from "../policy/cel.js";
import { parsePolicies, type ImagePolicy } from "../policy/model/index.js";
import { readBytesFile, readTextFile } from "./files.js";
import type { RegistryAccessOptions } from "./image-registry.js";
import { gatherEvidence } from "./policy-evidence.js";
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
  const trust = await loadPolicyTrust(policies, options);
  const decision = evaluate({
    policies,
    resource: { kind: options.kind ?? "Pod", ...(options.namespace !== undefined ? { namespace: options.namespace } : {}), ...(options.labels ? { labels: options.labels } : {}) },
    images: [image],
    trust,
    now: options.now ?? new Date(),
    ...(options.noMatch !== undefined ? { noMatch: options.noMatch } : {}),
  });
  return { decision, evidence: fromFiles ? "files" : "registry" };
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
