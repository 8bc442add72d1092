import { VouchError } from "../../core/errors.js";
import {
  extensionText,
  FULCIO_EXTENSIONS,
  fulcioName,
  type Certificate,
  type FulcioClaimName,
  type SubjectAltName,
} from "../../core/x509/index.js";
import { evidenceCertificate } from "./path.js";

/**
 * Who must have signed, as cosign's flags say it:
 *   --certificate-identity / --certificate-identity-regexp     → subject / subjectRegExp
 *   --certificate-oidc-issuer / --certificate-oidc-issuer-regexp → issuer / issuerRegExp
 *   --certificate-github-workflow-{trigger,sha,name,repository,ref} → extensions.githubWorkflow{Trigger,SHA,Name,Repository,Ref}
 *   any other extension                                          → extensions["<claim name or dotted OID>"]
 * Regular expressions are anchored: they must match the whole value (cosign and sigstore-js match a substring, so
 * "example\.com" would accept "evil-example.com.attacker.net"; vouch does not). When both an exact value and a
 * regexp are given, both must hold.
 */
export interface IdentityPolicy {
  subject?: string;
  subjectRegExp?: RegExp | string;
  issuer?: string;
  issuerRegExp?: RegExp | string;
  /** Exact values, keyed by Fulcio claim name (FULCIO_EXTENSIONS, sigstore-go's names) or by dotted OID. */
  extensions?: Readonly<Record<string, string>>;
}

/** The signer's identity as the certificate states it. */
export interface Identity {
  /** The subject alternative name the policy matched (the first one when the policy names no subject). */
  subject: string;
  subjectType: "email" | "uri" | "dns" | "ip" | "otherName";
  /** The OIDC issuer (Fulcio extension 1.8, else 1.1), when the certificate has one. */
  issuer?: string;
  /** Every Fulcio claim that decoded, by name. */
  extensions: Partial<Record<FulcioClaimName, string>>;
}

/**
 * The deprecated GitHub-specific claims (1.2–1.6) and their provider-neutral successors (Fulcio oid-info.md): a
 * policy on the old name is checked against whichever of the two the certificate carries, and against both when it
 * carries both. Workflow name (1.4) has no successor.
 */
const GITHUB_SUCCESSORS: Partial<Record<FulcioClaimName, FulcioClaimName>> = {
  githubWorkflowTrigger: "buildTrigger",
  githubWorkflowSHA: "sourceRepositoryDigest",
  githubWorkflowRepository: "sourceRepositoryURI",
  githubWorkflowRef: "sourceRepositoryRef",
};

/**
 * Checks the leaf certificate's identity against the policy and returns it. Throws VouchError VERIFY_IDENTITY naming
 * the field that does not match (subject, issuer, or the extension), and INPUT_USAGE for an unusable policy
 * (invalid regexp, unknown claim name).
 *
 * @example
 *   checkIdentity(chain.leaf, { subject: "brian@dehamer.com", issuer: "https://github.com/login/oauth" });
 *   checkIdentity(leaf, {
 *     subjectRegExp: "https://github\\.com/sigstore/sigstore-js/\\.github/workflows/.*",
 *     issuer: "https://token.actions.githubusercontent.com",
 *     extensions: { githubWorkflowRepository: "sigstore/sigstore-js" },
 *   });
 */
export function checkIdentity(leafInput: Uint8Array | Certificate, policy: IdentityPolicy): Identity {
  const subjectRe = anchored(policy.subjectRegExp, "subjectRegExp");
  const issuerRe = anchored(policy.issuerRegExp, "issuerRegExp");
  if (policy.subject === "") throw new VouchError("INPUT_USAGE", "the identity policy's subject is empty");
  if (policy.issuer === "") throw new VouchError("INPUT_USAGE", "the identity policy's issuer is empty");
  const expectations = Object.entries(policy.extensions ?? {}).map(([key, value]) => extensionExpectation(key, value));
  const leaf = evidenceCertificate(leafInput, "the signing certificate", "VERIFY_IDENTITY");

  // Subject: a subject alternative name that satisfies every subject constraint.
  const names = leaf.subjectAltNames.filter(hasText);
  if (names.length === 0) throw fail("the signing certificate has no subject alternative name to identify the signer");
  const subject = names.find((n) => (policy.subject === undefined || n.value === policy.subject) && (subjectRe === undefined || subjectRe.test(n.value)));
  if (subject === undefined) {
    const wanted = [policy.subject !== undefined ? `"${policy.subject}"` : undefined, subjectRe ? `${subjectRe}` : undefined].filter(Boolean).join(" and ");
    throw fail(`subject: the certificate identity ${names.map((n) => `"${n.value}"`).join(", ")} does not match the required ${wanted}`);
  }

  // Issuer: 1.8 (DER) and 1.1 (raw) say the same thing in Fulcio certificates; if both exist they must agree.
  const issuerConstrained = policy.issuer !== undefined || issuerRe !== undefined;
  const issuer = issuerConstrained ? oidcIssuer(leaf) : optional(() => oidcIssuer(leaf));
  if (issuerConstrained) {
    if (issuer === undefined) throw fail("issuer: the signing certificate has no OIDC issuer extension (1.3.6.1.4.1.57264.1.8 or .1.1)");
    if (policy.issuer !== undefined && issuer !== policy.issuer) throw fail(`issuer: the certificate's OIDC issuer "${issuer}" is not the required "${policy.issuer}"`);
    if (issuerRe !== undefined && !issuerRe.test(issuer)) throw fail(`issuer: the certificate's OIDC issuer "${issuer}" does not match ${issuerRe}`);
  }

  for (const expectation of expectations) expectation(leaf);

  return { subject: subject.value, subjectType: subject.type, ...(issuer === undefined ? {} : { issuer }), extensions: { ...leaf.fulcio } };
}

