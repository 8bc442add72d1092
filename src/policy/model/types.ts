import type { SeverityBucket } from "../../vuln/severity/index.js";
import type { IdentityPolicy } from "../../verify/certificate/identity.js";
import type { CelCondition } from "../cel.js";

/**
 * The internal shape of a policy document after parsing (parse.ts): every default applied, every pattern compiled,
 * every cross-field rule checked. Nothing downstream (evaluate.ts, admission) looks at the YAML again.
 */

export const POLICY_API_VERSION = "vouch.dev/v1";

/** `ImagePolicy` applies cluster-wide; `NamespacedImagePolicy` only to resources in its own namespace. */
export const POLICY_KINDS = ["ImagePolicy", "NamespacedImagePolicy"] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];

/**
 * enforce: a failing image is denied. warn: allowed, with a warning per failed rule. audit: allowed, the decision
 * only recorded.
 */
export const POLICY_MODES = ["enforce", "warn", "audit"] as const;
export type PolicyMode = (typeof POLICY_MODES)[number];

/**
 * When a dependency verification needs (registry, log, advisory data) is unreachable:
 * deny (fail closed), allow-and-record (fail open, re-verified when it is back), use-cache (the last decision for
 * the same inputs, else deny).
 */
export const UNAVAILABLE_ACTIONS = ["deny", "allow-and-record", "use-cache"] as const;
export type UnavailableAction = (typeof UNAVAILABLE_ACTIONS)[number];

/** The workload kinds admission reads container images from. */
export const WORKLOAD_KINDS = ["Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** A compiled glob (picomatch): `*` is one path segment, `**` any number. */
export interface Glob {
  readonly pattern: string;
  test(value: string): boolean;
}

/** Which images a policy (or exception) covers: any include glob and no exclude glob. */
export interface ImageMatcher {
  readonly include: readonly Glob[];
  readonly exclude: readonly Glob[];
  matches(image: string): boolean;
}

export const LABEL_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;
export type LabelOperator = (typeof LABEL_OPERATORS)[number];

/** A Kubernetes label selector (metav1.LabelSelector): all of matchLabels and all expressions must hold. */
export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly { readonly key: string; readonly operator: LabelOperator; readonly values: readonly string[] }[];
}

/** What evaluate.ts knows of the resource an image comes from (admission, or a CLI `--namespace`). */
export interface ResourceRef {
  readonly kind: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** Which resources a policy covers. */
export interface ResourceMatcher {
  /** The kinds listed (all WORKLOAD_KINDS when the policy lists none). */
  readonly kinds: readonly WorkloadKind[];
  /** Namespace globs; empty = every namespace. A NamespacedImagePolicy has its own namespace here. */
  readonly namespaces: readonly Glob[];
  readonly excludeNamespaces: readonly Glob[];
  readonly labelSelector?: LabelSelector;
  matches(resource: ResourceRef): boolean;
}

/** Where a public key comes from; evaluate.ts resolves it through an injected key source. */
export type KeyRef =
  | { readonly source: "path"; readonly path: string }
  | { readonly source: "data"; readonly pem: string }
  | { readonly source: "pkcs11"; readonly uri: string }
  | { readonly source: "kms"; readonly uri: string };

/** The Sigstore trusted root an authority verifies against (default: the deployment's). */
export type TrustedRootRef = { readonly source: "path"; readonly path: string } | { readonly source: "data"; readonly json: string };

/**
 * One accepted keyless signer; directly usable as verify's IdentityPolicy. Regular expressions are compiled once and
 * anchored (`^(?:…)$`): they must match the whole value.
 */
export interface KeylessIdentity extends IdentityPolicy {
  readonly issuer?: string;
  readonly issuerRegExp?: RegExp;
  readonly subject?: string;
  readonly subjectRegExp?: RegExp;
  /** Exact Fulcio extension values, by claim name (FULCIO_EXTENSIONS) or dotted OID. */
  readonly extensions: Readonly<Record<string, string>>;
}

/** Who may have signed. Each authority has a name unique in its policy (default `authority-<index>`). */
export type Authority =
  | { readonly type: "key"; readonly name: string; readonly key: KeyRef; readonly trustedRoot?: TrustedRootRef }
  | { readonly type: "keyless"; readonly name: string; readonly identities: readonly KeylessIdentity[]; readonly trustedRoot?: TrustedRootRef }
  /** Passes or fails without looking at the image (policy-controller's `static` authority). */
  | { readonly type: "static"; readonly name: string; readonly result: "pass" | "fail" };

/** An attestation that must exist, be signed by the policy's authorities, and satisfy every condition. */
export interface AttestationRule {
  readonly name: string;
  /** The predicate type URI (short names such as `slsaprovenance` are resolved at parse time). */
  readonly predicateType: string;
  readonly conditions: readonly CelCondition[];
}

export const SBOM_FORMATS = ["spdx", "cyclonedx"] as const;
export type SbomFormat = (typeof SBOM_FORMATS)[number];

export interface SbomRule {
  /** An SBOM attestation or referrer must exist (default true). */
  readonly required: boolean;
  /** Formats accepted (default both). */
  readonly formats: readonly SbomFormat[];
  /** The SBOM's subject must be the image digest (default true). */
  readonly subjectIsImage: boolean;
  /** Minimum quality score, 0–10 (src/sbom/quality). */
  readonly minQualityScore?: number;
  /** SPDX license identifiers no component's license expression may name. */
  readonly deniedLicenses: readonly string[];
}

export interface VulnerabilityRule {
  /** Deny a finding at or above this severity. */
  readonly denyAtOrAbove?: Exclude<SeverityBucket, "none">;
  /** Deny a finding in CISA KEV whatever its severity. */
  readonly denyKev: boolean;
  /** Count only findings with a fix available (grype's --only-fixed). */
  readonly onlyFixed: boolean;
  /** VEX statements (not_affected, fixed) cover findings (default true). */
  readonly useVex: boolean;
}

/**
 * A waiver of this policy for some images and/or namespaces. It applies only strictly before `expiresAt`,
 * everywhere (exceptionApplies): an expired exception is not an exception.
 */
export interface PolicyException {
  readonly name: string;
  /** Image globs; empty = any image the policy covers. */
  readonly images: readonly Glob[];
  /** Namespace globs; empty = any namespace. */
  readonly namespaces: readonly Glob[];
  readonly reason: string;
  readonly ticket?: string;
  readonly approver: string;
  readonly expiresAt: Date;
}

export interface ImagePolicy {
  readonly kind: PolicyKind;
  readonly name: string;
  /** NamespacedImagePolicy only. */
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
  /**
   * sha256 hex of the document's canonical JSON (keys sorted): formatting and comments do not change it, any field
   * does. Caches of verification results and compiled conditions are keyed by it.
   */
  readonly version: string;
  /** 1-based index of the document in its file. */
  readonly documentIndex: number;
  readonly mode: PolicyMode;
  readonly images: ImageMatcher;
  readonly resources: ResourceMatcher;
  readonly authorities: readonly Authority[];
  /** How many authorities must pass (default 1: any of them). */
  readonly count: number;
  readonly attestations: readonly AttestationRule[];
  readonly sbom?: SbomRule;
  readonly vulnerabilities?: VulnerabilityRule;
  readonly exceptions: readonly PolicyException[];
  readonly onVerificationUnavailable: UnavailableAction;
}
