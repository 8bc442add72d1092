/** Re-deciding recorded admission decisions (`vouch admission reconcile`): the engine, the run and its report. */
export { reconcileDecisions, renderReconcile } from "../api/admission-reconcile.js";
export type { ReconcileOptions, ReconcileResult, Reconciled } from "../api/admission-reconcile.js";
export { createPolicyEngine } from "../api/policy-engine.js";
export { loadPolicies } from "../api/policy.js";
