import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeEngine, FIXTURE_EXPECTATIONS, fixtureBody } from "../../../../test/support/admission.js";
import { parsePolicies } from "../../../policy/model/index.js";
import type { PolicyEngine } from "../../../policy/decision.js";
import { buildApp } from "../../app.js";

const DIGEST = "sha256:1d9d3da4c60d27b77bb96bba738319c1c4424853fdd10f65982f9f2ca2422a72";
const SIGNED = "ghcr.io/kubewarden/test-verify-image-signatures:signed";
const UNSIGNED = "ghcr.io/kubewarden/test-verify-image-signatures:unsigned";

const policies = parsePolicies(`apiVersion: vouch.dev/v1
kind: ImagePolicy
metadata: { name: kubewarden }
spec:
  images: [ { glob: "ghcr.io/kubewarden/**" } ]
  authorities: [ { static: pass } ]
`);

/** Every image any fixture names: signed ones pass, the unsigned ones fail, the rest are unmatched (denied). */
const engine = fakeEngine({
  policies,
  verdicts: { [SIGNED]: { passed: true }, [UNSIGNED]: { passed: false, reason: `verification of image ${UNSIGNED} failed: no signature` } },
  digests: { [SIGNED]: DIGEST },
});

let app: FastifyInstance;
beforeAll(async () => {
  app = await buildApp({ admission: { engine } });
});
afterAll(async () => {
  await app.close();
});

function post(url: string, payload: string | object) {
  return app.inject({ method: "POST", url, headers: { "content-type": "application/json" }, payload: typeof payload === "string" ? payload : JSON.stringify(payload) });
}

interface ReviewBody {
  apiVersion: string;
  kind: string;
  response: { uid: string; allowed: boolean; status?: { code: number; message: string }; warnings?: string[]; patch?: string; patchType?: string; auditAnnotations?: Record<string, string> };
}

describe("POST /admission/validate: every fixture gets a well-formed answer", () => {
  for (const [name, expected] of Object.entries(FIXTURE_EXPECTATIONS)) {
    it(`${name}`, async () => {
      const res = await post("/admission/validate", fixtureBody(name));
      if (expected.kind === "400") {
        expect(res.statusCode).toBe(400);
        const body = res.json<{ code: number; message: string }>();
        expect(body.code).toBe(400);
        expect(body.message).toContain(expected.reason);
        return;
      }
      expect(res.statusCode).toBe(200);
      const body = res.json<ReviewBody>();
      expect(body.apiVersion).toBe("admission.k8s.io/v1");
      expect(body.kind).toBe("AdmissionReview");
      expect(body.response.uid).toBe(expected.uid);
      if (expected.kind === "deny") {
        expect(body.response.allowed).toBe(false);
        expect(body.response.status?.code).toBe(400);
        expect(body.response.status?.message).toContain(expected.reason);
      } else if (expected.kind === "unchanged") {
        expect(body.response).toEqual({ uid: expected.uid, allowed: true });
      } else {
        const references = expected.images.map((i) => i.split(" @ ")[0]);
        const allowed = references.every((r) => r === SIGNED);
        expect(body.response.allowed).toBe(allowed);
        if (!allowed) {
          expect(body.response.status?.code).toBe(403);
          for (const r of references.filter((r) => r !== SIGNED)) expect(body.response.status?.message).toContain(r);
        }
      }
    });
  }

  it("kubewarden's unsigned expectation: denied, naming the image that failed verification", async () => {
    const res = await post("/admission/validate", fixtureBody("kubewarden-verify-image-signatures/requests-only/pod_creation_unsigned.json"));
    expect(res.json<ReviewBody>().response.status?.message).toContain(`verification of image ${UNSIGNED} failed`);
  });

  it("passes the engine the resource and only the images to decide on", async () => {
    engine.requests.length = 0;
    await post("/admission/validate", fixtureBody("k8tz/review-pod.json"));
    await post("/admission/validate", fixtureBody("connaisseur/10_update.json"));
    expect(engine.requests).toHaveLength(1);
    expect(engine.requests[0]).toMatchObject({
      source: "admission",
      uid: "0c0829ff-c2f5-4634-a1c3-098147304d03",
      operation: "CREATE",
      dryRun: false,
      resource: { kind: "Pod", namespace: "default", labels: { app: "elasticsearch-master" } },
      images: [{ path: "spec.initContainers[0].image" }, { path: "spec.containers[0].image" }],
    });
  });
});

