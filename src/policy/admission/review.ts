import { VouchError } from "../../core/errors.js";
import type { DecideRequest } from "../decision.js";
import { changedImages, isWorkloadKind, workloadImages, type WorkloadImage } from "./images.js";

/**
 * admission.k8s.io/v1 AdmissionReview requests, read once at the edge into the narrow shape the routes use
 * (https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#request).
 *
 * Two kinds of bad input, answered differently:
 * - the envelope is unusable (not v1, no request, no uid): there is nobody to answer, so the route answers HTTP 400
 *   with the reason (the API server then applies the webhook's failurePolicy);
 * - the envelope is fine but the object is not (spec as a string, containers not a list): the request is denied
 *   with the reason, echoing its uid, as the API server expects a decision.
 */

export const ADMISSION_API_VERSION = "admission.k8s.io/v1";

/** What the routes need from an AdmissionReview request. */
export interface AdmissionInput {
  readonly uid: string;
  /** CREATE, UPDATE, DELETE or CONNECT. */
  readonly operation: string;
  /** request.kind.kind: Pod, Deployment, … */
  readonly kind: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly subResource?: string;
  /** The object's labels (metadata.labels), which policies' label selectors read. */
  readonly labels: Readonly<Record<string, string>>;
  readonly dryRun: boolean;
  /** The images to decide on: every image for CREATE, only the changed ones for UPDATE. */
  readonly images: readonly WorkloadImage[];
  /** UPDATE: images the old object already ran, not re-checked. */
  readonly unchanged: readonly WorkloadImage[];
  /** Set when the object cannot be read: the request is denied with this reason. */
  readonly malformed?: string;
  /** Set when there is nothing to check (DELETE, a kind without pod specs, a status subresource): allowed. */
  readonly skipped?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** A Kubernetes uid is a UUID in practice; anything printable and short is echoed, anything else refused. */
const UID = /^[\x21-\x7e]{1,128}$/;

/**
 * Reads an AdmissionReview body. Throws VouchError INPUT_MALFORMED (→ HTTP 400) when no decision can be answered;
 * returns `malformed` (→ deny) when the request can be answered but its object is not usable.
 *
 * @example
 *   const input = readAdmissionReview(JSON.parse(body));
 *   if (input.malformed) return denied(input.uid, input.malformed);
 */
export function readAdmissionReview(body: unknown): AdmissionInput {
  if (!isObject(body)) throw new VouchError("INPUT_MALFORMED", "the body is not an AdmissionReview object");
  if (body.kind !== "AdmissionReview") throw new VouchError("INPUT_MALFORMED", `kind is ${JSON.stringify(body.kind ?? null)}, expected "AdmissionReview"`);
  if (body.apiVersion !== ADMISSION_API_VERSION) {
    // The API server sends v1beta1 only to webhooks that list it in admissionReviewVersions; the manifests list v1.
    throw new VouchError("INPUT_MALFORMED", `apiVersion is ${JSON.stringify(body.apiVersion ?? null)}: only ${ADMISSION_API_VERSION} is supported (admissionReviewVersions: ["v1"])`);
  }
  const request = body.request;
  if (!isObject(request)) throw new VouchError("INPUT_MALFORMED", "the AdmissionReview has no request object");
  const uid = request.uid;
  if (typeof uid !== "string" || !UID.test(uid)) throw new VouchError("INPUT_MALFORMED", "request.uid is missing or not a printable string of at most 128 characters");
  const operation = typeof request.operation === "string" ? request.operation : "";
  const gvk = isObject(request.kind) ? request.kind : undefined;
  const kind = typeof gvk?.kind === "string" ? gvk.kind : "";
  const namespace = optionalString(request.namespace);
  const subResource = optionalString(request.subResource);
  const base = { uid, operation, kind, namespace, subResource, dryRun: request.dryRun === true, images: [], unchanged: [], labels: {} };
  const deny = (reason: string): AdmissionInput => ({ ...base, name: optionalString(request.name), malformed: reason });
  const skip = (reason: string): AdmissionInput => ({ ...base, name: optionalString(request.name), skipped: reason });

  if (gvk === undefined || kind === "") return deny("request.kind is missing");
  if (!["CREATE", "UPDATE", "DELETE", "CONNECT"].includes(operation)) return deny(`request.operation ${JSON.stringify(request.operation ?? null)} is not CREATE, UPDATE, DELETE or CONNECT`);
  if (operation === "DELETE" || operation === "CONNECT") return skip(`${operation} runs no new image`);
  if (!isWorkloadKind(kind)) return skip(`${kind} has no pod spec`);
  // Subresources carry no new image except pods/ephemeralcontainers (kubectl debug), which is checked like the pod.
  if (subResource !== undefined && subResource !== "ephemeralcontainers") return skip(`the ${subResource} subresource runs no new image`);

  const object = request.object;
  let current: WorkloadImage[];
  try {
    current = workloadImages(kind, object, "request.object");
  } catch (error) {
    return deny(`cannot read the ${kind}: ${(error as Error).message}`);
  }
  const metadata = isObject(object) && isObject(object.metadata) ? object.metadata : {};
  const name = optionalString(request.name) ?? optionalString(metadata.name) ?? optionalString(metadata.generateName);
  const labels = readLabels(metadata.labels);
  if (labels === undefined) return { ...deny(`cannot read the ${kind}: request.object.metadata.labels is not a map of strings`), name };

  if (operation === "UPDATE" && request.oldObject !== undefined && request.oldObject !== null) {
    let old: WorkloadImage[];
    try {
      old = workloadImages(kind, request.oldObject, "request.oldObject");
    } catch {
      // An unreadable old object cannot vouch for anything: check every image, as on CREATE.
      old = [];
    }
    const images = changedImages(current, old);
    return { ...base, name, labels, images, unchanged: current.filter((image) => !images.includes(image)) };
  }
  return { ...base, name, labels, images: current };
}

function readLabels(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) return undefined;
  const labels: Record<string, string> = {};
  for (const [key, label] of Object.entries(value)) {
    if (typeof label !== "string") return undefined;
    labels[key] = label;
  }
  return labels;
}

/** The engine's request for an admission input's images. */
export function decideRequestOf(input: AdmissionInput): DecideRequest {
  return {
    resource: { kind: input.kind, ...(input.namespace !== undefined ? { namespace: input.namespace } : {}), labels: input.labels, ...(input.name !== undefined ? { name: input.name } : {}) },
    images: input.images.map((image) => ({ reference: image.reference, path: image.path })),
    source: "admission",
    uid: input.uid,
    operation: input.operation,
    dryRun: input.dryRun,
  };
}
