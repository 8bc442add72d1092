/** Policy as code (`vouch policy validate|eval|test`): parsing policies, evaluating them on an image's evidence. */
export { validatePolicyFiles, loadPolicies, evalPolicy, renderDecision, policyFiles, testPolicies } from "../api/policy.js";
export { renderTestTable } from "../policy/testing/run.js";
export type { PolicyTestRun, TestCaseOutcome } from "../policy/testing/run.js";
export type { ValidatedFile, PolicyEvalOptions, PolicyEvalResult } from "../api/policy.js";
export { loadPolicyTrust } from "../api/policy-trust.js";
export type { TrustOptions } from "../api/policy-trust.js";
export { evaluate } from "../policy/evaluate.js";
export type { Decision, EvaluationInput, ImageEvidence, PolicyResult, RuleResult, NoMatchAction } from "../policy/decision.js";
