import type { KeyObject } from "node:crypto";
import type { Bundle, TrustedRoot } from "../bundle/types.js";
import type { RevocationList } from "../verify/revocation.js";
import type { ArtifactInput } from "../verify/verifier.js";
import type { SeverityBucket } from "../vuln/severity/index.js";
import type { ImagePolicy, KeyRef, PolicyMode, ResourceRef, TrustedRootRef, UnavailableAction } from "./model/types.js";

/**
 * The values policy evaluation reads and writes. evaluate.ts is a pure function from EvaluationInput to Decision:
 * everything effectful (resolving a tag, listing referrers, reading key files, scanning an SBOM against the advisory
 * database, the clock) happens before it, in the engine, and is handed in here. A Decision is plain JSON-able data
 * (dates as ISO strings) so that it can be recorded as an event, cached, and replayed by `vouch admission reconcile`.
 */

// --- what evaluation is given -----------------------------------------------------------------------------------

/** A signature or attestation bundle found for an image (referrer, cosign tag layout, or a `--bundle` file). */
export interface FoundBundle {
  /** Where it came from, for reports: the referrer manifest digest, `TAG layer DIGEST`, or a file path. */
  readonly location: string;
  readonly source: "referrer" | "cosign-tag" | "file";
  readonly bundle: Bundle;
  /**
   * What the bundle's signature covers: the image digest (referrers, DSSE attestations), or for cosign's simple
   * signing the payload bytes (whose `critical.image.docker-manifest-digest` evaluate checks against the image).
   */
  readonly artifact: ArtifactInput;
  /** cosign simple signing: the manifest digest the signed payload names (already parsed by the engine). */
  readonly simpleSigningDigest?: string;
}

/** An SBOM document attached to the image without a signature of its own (an OCI referrer or a cosign `.sbom` tag). */
export interface FoundSbom {
  readonly location: string;
  readonly source: "referrer" | "cosign-tag" | "file";
  /** The document's bytes (SPDX or CycloneDX JSON); evaluate reads them with src/sbom/read. */
  readonly bytes: Uint8Array;
  /** The OCI subject the referrer names (must be the image digest when the rule says so). */
  readonly subjectDigest?: string;
}

/** One vulnerability finding for the image's SBOM, as the scanner (src/vuln) reported it, before VEX. */
export interface FoundFinding {
  /** The advisory id the scanner reports (CVE when it has one, else the OSV id). */
  readonly id: string;
  readonly aliases: readonly string[];
  readonly purl: string;
  readonly severity: SeverityBucket | "unknown";
  readonly kev: boolean;
  readonly fixAvailable: boolean;
}

/** Everything found for one image, gathered by the engine (registry) or the CLI (`--bundle`, `--sbom` files). */
export interface ImageEvidence {
  /** The reference as the resource wrote it. */
  readonly reference: string;
  /** `registry/repository@sha256:…` that was inspected. */
  readonly pinned: string;
  /** `sha256:<hex>`. */
  readonly digest: string;
  readonly resolvedFromTag: boolean;
  readonly bundles: readonly FoundBundle[];
  readonly sboms: readonly FoundSbom[];
  /**
   * Scan findings for the image's SBOM (the signed SBOM attestation's when there is one, else a referrer's), present
   * only when a policy that covers the image has vulnerability rules and an SBOM and the advisory database were
   * available. Absent with such a rule = the rule fails with "no SBOM to scan" or is unavailable (see `unavailable`).
   */
  readonly findings?: readonly FoundFinding[];
  /** OpenVEX / CycloneDX VEX documents configured for the deployment (unsigned, trusted by configuration). */
  readonly vex?: readonly Uint8Array[];
  /** What was odd while gathering (the tag schema was read, a listing entry was left out, …). */
  readonly notes: readonly string[];
}

/** One image of a resource, with its evidence or the reason none could be gathered. */
export type ImageInput =
  | { readonly reference: string; readonly path?: string; readonly evidence: ImageEvidence }
  /**
   * Verification was unavailable (registry, log or advisory database unreachable, or timed out). Each covering
   * policy applies its `onVerificationUnavailable`; `cached` is what the engine's cache holds for this image and
   * policy versions (possibly stale), which `use-cache` replays.
   */
  | { readonly reference: string; readonly path?: string; readonly unavailable: string; readonly cached?: readonly PolicyResult[] };

/**
 * The trust material evaluation needs, already loaded (the engine reads key files, PKCS#11 public keys and trusted
 * roots before evaluating, so evaluate stays pure). A KeyRef or TrustedRootRef the engine could not load maps to an
 * Error, which fails that authority with the error's message.
 */
export interface PolicyTrust {
  key(ref: KeyRef): KeyObject | Error;
  /** The authority's trusted root, or the deployment's default when `ref` is undefined. */
  trustedRoot(ref: TrustedRootRef | undefined): TrustedRoot | Error;
  readonly revocations?: RevocationList;
}

/** What to do with an image no policy covers (policy-controller's no-match-policy). Default: deny. */
export type NoMatchAction = "deny" | "warn" | "allow";

