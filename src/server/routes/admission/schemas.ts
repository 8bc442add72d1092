/**
 * JSON schemas of the admission routes, for /openapi.json and the response serializer. The request body is not
 * constrained here: readAdmissionReview checks all of it, so that each mistake is answered with the field it
 * concerns in the AdmissionReview's own terms.
 */

export const admissionReviewBody = {
  description: "an admission.k8s.io/v1 AdmissionReview with a request",
} as const;

export const admissionReviewResponse = {
  type: "object",
  required: ["apiVersion", "kind", "response"],
  properties: {
    apiVersion: { type: "string", enum: ["admission.k8s.io/v1"] },
    kind: { type: "string", enum: ["AdmissionReview"] },
    response: {
      type: "object",
      required: ["uid", "allowed"],
      properties: {
        uid: { type: "string" },
        allowed: { type: "boolean" },
        status: { type: "object", required: ["code", "message"], properties: { code: { type: "integer" }, message: { type: "string" } } },
        warnings: { type: "array", items: { type: "string", maxLength: 255 } },
        auditAnnotations: { type: "object", additionalProperties: { type: "string" } },
        patchType: { type: "string", enum: ["JSONPatch"] },
        patch: { type: "string", description: "base64 of an RFC 6902 JSON Patch" },
      },
    },
  },
} as const;

export const errorBody = {
  type: "object",
  required: ["code", "message"],
  properties: { code: { type: "integer" }, message: { type: "string" } },
} as const;