describe("POST /admission/validate: bad bodies are 400 with a reason, never a crash", () => {
  it("not JSON, not an object, and a JSON null are refused", async () => {
    for (const payload of ["{", "[]", "null", "\"AdmissionReview\""]) {
      const res = await post("/admission/validate", payload);
      expect(res.statusCode, payload).toBe(400);
      expect(res.json<{ message: string }>().message.length).toBeGreaterThan(0);
    }
  });

  it("a body over the limit is refused with 400", async () => {
    const small = await buildApp({ admission: { engine, maxBodyBytes: 1024 } });
    const res = await small.inject({ method: "POST", url: "/admission/validate", headers: { "content-type": "application/json" }, payload: fixtureBody("k8tz/review-pod.json") });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ message: string }>().message).toContain("too large");
    await small.close();
  });

  it("an engine that breaks is a 500 (the webhook's failurePolicy decides), not an answer made up", async () => {
    const broken: PolicyEngine = { ...engine, decide: () => Promise.reject(new Error("database gone")) };
    const brokenApp = await buildApp({ admission: { engine: broken } });
    const res = await brokenApp.inject({ method: "POST", url: "/admission/validate", headers: { "content-type": "application/json" }, payload: fixtureBody("connaisseur/02_pod.json") });
    expect(res.statusCode).toBe(500);
    expect(res.json<{ message: string }>().message).toBe("internal error");
    await brokenApp.close();
  });
});

describe("POST /admission/mutate", () => {
  it("pins the signed tag to its digest as a base64 JSONPatch (kubewarden's expected image)", async () => {
    const res = await post("/admission/mutate", fixtureBody("kubewarden-verify-image-signatures/requests-only/pod_creation_signed.json"));
    expect(res.statusCode).toBe(200);
    const { response } = res.json<ReviewBody>();
    expect(response.allowed).toBe(true);
    expect(response.patchType).toBe("JSONPatch");
    expect(JSON.parse(Buffer.from(response.patch ?? "", "base64").toString("utf8"))).toEqual([
      { op: "replace", path: "/spec/containers/0/image", value: `${SIGNED}@${DIGEST}` },
    ]);
  });

  it("CronJob and Deployment images are patched at their own paths", async () => {
    for (const [file, path] of [
      ["cronjob_creation_signed.json", "/spec/jobTemplate/spec/template/spec/containers/0/image"],
      ["deployment_creation_signed.json", "/spec/template/spec/containers/0/image"],
    ] as const) {
      const { response } = (await post("/admission/mutate", fixtureBody(`kubewarden-verify-image-signatures/requests-only/${file}`))).json<ReviewBody>();
      expect(JSON.parse(Buffer.from(response.patch ?? "", "base64").toString("utf8"))).toEqual([{ op: "replace", path, value: `${SIGNED}@${DIGEST}` }]);
    }
  });

  it("an image that cannot be resolved is allowed unpatched with a warning; pinned and uncovered images are left alone", async () => {
    const unresolved = (await post("/admission/mutate", fixtureBody("kubewarden-verify-image-signatures/requests-only/pod_creation_unsigned.json"))).json<ReviewBody>();
    expect(unresolved.response).toEqual({ uid: "1299d386-525b-4032-98ae-1949f69f9cfc", allowed: true, warnings: [`${UNSIGNED}: not pinned to a digest: ${UNSIGNED}: manifest unknown`] });
    engine.resolved.length = 0;
    for (const file of ["kubewarden-verify-image-signatures/requests-only/pod_creation_with_digest.json", "k8tz/review-pod.json", "connaisseur/10_update.json"]) {
      const { response } = (await post("/admission/mutate", fixtureBody(file))).json<ReviewBody>();
      expect(response.allowed).toBe(true);
      expect(response.patch).toBeUndefined();
    }
    expect(engine.resolved).toEqual([]);
  });

  it("malformed objects are denied and unusable envelopes refused, as on validate", async () => {
    expect((await post("/admission/mutate", fixtureBody("k8tz/review-unparsable-pod.json"))).json<ReviewBody>().response.allowed).toBe(false);
    expect((await post("/admission/mutate", fixtureBody("k8tz/review-without-request.json"))).statusCode).toBe(400);
  });
});
