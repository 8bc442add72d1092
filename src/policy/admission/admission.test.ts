import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { isVouchError } from "../../core/errors.js";
import { ADMISSION_FIXTURES, fakeEngine, FIXTURE_EXPECTATIONS, fixtureBody } from "../../../test/support/admission.js";
import { parsePolicies } from "../model/index.js";
import {
  admissionWarnings,
  decideRequestOf,
  deniedResponse,
  imagesToPin,
  isPinned,
  mutationResponse,
  pinPatch,
  pinReference,
  readAdmissionReview,
  truncateUtf8,
  validationResponse,
  workloadImages,
} from "./index.js";

function fixtureFiles(dir = ADMISSION_FIXTURES): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return fixtureFiles(path);
    return name.endsWith(".json") ? [relative(ADMISSION_FIXTURES, path)] : [];
  });
}

function read(name: string) {
  let body: unknown;
  try {
    body = JSON.parse(fixtureBody(name));
  } catch (error) {
    // The route's JSON parser answers 400 for this; the pure layer never sees it.
    return { thrown: `the body is not JSON: ${(error as Error).message}` };
  }
  try {
    return { input: readAdmissionReview(body) };
  } catch (error) {
    if (!isVouchError(error)) throw error;
    expect(error.code).toBe("INPUT_MALFORMED");
    return { thrown: error.message };
  }
}

describe("readAdmissionReview on every fixture", () => {
  it("has an expectation for every fixture file (none left untested)", () => {
    expect(fixtureFiles().sort()).toEqual(Object.keys(FIXTURE_EXPECTATIONS).sort());
  });

  for (const [name, expected] of Object.entries(FIXTURE_EXPECTATIONS)) {
    it(`${name}: ${expected.kind}`, () => {
      const { input, thrown } = read(name);
      if (expected.kind === "400") {
        expect(thrown).toContain(expected.reason);
        return;
      }
      expect(thrown).toBeUndefined();
      expect(input?.uid).toBe(expected.uid);
      if (expected.kind === "deny") {
        expect(input?.malformed).toContain(expected.reason);
        expect(input?.images).toEqual([]);
        return;
      }
      expect(input?.malformed).toBeUndefined();
      if (expected.kind === "unchanged") {
        expect(input?.images).toEqual([]);
        expect(input?.unchanged).toHaveLength(expected.unchanged);
        return;
      }
      expect(input?.images.map((i) => `${i.reference} @ ${i.path}`)).toEqual(expected.images);
      if (expected.namespace !== undefined) expect(input?.namespace).toBe(expected.namespace);
    });
  }
});

function review(request: Record<string, unknown>): unknown {
  return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: "u-1", kind: { group: "", version: "v1", kind: "Pod" }, operation: "CREATE", namespace: "ns", ...request } };
}

const pod = (containers: string[], extra: Record<string, unknown> = {}) => ({
  metadata: { name: "p", labels: { app: "a" } },
  spec: { containers: containers.map((image, i) => ({ name: `c${i}`, image })), ...extra },
});

describe("workload images", () => {
  it("reads init, main and ephemeral containers of every workload kind at their paths and JSON pointers", () => {
    const podSpec = { initContainers: [{ name: "i", image: "init:1" }], containers: [{ name: "m", image: "main:1" }], ephemeralContainers: [{ name: "e", image: "debug:1" }] };
    const cases = {
      Pod: { spec: podSpec },
      Deployment: { spec: { template: { spec: podSpec } } },
      ReplicaSet: { spec: { template: { spec: podSpec } } },
      StatefulSet: { spec: { template: { spec: podSpec } } },
      DaemonSet: { spec: { template: { spec: podSpec } } },
      Job: { spec: { template: { spec: podSpec } } },
      CronJob: { spec: { jobTemplate: { spec: { template: { spec: podSpec } } } } },
    } as const;
    for (const [kind, object] of Object.entries(cases)) {
      const images = workloadImages(kind as keyof typeof cases, object);
      const prefix = kind === "Pod" ? "spec" : kind === "CronJob" ? "spec.jobTemplate.spec.template.spec" : "spec.template.spec";
      expect(images.map((i) => [i.reference, i.path, i.container])).toEqual([
        ["init:1", `${prefix}.initContainers[0].image`, "i"],
        ["main:1", `${prefix}.containers[0].image`, "m"],
        ["debug:1", `${prefix}.ephemeralContainers[0].image`, "e"],
      ]);
      expect(images[1]?.pointer).toBe(`/${prefix.replace(/\./g, "/")}/containers/0/image`);
    }
  });

  it("refuses a Deployment without a pod template, naming the field", () => {
    expect(() => workloadImages("Deployment", { spec: { replicas: 1 } }, "request.object")).toThrow("request.object.spec.template is missing");
  });
});

