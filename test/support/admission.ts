import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Decision, DecideRequest, ImageDecision, PolicyEngine, PolicyResult } from "../../src/policy/decision.js";
import type { ImagePolicy, PolicyMode } from "../../src/policy/model/types.js";

/**
 * The AdmissionReview fixtures (test/fixtures/admission, copied from the shared test data) with what vouch must
 * answer for each, and a small in-memory PolicyEngine for testing the admission layer without a registry.
 */

export const ADMISSION_FIXTURES = join(import.meta.dirname, "..", "fixtures", "admission");

export type FixtureExpectation =
  /** A request: the images (reference @ path) to decide on, in order. */
  | { readonly kind: "images"; readonly images: readonly string[]; readonly uid: string; readonly namespace?: string }
  /** Nothing to re-check (UPDATE with unchanged images). */
  | { readonly kind: "unchanged"; readonly uid: string; readonly unchanged: number }
  /** Envelope fine, object not: denied with this reason fragment. */
  | { readonly kind: "deny"; readonly uid: string; readonly reason: string }
  /** No decision possible: HTTP 400 with this reason fragment. */
  | { readonly kind: "400"; readonly reason: string };

const POD = "spec.containers[0].image";
const TEMPLATE = "spec.template.spec.containers[0].image";
const CRON = "spec.jobTemplate.spec.template.spec.containers[0].image";
const KW = "1299d386-525b-4032-98ae-1949f69f9cfc";
const K8TZ = "0c0829ff-c2f5-4634-a1c3-098147304d03";
const CONN_POD = "0c3331b6-1812-11ea-b3fc-02897404852e";
const CHARLIE = "securesystemsengineering/charlie-image@sha256:91ac9b26df583762234c1cdb2fc930364754ccc59bc752a2bfe298d2ea68f9ff";
const V1_ONLY = "only admission.k8s.io/v1";

