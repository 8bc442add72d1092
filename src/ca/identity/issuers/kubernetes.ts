import type { MatchedIssuer } from "../config.js";
import type { Principal, TokenClaims } from "../types.js";
import { commonExtensions, defined, issuerAndSubject, objectClaim, requireString, tokenInvalid } from "./claims.js";

// Namespaces are DNS labels and service-account names DNS subdomains (Kubernetes object names); both go into a URI.
const K8S_NAME = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * Kubernetes service-account identities (Fulcio's pkg/identity/kubernetes): the SAN is
 * https://kubernetes.io/namespaces/<namespace>/serviceaccounts/<name> from the `kubernetes.io` claim of a projected
 * service-account token; the proof of possession signs `sub` (system:serviceaccount:<ns>:<name>).
 */
export function kubernetesPrincipal(_issuer: MatchedIssuer, claims: TokenClaims): Principal {
  const { iss, sub } = issuerAndSubject(claims);
  const k8s = objectClaim(claims, "kubernetes.io");
  if (k8s === undefined) throw tokenInvalid('missing claim "kubernetes.io"');
  const namespace = name(requireString(k8s, "namespace", "kubernetes.io.namespace"), "kubernetes.io.namespace");
  const serviceAccount = objectClaim(k8s, "serviceaccount");
  if (serviceAccount === undefined) throw tokenInvalid('missing claim "kubernetes.io.serviceaccount"');
  const account = name(requireString(serviceAccount, "name", "kubernetes.io.serviceaccount.name"), "kubernetes.io.serviceaccount.name");
  return {
    issuer: iss,
    proofSubject: sub,
    san: { kind: "uri", value: `https://kubernetes.io/namespaces/${namespace}/serviceaccounts/${account}` },
    extensions: defined(commonExtensions(iss, sub)),
  };
}

function name(value: string, claim: string): string {
  if (!K8S_NAME.test(value)) throw tokenInvalid(`claim "${claim}" is not a Kubernetes object name: ${JSON.stringify(value)}`);
  return value;
}