describe("UPDATE re-checks only changed images", () => {
  it("decides on the changed image only; the unchanged sidecar is not re-checked", () => {
    const input = readAdmissionReview(review({ operation: "UPDATE", object: pod(["app:2", "sidecar:1"]), oldObject: pod(["app:1", "sidecar:1"]) }));
    expect(input.images.map((i) => i.reference)).toEqual(["app:2"]);
    expect(input.unchanged.map((i) => i.reference)).toEqual(["sidecar:1"]);
    expect(decideRequestOf(input).images).toEqual([{ reference: "app:2", path: "spec.containers[0].image" }]);
  });

  it("a reorder changes nothing; a new ephemeral container (kubectl debug) is checked", () => {
    expect(readAdmissionReview(review({ operation: "UPDATE", object: pod(["b:1", "a:1"]), oldObject: pod(["a:1", "b:1"]) })).images).toEqual([]);
    const debug = readAdmissionReview(
      review({ operation: "UPDATE", subResource: "ephemeralcontainers", object: pod(["a:1"], { ephemeralContainers: [{ name: "dbg", image: "busybox:1" }] }), oldObject: pod(["a:1"]) }),
    );
    expect(debug.images.map((i) => i.path)).toEqual(["spec.ephemeralContainers[0].image"]);
  });

  it("an unreadable oldObject vouches for nothing: every image is checked", () => {
    const input = readAdmissionReview(review({ operation: "UPDATE", object: pod(["a:1"]), oldObject: { spec: "broken" } }));
    expect(input.images.map((i) => i.reference)).toEqual(["a:1"]);
  });

  it("DELETE, a status subresource and a kind without pod spec are skipped with the reason", () => {
    expect(readAdmissionReview(review({ operation: "DELETE", object: null })).skipped).toContain("DELETE");
    expect(readAdmissionReview(review({ operation: "UPDATE", subResource: "status", object: pod(["x:1"]) })).skipped).toContain("status subresource");
    expect(readAdmissionReview(review({ kind: { group: "", version: "v1", kind: "ConfigMap" }, object: {} })).skipped).toContain("ConfigMap");
  });
});

describe("decideRequestOf", () => {
  it("carries the resource (kind, namespace, labels, name), uid, operation and dryRun", () => {
    const input = readAdmissionReview(review({ dryRun: true, object: pod(["a:1"]) }));
    expect(decideRequestOf(input)).toEqual({
      resource: { kind: "Pod", namespace: "ns", labels: { app: "a" }, name: "p" },
      images: [{ reference: "a:1", path: "spec.containers[0].image" }],
      source: "admission",
      uid: "u-1",
      operation: "CREATE",
      dryRun: true,
    });
  });
});