/** Every fixture file (relative to ADMISSION_FIXTURES) and the expected answer. Requests-only files are wrapped. */
export const FIXTURE_EXPECTATIONS: Readonly<Record<string, FixtureExpectation>> = {
  "connaisseur/01_deployment.json": { kind: "400", reason: V1_ONLY },
  "connaisseur/02_pod.json": { kind: "images", uid: CONN_POD, namespace: "test-connaisseur", images: [`${CHARLIE} @ ${POD}`] },
  "connaisseur/04_cronjob.json": { kind: "400", reason: V1_ONLY },
  "connaisseur/06_daemonset.json": { kind: "images", uid: "083cbdfe-ae0e-48ef-b944-8c4585c4aa90", namespace: "kube-system", images: [`quay.io/fluentd_elasticsearch/fluentd:v2.5.2 @ ${TEMPLATE}`] },
  "connaisseur/07_statefulset.json": { kind: "images", uid: "9412459c-09dc-4c90-b022-639eea4d2b2c", namespace: "connaisseur", images: [`registry.k8s.io/nginx-slim:0.8 @ ${TEMPLATE}`] },
  "connaisseur/08_job.json": { kind: "images", uid: "4b84524b-2dc4-4e69-935d-833c86ff0c10", namespace: "connaisseur", images: [`perl:5.34.0 @ ${TEMPLATE}`] },
  "connaisseur/09_dply_multi_image.json": { kind: "400", reason: V1_ONLY },
  "connaisseur/10_update.json": { kind: "unchanged", uid: "6418f614-b7f1-4c57-94bf-14fc30b2d791", unchanged: 1 },
  "connaisseur/19_pod_initcontainer.json": { kind: "images", uid: CONN_POD, namespace: "test-connaisseur", images: ["nginx @ spec.initContainers[0].image", `${CHARLIE} @ ${POD}`] },
  "connaisseur/20_pod_ephemeralcontainer.json": { kind: "images", uid: CONN_POD, namespace: "test-connaisseur", images: [`${CHARLIE} @ ${POD}`, "nginx @ spec.ephemeralContainers[0].image"] },
  "connaisseur/21_broken_admission_request.json": { kind: "400", reason: "request.uid" },
  "k8tz/review-cronjob.json": { kind: "images", uid: K8TZ, namespace: "default", images: [`busybox:1.28 @ ${CRON}`] },
  "k8tz/review-pod-golden.json": { kind: "400", reason: "no request" },
  "k8tz/review-pod.json": {
    kind: "images",
    uid: K8TZ,
    namespace: "default",
    images: ["docker.elastic.co/elasticsearch/elasticsearch:7.14.0 @ spec.initContainers[0].image", `docker.elastic.co/elasticsearch/elasticsearch:7.14.0 @ ${POD}`],
  },
  "k8tz/review-unparsable-pod-response.json": { kind: "400", reason: "no request" },
  "k8tz/review-unparsable-pod.json": { kind: "deny", uid: K8TZ, reason: "request.object.spec is not an object" },
  "k8tz/review-without-request.json": { kind: "400", reason: "no request" },
  "kubewarden-policies/image-cve-policy-deployment.json": { kind: "images", uid: "12345-67890-abcdef", namespace: "default", images: [`ghcr.io/nginx/nginx-unprivileged:1.29.0-alpine-perl @ ${TEMPLATE}`] },
  "kubewarden-verify-image-signatures/requests-only/cronjob_creation_signed.json": { kind: "images", uid: KW, images: [`ghcr.io/kubewarden/test-verify-image-signatures:signed @ ${CRON}`] },
  "kubewarden-verify-image-signatures/requests-only/cronjob_creation_unsigned.json": { kind: "images", uid: KW, images: [`ghcr.io/kubewarden/test-verify-image-signatures:unsigned @ ${CRON}`] },
  "kubewarden-verify-image-signatures/requests-only/deployment_creation_signed.json": { kind: "images", uid: KW, images: [`ghcr.io/kubewarden/test-verify-image-signatures:signed @ ${TEMPLATE}`] },
  "kubewarden-verify-image-signatures/requests-only/deployment_creation_unsigned.json": { kind: "images", uid: KW, images: [`ghcr.io/kubewarden/test-verify-image-signatures:unsigned @ ${TEMPLATE}`] },
  "kubewarden-verify-image-signatures/requests-only/pod_creation_signed.json": { kind: "images", uid: KW, images: [`ghcr.io/kubewarden/test-verify-image-signatures:signed @ ${POD}`] },
  "kubewarden-verify-image-signatures/requests-only/pod_creation_signed_with_keyless_mode.json": { kind: "images", uid: KW, images: [`ghcr.io/kubewarden/tests/pod-privileged:v0.2.1 @ ${POD}`] },
  "kubewarden-verify-image-signatures/requests-only/pod_creation_unsigned.json": { kind: "images", uid: KW, images: [`ghcr.io/kubewarden/test-verify-image-signatures:unsigned @ ${POD}`] },
  "kubewarden-verify-image-signatures/requests-only/pod_creation_with_digest.json": {
    kind: "images",
    uid: KW,
    images: [`nginx:v1.26@sha256:89102e348749bb17a6a651a4b2a17420e1a66d2a44a675b981973d49a5af3a5e @ ${POD}`],
  },
  "kubewarden-verify-image-signatures/requests-only/pod_creation_with_init_container.json": { kind: "images", uid: KW, images: ["init @ spec.initContainers[0].image", `nginx @ ${POD}`] },
  "corrupt/containers-not-a-list.json": { kind: "deny", uid: CONN_POD, reason: "request.object.spec.containers is not a list" },
  "corrupt/image-not-a-string.json": { kind: "deny", uid: CONN_POD, reason: "request.object.spec.containers[0].image is not a non-empty string" },
  "corrupt/labels-not-strings.json": { kind: "deny", uid: CONN_POD, reason: "metadata.labels is not a map of strings" },
  "corrupt/uid-not-a-string.json": { kind: "400", reason: "request.uid" },
  "corrupt/wrong-kind.json": { kind: "400", reason: 'expected "AdmissionReview"' },
  "corrupt/no-request-kind.json": { kind: "deny", uid: CONN_POD, reason: "request.kind is missing" },
  "corrupt/unknown-operation.json": { kind: "deny", uid: CONN_POD, reason: "request.operation" },
  "corrupt/truncated.json": { kind: "400", reason: "JSON" },
  "corrupt/not-an-object.json": { kind: "400", reason: "not an AdmissionReview object" },
};

