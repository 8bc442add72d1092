/** Policy documents (`apiVersion: vouch.dev/v1`): the parsed model evaluate.ts and admission work from. */
export { parsePolicies, parsePolicyDocument, labelsMatch, MAX_POLICY_TEXT, type ParseOptions } from "./parse.js";
export { exceptionApplies } from "./exceptions.js";
export { POLICY_SCHEMA } from "./schema.js";
export * from "./types.js";
