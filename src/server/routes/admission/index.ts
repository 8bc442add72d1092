import type { FastifyPluginAsync } from "fastify";
import type { PolicyEngine } from "../../../policy/decision.js";
import {
  allowedResponse,
  decideRequestOf,
  deniedResponse,
  imagesToPin,
  mutationResponse,
  pinPatch,
  readAdmissionReview,
  validationResponse,
  type AdmissionInput,
  type AdmissionReviewResponse,
} from "../../../policy/admission/index.js";
import { admissionReviewBody, admissionReviewResponse, errorBody } from "./schemas.js";

export interface AdmissionRoutesOptions {
  /** Decides on images and resolves tags (src/api/policy-engine.ts createPolicyEngine). */
  engine: PolicyEngine;
  /** Largest AdmissionReview accepted, in bytes (default 8 MiB: an object and its oldObject, each up to etcd's 3 MiB). */
  maxBodyBytes?: number;
}

export const DEFAULT_MAX_ADMISSION_BYTES = 8 * 1024 * 1024;

/**
 * Kubernetes admission webhooks (admission.k8s.io/v1): `POST /admission/validate` answers with the policy
 * decision, `POST /admission/mutate` pins covered tags to digests. Every decision is HTTP 200 with the request's
 * uid; an envelope nobody can be answered for (no request, no uid, not v1) is HTTP 400 with the reason, which the
 * API server treats by the webhook's failurePolicy. The API server authenticates the webhook by its TLS
 * certificate; the routes take no token (restrict who can reach them with a NetworkPolicy, as for Kyverno).
 */
export const admissionRoutes: FastifyPluginAsync<AdmissionRoutesOptions> = async (app, { engine, maxBodyBytes }) => {
  const bodyLimit = maxBodyBytes ?? DEFAULT_MAX_ADMISSION_BYTES;
  const schema = (summary: string) => ({
    summary,
    tags: ["admission"],
    body: admissionReviewBody,
    response: { 200: admissionReviewResponse, 400: errorBody, 415: errorBody, 503: errorBody },
  });

  /** The answer that needs no engine: a malformed object, or nothing to check. */
  const early = (input: AdmissionInput): AdmissionReviewResponse | undefined => {
    if (input.malformed !== undefined) return deniedResponse(input.uid, input.malformed, 400);
    if (input.skipped !== undefined || input.images.length === 0) return allowedResponse(input.uid);
    return undefined;
  };

  app.post<{ Body: unknown }>("/admission/validate", { bodyLimit, schema: schema("Validate a workload's images against the policies (ValidatingWebhookConfiguration)") }, async (request) => {
    const input = readAdmissionReview(request.body);
    const answer = early(input);
    if (answer !== undefined) return answer;
    const decision = await engine.decide(decideRequestOf(input));
    if (!decision.allowed || decision.warnings.length > 0) request.log.info({ uid: input.uid, allowed: decision.allowed, reasons: decision.reasons, warnings: decision.warnings }, "admission decision");
    return validationResponse(input.uid, decision);
  });

  app.post<{ Body: unknown }>("/admission/mutate", { bodyLimit, schema: schema("Pin the covered images' tags to digests (MutatingWebhookConfiguration)") }, async (request) => {
    const input = readAdmissionReview(request.body);
    const answer = early(input);
    if (answer !== undefined) return answer;
    const pins = imagesToPin(input, engine.policies());
    const warnings: string[] = [];
    const resolved: { image: (typeof pins)[number]; digest: string }[] = [];
    // Each distinct reference is resolved once, concurrently: a Pod of 8 containers costs one round trip, not 8.
    const byReference = new Map(await Promise.all([...new Set(pins.map((p) => p.reference))].map(async (reference) => [reference, await engine.resolve(reference)] as const)));
    for (const image of pins) {
      const result = byReference.get(image.reference);
      if (result === undefined) continue;
      // Not pinning is not a denial: the validating webhook decides on the same image with the policy's outage action.
      if ("unavailable" in result) warnings.push(`${image.reference}: not pinned to a digest: ${result.unavailable}`);
      else resolved.push({ image, digest: result.digest });
    }
    return mutationResponse(input.uid, pinPatch(resolved), warnings);
  });
};