/** The fixture's bytes as the API server would send them (bare AdmissionRequest bodies wrapped in a v1 envelope). */
export function fixtureBody(name: string): string {
  const text = readFileSync(join(ADMISSION_FIXTURES, name), "utf8");
  if (!name.includes("/requests-only/")) return text;
  return JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: JSON.parse(text) as unknown });
}

/**
 * An AdmissionReview for a Pod as the API server sends it (v1, CREATE unless told), one container per image; with
 * `old`, the oldObject of an UPDATE running those images.
 */
export function podAdmissionReview(uid: string, images: readonly string[], options: { operation?: string; old?: readonly string[]; namespace?: string; dryRun?: boolean } = {}) {
  const namespace = options.namespace ?? "prod";
  const pod = (list: readonly string[]) => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "app", namespace, labels: { app: "demo" } }, spec: { containers: list.map((image, i) => ({ name: `c${i}`, image })) as unknown } });
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace,
      operation: options.operation ?? "CREATE",
      userInfo: { username: "vouch-test" },
      object: pod(images) as { spec: unknown },
      oldObject: options.old ? pod(options.old) : null,
      dryRun: options.dryRun ?? false,
    },
  };
}

/** What the in-memory engine decides for one reference. */
export interface FakeVerdict {
  readonly mode?: PolicyMode;
  readonly passed: boolean;
  readonly reason?: string;
  readonly exception?: PolicyResult["exception"];
  readonly degraded?: PolicyResult["degraded"];
}

/**
 * A PolicyEngine over fixed answers: `verdicts` by image reference (an image not listed is unmatched and denied,
 * the default noMatch), `digests` by reference for resolve. Records every request it was given.
 */
export function fakeEngine(options: { verdicts?: Record<string, FakeVerdict>; digests?: Record<string, string>; policies?: readonly ImagePolicy[]; now?: string } = {}) {
  const requests: DecideRequest[] = [];
  const resolved: string[] = [];
  let policies = options.policies ?? [];
  const engine: PolicyEngine & { requests: DecideRequest[]; resolved: string[] } = {
    requests,
    resolved,
    async decide(request: DecideRequest): Promise<Decision> {
      requests.push(request);
      const reasons: string[] = [];
      const warnings: string[] = [];
      let needsReconciliation = false;
      const images: ImageDecision[] = request.images.map((image) => {
        const verdict = options.verdicts?.[image.reference];
        if (verdict === undefined) {
          reasons.push(`${image.reference}: no-match: no policy covers this image`);
          return { reference: image.reference, path: image.path, policies: [], unmatched: true };
        }
        const mode = verdict.mode ?? "enforce";
        const passed = verdict.passed || verdict.exception !== undefined;
        if (!passed && mode === "enforce") reasons.push(`${image.reference}: fake/authorities: ${verdict.reason ?? "no signature"}`);
        if (!passed && mode === "warn") warnings.push(`${image.reference}: fake/authorities: ${verdict.reason ?? "no signature"}`);
        if (verdict.degraded?.action === "allow-and-record") needsReconciliation = true;
        const result: PolicyResult = {
          policy: "fake",
          policyVersion: "v1",
          mode,
          passed,
          rules: [{ rule: "authorities", outcome: verdict.passed ? "pass" : "fail", reasons: verdict.passed ? [] : [verdict.reason ?? "no signature"] }],
          evidence: { signers: [], attestations: [] },
          ...(verdict.exception !== undefined ? { exception: verdict.exception } : {}),
          ...(verdict.degraded !== undefined ? { degraded: verdict.degraded } : {}),
        };
        return { reference: image.reference, path: image.path, policies: [result], unmatched: false };
      });
      return { allowed: reasons.length === 0, reasons, warnings, images, needsReconciliation, decidedAt: options.now ?? "2026-11-22T00:00:00.000Z" };
    },
    async resolve(reference: string) {
      resolved.push(reference);
      const digest = options.digests?.[reference];
      return digest === undefined ? { unavailable: `${reference}: manifest unknown` } : { pinned: `${reference.split(":")[0]}@${digest}`, digest };
    },
    setPolicies(next) {
      policies = next;
    },
    policies: () => policies,
    async close() {},
  };
  return engine;
}