export interface EvaluationInput {
  /** Every loaded policy; evaluate picks the ones whose images and resources match. */
  readonly policies: readonly ImagePolicy[];
  readonly resource: ResourceRef;
  readonly images: readonly ImageInput[];
  readonly trust: PolicyTrust;
  readonly now: Date;
  readonly noMatch?: NoMatchAction;
}

// --- what evaluation returns ------------------------------------------------------------------------------------

/** `error`: the rule could not be evaluated (evidence unavailable); it counts as a failure unless the outage action says otherwise. */
export type RuleOutcome = "pass" | "fail" | "error";

export interface RuleResult {
  /** `authorities`, `authority:<name>`, `attestation:<name>`, `sbom`, `vulnerabilities`, `unavailable`, `no-match`. */
  readonly rule: string;
  readonly outcome: RuleOutcome;
  /** Why, one line each (what was missing, which condition failed, which bundle was refused and why). */
  readonly reasons: readonly string[];
}

/** Evidence a decision rests on, for auditors and for the index's provenance graph. */
export interface DecisionEvidence {
  readonly signers: readonly { readonly authority: string; readonly identity: string; readonly location: string; readonly logIndexes: readonly string[] }[];
  readonly attestations: readonly { readonly rule: string; readonly predicateType: string; readonly location: string; readonly signer: string }[];
  readonly sbom?: { readonly location: string; readonly format: string; readonly qualityScore?: number };
  readonly findings?: { readonly denied: readonly string[]; readonly coveredByVex: readonly string[] };
}

/** One policy's verdict on one image. */
export interface PolicyResult {
  readonly policy: string;
  /** ImagePolicy.version: caches and replays are keyed by it. */
  readonly policyVersion: string;
  readonly mode: PolicyMode;
  /** The policy's rules held (or an applicable exception waived them). */
  readonly passed: boolean;
  readonly rules: readonly RuleResult[];
  readonly evidence: DecisionEvidence;
  /** The exception that waived a failure (only present when it applied at `decidedAt`). */
  readonly exception?: { readonly name: string; readonly reason: string; readonly ticket?: string; readonly approver: string; readonly expiresAt: string };
  /** Set when verification was unavailable and the policy's action decided instead of the rules. */
  readonly degraded?: { readonly action: UnavailableAction; readonly reason: string; readonly fromCache?: boolean };
}

export interface ImageDecision {
  readonly reference: string;
  /** Where in the resource (`spec.containers[0].image`), for admission messages and patches. */
  readonly path?: string;
  readonly digest?: string;
  readonly pinned?: string;
  readonly policies: readonly PolicyResult[];
  /** No policy covered the image (then `noMatch` decided). */
  readonly unmatched: boolean;
}

/**
 * The outcome for a resource (all of its images). `allowed` is false when any enforce-mode policy failed without an
 * applicable exception (or an unmatched image met noMatch=deny); warn-mode failures become `warnings`; audit-mode
 * failures appear only in `images` (and in admission's auditAnnotations).
 */
export interface Decision {
  readonly allowed: boolean;
  /** One line per denying failure: `image: policy/rule: reason`. */
  readonly reasons: readonly string[];
  readonly warnings: readonly string[];
  readonly images: readonly ImageDecision[];
  /** Some policy decided from its outage action: the decision must be re-verified when the dependency is back. */
  readonly needsReconciliation: boolean;
  /** ISO 8601. */
  readonly decidedAt: string;
}

// --- the engine (src/api/policy-engine.ts implements it; admission routes and the CLI use it) ------------------

/** One image of a resource to decide on. */
export interface ImageRequest {
  readonly reference: string;
  /** Where in the resource (`spec.template.spec.containers[1].image`). */
  readonly path?: string;
}

export interface DecideRequest {
  readonly resource: ResourceRef & { readonly name?: string };
  readonly images: readonly ImageRequest[];
  /** Who asked: admission (with the AdmissionReview uid and operation), the CLI gate, or a reconciliation. */
  readonly source: "admission" | "cli" | "reconcile";
  readonly uid?: string;
  readonly operation?: string;
  /** A dry-run admission request: decide, but record nothing (the API server will not persist the object). */
  readonly dryRun?: boolean;
}

/**
 * Gathers evidence (registry, cached and coalesced), evaluates (evaluate.ts), applies outage actions, and records the
 * decision as an event (queued when `decide` resolves, written in the background; `close` writes what is queued).
 * Never throws for an image problem (that is a decision); throws only for a broken engine.
 */
export interface PolicyEngine {
  decide(request: DecideRequest): Promise<Decision>;
  /** Tag → digest for the mutating webhook (cached like evidence). `unavailable` when the registry cannot answer. */
  resolve(reference: string): Promise<{ readonly pinned: string; readonly digest: string } | { readonly unavailable: string }>;
  /** Swap the policy set (file reload). Cache entries keyed by older policy versions stop matching. */
  setPolicies(policies: readonly ImagePolicy[]): void;
  policies(): readonly ImagePolicy[];
  close(): Promise<void>;
}
