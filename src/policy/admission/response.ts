import type { Decision } from "../decision.js";
import { ADMISSION_API_VERSION } from "./review.js";

/**
 * admission.k8s.io/v1 AdmissionReview responses: the uid echoed, `allowed`, `status` on a denial, `warnings`,
 * `auditAnnotations`, and for the mutating webhook a base64 JSONPatch
 * (https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#response).
 */

export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  readonly status?: { readonly code: number; readonly message: string };
  readonly warnings?: readonly string[];
  readonly auditAnnotations?: Readonly<Record<string, string>>;
  readonly patchType?: "JSONPatch";
  /** base64 of an RFC 6902 JSON Patch array. */
  readonly patch?: string;
}

export interface AdmissionReviewResponse {
  readonly apiVersion: typeof ADMISSION_API_VERSION;
  readonly kind: "AdmissionReview";
  readonly response: AdmissionResponse;
}

/** One RFC 6902 operation; the mutating webhook only replaces image strings. */
export interface PatchOperation {
  readonly op: "replace";
  readonly path: string;
  readonly value: string;
}

/**
 * Kubernetes drops or truncates warnings of 256 bytes or more ("Warnings over 256 characters … may be truncated")
 * and shows each on its own line: each is cut below 256 UTF-8 bytes and control characters become spaces.
 */
export const MAX_WARNING_BYTES = 255;
/** The API server also caps how many warnings it relays; more than this says nothing more to a user. */
export const MAX_WARNINGS = 50;
/** A denial's message is printed by kubectl; beyond a few KiB it is unreadable (the audit event has the rest). */
export const MAX_MESSAGE_CHARS = 4096;
/** An audit annotation value is stored in every audit event: keep each bounded. */
export const MAX_ANNOTATION_CHARS = 2048;

/** A string cut to at most `maxBytes` UTF-8 bytes (never in the middle of a character), marked with `…` when cut. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes <= maxBytes) return text;
  const ellipsis = "…";
  let out = "";
  let used = Buffer.byteLength(ellipsis, "utf8");
  for (const char of text) {
    const size = Buffer.byteLength(char, "utf8");
    if (used + size > maxBytes) break;
    out += char;
    used += size;
  }
  return out + ellipsis;
}

/** Warnings as the API server accepts them: printable, under 256 bytes, distinct, at most MAX_WARNINGS. */
export function admissionWarnings(warnings: readonly string[]): string[] {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is being removed
  const cleaned = warnings.map((w) => truncateUtf8(w.replace(/[\u0000-\u001f\u007f]+/g, " ").trim(), MAX_WARNING_BYTES)).filter((w) => w !== "");
  const distinct = [...new Set(cleaned)];
  if (distinct.length <= MAX_WARNINGS) return distinct;
  return [...distinct.slice(0, MAX_WARNINGS - 1), `${distinct.length - MAX_WARNINGS + 1} more warnings not shown`];
}

function review(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", response };
}

function withOptional(response: AdmissionResponse): AdmissionResponse {
  const out: { -readonly [K in keyof AdmissionResponse]: AdmissionResponse[K] } = { uid: response.uid, allowed: response.allowed };
  if (response.status !== undefined) out.status = response.status;
  if (response.warnings !== undefined && response.warnings.length > 0) out.warnings = response.warnings;
  if (response.auditAnnotations !== undefined && Object.keys(response.auditAnnotations).length > 0) out.auditAnnotations = response.auditAnnotations;
  if (response.patch !== undefined) {
    out.patchType = "JSONPatch";
    out.patch = response.patch;
  }
  return out;
}

/** Allowed, nothing to say (DELETE, a kind without images, only unchanged images). */
export function allowedResponse(uid: string, warnings: readonly string[] = []): AdmissionReviewResponse {
  return review(withOptional({ uid, allowed: true, warnings: admissionWarnings(warnings) }));
}

/**
 * Denied with a reason: 403 for a policy denial, 400 for an object that could not be read (the code kubectl shows
 * as "Forbidden" / "BadRequest").
 */
export function deniedResponse(uid: string, message: string, code: 400 | 403 = 403): AdmissionReviewResponse {
  return review({ uid, allowed: false, status: { code, message: truncateUtf8(message, MAX_MESSAGE_CHARS) } });
}

/**
 * Audit annotations for a decision (the API server stores them in the request's audit event, prefixed with the
 * webhook's name): audit-mode failures (which nothing else reports), exceptions used, degraded decisions and the
 * reconciliation they need. Keys are valid annotation name parts; values are bounded.
 */
export function decisionAuditAnnotations(decision: Decision): Record<string, string> {
  const auditFailures: string[] = [];
  const exceptions: string[] = [];
  const degraded: string[] = [];
  for (const image of decision.images) {
    for (const result of image.policies) {
      if (result.mode === "audit" && !result.passed) {
        const failed = result.rules.filter((rule) => rule.outcome !== "pass").map((rule) => `${rule.rule}: ${rule.reasons.join(", ") || rule.outcome}`);
        auditFailures.push(`${image.reference}: ${result.policy}: ${failed.join("; ") || "failed"}`);
      }
      if (result.exception !== undefined) {
        const e = result.exception;
        exceptions.push(`${image.reference}: ${result.policy}: exception ${e.name}${e.ticket !== undefined ? ` (${e.ticket})` : ""} approved by ${e.approver}, expires ${e.expiresAt}`);
      }
      if (result.degraded !== undefined) {
        degraded.push(`${image.reference}: ${result.policy}: ${result.degraded.action}${result.degraded.fromCache === true ? " (cached)" : ""}: ${result.degraded.reason}`);
      }
    }
  }
  const annotations: Record<string, string> = {};
  const put = (key: string, values: readonly string[]) => {
    if (values.length > 0) annotations[key] = truncateUtf8(values.join(" | "), MAX_ANNOTATION_CHARS);
  };
  put("audit-failures", auditFailures);
  put("exceptions", exceptions);
  put("degraded", degraded);
  if (decision.needsReconciliation) annotations["needs-reconciliation"] = "true";
  return annotations;
}

/**
 * The validating webhook's answer for a decision: denied with every reason (403), or allowed with the warn-mode
 * failures as warnings; audit annotations either way.
 *
 * @example
 *   validationResponse(uid, await engine.decide(decideRequestOf(input)))
 */
export function validationResponse(uid: string, decision: Decision, extraWarnings: readonly string[] = []): AdmissionReviewResponse {
  const warnings = admissionWarnings([...decision.warnings, ...extraWarnings]);
  const auditAnnotations = decisionAuditAnnotations(decision);
  if (decision.allowed) return review(withOptional({ uid, allowed: true, warnings, auditAnnotations }));
  const message = `vouch denied the request: ${decision.reasons.join("; ") || "a policy failed"}`;
  return review(withOptional({ uid, allowed: false, status: { code: 403, message: truncateUtf8(message, MAX_MESSAGE_CHARS) }, warnings, auditAnnotations }));
}

/** RFC 6901: `~` and `/` in a reference token are escaped. */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

/** The mutating webhook's answer: allowed, with the patch when there is one (base64 JSON, patchType JSONPatch). */
export function mutationResponse(uid: string, operations: readonly PatchOperation[], warnings: readonly string[] = []): AdmissionReviewResponse {
  const patch = operations.length > 0 ? Buffer.from(JSON.stringify(operations), "utf8").toString("base64") : undefined;
  return review(withOptional({ uid, allowed: true, warnings: admissionWarnings(warnings), ...(patch !== undefined ? { patch } : {}) }));
}