type TextName = Exclude<SubjectAltName, { type: "other" } | { type: "otherName"; value: undefined }> & { value: string };

function hasText(n: SubjectAltName): n is TextName {
  return n.type !== "other" && n.value !== undefined;
}

/** `^(?:…)$` around the policy's pattern, keeping its flags except the stateful g and y. */
function anchored(re: RegExp | string | undefined, field: string): RegExp | undefined {
  if (re === undefined) return undefined;
  const source = typeof re === "string" ? re : re.source;
  const flags = typeof re === "string" ? "" : re.flags.replace(/[gy]/g, "");
  if (source === "") throw new VouchError("INPUT_USAGE", `the identity policy's ${field} is empty`);
  try {
    return new RegExp(`^(?:${source})$`, flags);
  } catch (err) {
    throw new VouchError("INPUT_USAGE", `the identity policy's ${field} is not a valid regular expression: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

/** The value, or undefined when computing it fails (for what is only reported, not required). */
function optional<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}

function oidcIssuer(leaf: Certificate): string | undefined {
  const v2 = claim(leaf, FULCIO_EXTENSIONS.issuer, "issuer");
  const v1 = claim(leaf, FULCIO_EXTENSIONS.issuerV1, "issuer");
  if (v2 !== undefined && v1 !== undefined && v2 !== v1) {
    throw fail(`issuer: the certificate's issuer extensions disagree ("${v2}" in 1.3.6.1.4.1.57264.1.8, "${v1}" in .1.1)`);
  }
  return v2 ?? v1;
}

/** An extension's text, or undefined when absent; a present but undecodable extension fails the field. */
function claim(leaf: Certificate, oid: string, field: string): string | undefined {
  try {
    return extensionText(leaf, oid);
  } catch (err) {
    throw new VouchError("VERIFY_IDENTITY", `${field}: certificate extension ${oid} is malformed: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

const DOTTED_OID = /^[0-2](?:\.(?:0|[1-9][0-9]*))+$/;

/** A check for one `extensions` entry of the policy. */
function extensionExpectation(key: string, expected: string): (leaf: Certificate) => void {
  if (typeof expected !== "string") throw new VouchError("INPUT_USAGE", `the identity policy's value for extension "${key}" is not a string`);
  if (DOTTED_OID.test(key)) {
    return (leaf) => {
      const field = fulcioName(key) ?? key;
      const actual = claim(leaf, key, field);
      if (actual === undefined) throw fail(`${field}: the signing certificate has no extension ${key}`);
      if (actual !== expected) throw fail(`${field}: certificate extension ${key} is "${actual}", the policy requires "${expected}"`);
    };
  }
  if (!Object.hasOwn(FULCIO_EXTENSIONS, key)) {
    throw new VouchError("INPUT_USAGE", `unknown certificate extension "${key}" in the identity policy (use a Fulcio claim name or a dotted OID)`);
  }
  const name = key as FulcioClaimName;
  const oid = FULCIO_EXTENSIONS[name];
  const successor = GITHUB_SUCCESSORS[name];
  return (leaf) => {
    const actual = claim(leaf, oid, name);
    const next = successor === undefined ? undefined : claim(leaf, FULCIO_EXTENSIONS[successor], name);
    if (actual === undefined && next === undefined) {
      throw fail(`${name}: the signing certificate has no ${oid}${successor ? ` or ${FULCIO_EXTENSIONS[successor]} (${successor})` : ""} extension`);
    }
    if (actual !== undefined && !sameClaim(name, actual, expected, false)) {
      throw fail(`${name}: certificate extension ${oid} is "${actual}", the policy requires "${expected}"`);
    }
    if (next !== undefined && !sameClaim(name, next, expected, true)) {
      throw fail(`${name}: certificate extension ${FULCIO_EXTENSIONS[successor!]} (${successor}) is "${next}", the policy requires "${expected}"`);
    }
  };
}

/**
 * The repository claim changed form: 1.5 is "owner/repo", its successor 1.12 a URI "https://github.com/owner/repo".
 * Either form of the policy value matches either form in the certificate, comparing the URI's path; every other claim
 * compares exactly.
 */
function sameClaim(name: FulcioClaimName, actual: string, expected: string, successor: boolean): boolean {
  if (actual === expected) return true;
  if (name !== "githubWorkflowRepository") return false;
  const path = (v: string): string | undefined => {
    if (!/^https?:\/\//.test(v)) return undefined;
    try {
      return new URL(v).pathname.replace(/^\//, "");
    } catch {
      return undefined;
    }
  };
  return successor ? path(actual) === expected : actual === path(expected);
}

function fail(message: string): VouchError {
  return new VouchError("VERIFY_IDENTITY", message);
}
