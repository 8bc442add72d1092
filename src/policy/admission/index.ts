/**
 * Kubernetes admission (admission.k8s.io/v1) ↔ policy decisions, pure: AdmissionReview requests in, DecideRequests
 * for the engine, AdmissionReview responses (and digest-pinning JSONPatches) out. The HTTP routes are in
 * src/server/routes/admission.
 */
export { CONTAINER_LISTS, changedImages, isPinned, isWorkloadKind, pinReference, workloadImages, type WorkloadImage } from "./images.js";
export { ADMISSION_API_VERSION, decideRequestOf, readAdmissionReview, type AdmissionInput } from "./review.js";
export {
  admissionWarnings,
  allowedResponse,
  decisionAuditAnnotations,
  deniedResponse,
  mutationResponse,
  truncateUtf8,
  validationResponse,
  MAX_WARNING_BYTES,
  type AdmissionResponse,
  type AdmissionReviewResponse,
  type PatchOperation,
} from "./response.js";
export { imagesToPin, pinPatch } from "./mutate.js";
