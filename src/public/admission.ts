/** Kubernetes admission (`vouch admission serve|certs`, and the webhooks `vouch serve` mounts): the server, its certificates, the engine. */
export { loadPolicyPath, readVexFiles, startAdmissionServer, watchPolicies } from "../api/admission-serve.js";
export type { AdmissionServeOptions, ReloadOutcome, RunningAdmissionServer } from "../api/admission-serve.js";
export { createAdmissionCerts } from "../api/admission-certs.js";
export type { AdmissionCerts, AdmissionCertsOptions } from "../api/admission-certs.js";
export { createPolicyEngine } from "../api/policy-engine.js";
export type { PolicyEngineOptions } from "../api/policy-engine.js";
