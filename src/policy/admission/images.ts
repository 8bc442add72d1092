import { VouchError } from "../../core/errors.js";
import { WORKLOAD_KINDS, type WorkloadKind } from "../model/types.js";

/**
 * Where a workload keeps its pod spec, and the container lists in it. The object comes from the API server, but a
 * webhook must still parse it defensively: a caller that reaches the webhook directly (or a mistaken
 * conversion) may send anything, and a crash would be a failurePolicy decision instead of ours.
 */

/** The container lists of a PodSpec, in the order Kubernetes starts them. */
export const CONTAINER_LISTS = ["initContainers", "containers", "ephemeralContainers"] as const;

/** One image of a workload: the reference as written and where it is. */
export interface WorkloadImage {
  readonly reference: string;
  /** `spec.template.spec.containers[1].image`: for messages and DecideRequest.path. */
  readonly path: string;
  /** RFC 6901 pointer to the same place (`/spec/template/spec/containers/1/image`), for JSONPatch. */
  readonly pointer: string;
  readonly container: string;
}

/** The path from the object's root to its PodSpec, per kind. */
const POD_SPEC_PATH: Record<WorkloadKind, readonly string[]> = {
  Pod: ["spec"],
  Deployment: ["spec", "template", "spec"],
  ReplicaSet: ["spec", "template", "spec"],
  StatefulSet: ["spec", "template", "spec"],
  DaemonSet: ["spec", "template", "spec"],
  Job: ["spec", "template", "spec"],
  CronJob: ["spec", "jobTemplate", "spec", "template", "spec"],
};

/** A kind admission reads images from (the kinds of model/types.ts WORKLOAD_KINDS). */
export function isWorkloadKind(kind: string): kind is WorkloadKind {
  return (WORKLOAD_KINDS as readonly string[]).includes(kind);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Every container image of a workload object, in list order (init, main, ephemeral). Throws INPUT_MALFORMED naming
 * the field when the object does not have the shape its kind requires (spec as a string, containers not a list, an
 * image that is not a non-empty string). A missing list is an empty one; a missing pod spec is malformed.
 *
 * @example
 *   workloadImages("Deployment", object)
 *   // [{ reference: "nginx:1.27", path: "spec.template.spec.containers[0].image", pointer: "/spec/template/spec/containers/0/image", container: "web" }]
 */
export function workloadImages(kind: WorkloadKind, object: unknown, field = "object"): WorkloadImage[] {
  if (!isObject(object)) throw new VouchError("INPUT_MALFORMED", `${field} is not a ${kind} object`);
  let node: unknown = object;
  const walked: string[] = [];
  for (const step of POD_SPEC_PATH[kind]) {
    walked.push(step);
    const next: unknown = (node as Record<string, unknown>)[step];
    if (!isObject(next)) {
      throw new VouchError("INPUT_MALFORMED", `${field}.${walked.join(".")} ${next === undefined ? "is missing" : "is not an object"} (a ${kind} needs a pod spec there)`);
    }
    node = next;
  }
  const spec = node as Record<string, unknown>;
  const prefix = POD_SPEC_PATH[kind].join(".");
  const images: WorkloadImage[] = [];
  for (const list of CONTAINER_LISTS) {
    const containers = spec[list];
    if (containers === undefined || containers === null) continue;
    if (!Array.isArray(containers)) throw new VouchError("INPUT_MALFORMED", `${field}.${prefix}.${list} is not a list`);
    containers.forEach((container: unknown, index) => {
      const where = `${prefix}.${list}[${index}]`;
      if (!isObject(container)) throw new VouchError("INPUT_MALFORMED", `${field}.${where} is not an object`);
      const image = container.image;
      // An ephemeral or init container without an image is rejected by the API server; refuse it here too rather
      // than letting an image-less container through unverified.
      if (typeof image !== "string" || image.trim() === "") throw new VouchError("INPUT_MALFORMED", `${field}.${where}.image is not a non-empty string`);
      images.push({
        reference: image,
        path: `${where}.image`,
        pointer: `/${[...POD_SPEC_PATH[kind], list, String(index), "image"].join("/")}`,
        container: typeof container.name === "string" ? container.name : `${list}[${index}]`,
      });
    });
  }
  return images;
}

/**
 * The images an UPDATE must re-check: those whose reference the old object did not already run. A reordering, a
 * replica count or an annotation change re-checks nothing; a changed image (even to one digest of the same tag) is
 * checked. Comparison is by the exact reference string: `nginx` and `docker.io/library/nginx` are different texts,
 * and checking one more image is the safe side.
 */
export function changedImages(current: readonly WorkloadImage[], old: readonly WorkloadImage[]): WorkloadImage[] {
  const before = new Set(old.map((image) => image.reference));
  return current.filter((image) => !before.has(image.reference));
}

/** `name@sha256:…` or `name:tag@sha256:…` (any registered digest algorithm): already names its content. */
export function isPinned(reference: string): boolean {
  return /@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/.test(reference);
}

/**
 * The reference with its digest appended, the way Kyverno's mutateDigest writes it: `name:tag@sha256:…`, keeping
 * the name as the user wrote it (so the pod still reads as the tag it was deployed from) and naming `latest` for a
 * reference without a tag, which is the tag the registry resolved.
 */
export function pinReference(reference: string, digest: string): string {
  const lastSegment = reference.slice(reference.lastIndexOf("/") + 1);
  const tagged = lastSegment.includes(":") ? reference : `${reference}:latest`;
  return `${tagged}@${digest}`;
}