describe("responses", () => {
  it("a denial echoes the uid, allowed false, status 403 with every reason", async () => {
    const engine = fakeEngine({ verdicts: { "a:1": { passed: false, reason: "no signature verified with release.pub" } } });
    const decision = await engine.decide({ resource: { kind: "Pod" }, images: [{ reference: "a:1" }, { reference: "b:1" }], source: "admission" });
    const out = validationResponse("u-9", decision);
    expect(out).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: {
        uid: "u-9",
        allowed: false,
        status: { code: 403, message: "vouch denied the request: a:1: fake/authorities: no signature verified with release.pub; b:1: no-match: no policy covers this image" },
      },
    });
  });

  it("warn mode allows with warnings, each under 256 bytes; audit failures, exceptions and degraded decisions become audit annotations", async () => {
    const engine = fakeEngine({
      verdicts: {
        "w:1": { mode: "warn", passed: false, reason: `attestation https://slsa.dev/provenance/v1 missing ${"é".repeat(300)}` },
        "a:1": { mode: "audit", passed: false, reason: "unsigned" },
        "x:1": { passed: false, exception: { name: "legacy", reason: "migration", ticket: "SEC-1", approver: "alice", expiresAt: "2027-01-01T00:00:00.000Z" } },
        "d:1": { passed: true, degraded: { action: "allow-and-record", reason: "registry unreachable" } },
      },
    });
    const decision = await engine.decide({ resource: { kind: "Pod" }, images: ["w:1", "a:1", "x:1", "d:1"].map((reference) => ({ reference })), source: "admission" });
    const { response } = validationResponse("u", decision);
    expect(response.allowed).toBe(true);
    expect(response.status).toBeUndefined();
    expect(response.warnings).toHaveLength(1);
    expect(Buffer.byteLength(response.warnings?.[0] ?? "", "utf8")).toBeLessThan(256);
    expect(response.warnings?.[0]).toMatch(/^w:1: fake\/authorities: attestation .*…$/);
    expect(response.auditAnnotations).toEqual({
      "audit-failures": "a:1: fake: authorities: unsigned",
      exceptions: "x:1: fake: exception legacy (SEC-1) approved by alice, expires 2027-01-01T00:00:00.000Z",
      degraded: "d:1: fake: allow-and-record: registry unreachable",
      "needs-reconciliation": "true",
    });
  });

  it("warnings lose control characters, duplicates, and are capped in number", () => {
    expect(admissionWarnings(["a\nb\u0007c", "a\nb\u0007c", "  "])).toEqual(["a b c"]);
    const many = admissionWarnings(Array.from({ length: 80 }, (_, i) => `w${i}`));
    expect(many).toHaveLength(50);
    expect(many.at(-1)).toBe("31 more warnings not shown");
    expect(truncateUtf8("ab€", 4)).toBe("a…");
  });

  it("a malformed object is denied with 400 and the reason, never an exception", () => {
    const input = readAdmissionReview(JSON.parse(fixtureBody("k8tz/review-unparsable-pod.json")));
    expect(deniedResponse(input.uid, input.malformed ?? "", 400)).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: "0c0829ff-c2f5-4634-a1c3-098147304d03", allowed: false, status: { code: 400, message: "cannot read the Pod: request.object.spec is not an object (a Pod needs a pod spec there)" } },
    });
  });
});

const POLICIES = parsePolicies(`apiVersion: vouch.dev/v1
kind: ImagePolicy
metadata: { name: signed }
spec:
  images: [ { glob: "ghcr.io/kubewarden/**" }, { glob: "nginx*" } ]
  authorities: [ { static: pass } ]
`);

describe("digest pinning (mutate)", () => {
  it("pins covered tag references as name:tag@digest, the way Kyverno's mutateDigest does (k8tz golden patch encoding)", () => {
    const input = readAdmissionReview(JSON.parse(fixtureBody("kubewarden-verify-image-signatures/requests-only/pod_creation_signed.json")));
    const pins = imagesToPin(input, POLICIES);
    expect(pins.map((p) => p.reference)).toEqual(["ghcr.io/kubewarden/test-verify-image-signatures:signed"]);
    const digest = "sha256:1d9d3da4c60d27b77bb96bba738319c1c4424853fdd10f65982f9f2ca2422a72";
    const out = mutationResponse(input.uid, pinPatch(pins.map((image) => ({ image, digest }))));
    expect(out.response.patchType).toBe("JSONPatch");
    // Kubewarden's e2e expects exactly this image after mutation.
    expect(JSON.parse(Buffer.from(out.response.patch ?? "", "base64").toString("utf8"))).toEqual([
      { op: "replace", path: "/spec/containers/0/image", value: `ghcr.io/kubewarden/test-verify-image-signatures:signed@${digest}` },
    ]);
  });

  it("leaves pinned and uncovered images alone, and names latest for an untagged reference", () => {
    const pinned = readAdmissionReview(JSON.parse(fixtureBody("kubewarden-verify-image-signatures/requests-only/pod_creation_with_digest.json")));
    expect(isPinned(pinned.images[0]?.reference ?? "")).toBe(true);
    expect(imagesToPin(pinned, POLICIES)).toEqual([]);
    const init = readAdmissionReview(JSON.parse(fixtureBody("kubewarden-verify-image-signatures/requests-only/pod_creation_with_init_container.json")));
    expect(imagesToPin(init, POLICIES).map((i) => i.reference)).toEqual(["nginx"]);
    expect(pinReference("nginx", "sha256:ab")).toBe("nginx:latest@sha256:ab");
    expect(pinReference("localhost:5000/holdout/app", "sha256:ab")).toBe("localhost:5000/holdout/app:latest@sha256:ab");
    expect(pinReference("localhost:5000/holdout/app:v1", "sha256:ab")).toBe("localhost:5000/holdout/app:v1@sha256:ab");
    expect(mutationResponse("u", []).response).toEqual({ uid: "u", allowed: true });
  });
});
