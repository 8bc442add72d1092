/** Policy as code (`vouch policy validate|eval|test`): parsing policies, evaluating them on an image's evidence. */
export { validatePolicyFiles, loadPolicies, loadPolicyTrust, evalPolicy, renderDecision, policyFiles } from "../api/policy.js";
export type { ValidatedFile, PolicyEvalOptions, PolicyEvalResult, TrustOptions } from "../api/policy.js";
export { evaluate } from "../policy/evaluate.js";
export type { Decision, EvaluationInput, ImageEvidence, PolicyResult, RuleResult, NoMatchAction } from "../policy/decision.js";
