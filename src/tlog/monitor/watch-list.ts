import { VouchError } from "../../core/errors.js";
import type { SignerSummary } from "./alerts.js";

/**
 * The signers a monitor watches for (issue 4: "an entry whose certificate identity or key fingerprint matches a watch
 * list (a signer you did not expect)"). Typical use: list your release identity and your signing keys; an entry
 * signed by them that you did not make means the identity or key is being used by someone else.
 *
 * A rule matches a signer when every field it sets holds (cosign's --certificate-identity + --certificate-oidc-issuer,
 * as an AND). Regular expressions are anchored, as in vouch's verifier: "release@example\.com" must not match
 * "release@example.com.attacker.net".
 */
export interface WatchRule {
  /** A label for alerts; defaults to a description of the rule. */
  name?: string;
  /** A subject alternative name of the signing certificate, exactly (email, URI, DNS name, IP, textual otherName). */
  identity?: string;
  /** An anchored regular expression one subject alternative name must match. */
  identityRegExp?: string;
  /** The Fulcio OIDC issuer extension (1.3.6.1.4.1.57264.1.8, or .1.1), exactly. */
  issuer?: string;
  /** An anchored regular expression the Fulcio OIDC issuer must match. */
  issuerRegExp?: string;
  /** SHA-256 of the signing key's SubjectPublicKeyInfo DER, hex (colons and a "sha256:" prefix are allowed). */
  keyFingerprint?: string;
}

export interface WatchMatch {
  /** The rule's name, or its description. */
  rule: string;
}

export interface WatchList {
  readonly size: number;
  /** Every rule the signer matches. */
  match(signer: SignerSummary): WatchMatch[];
}

interface CompiledRule {
  label: string;
  test(signer: SignerSummary): boolean;
}

const RULE_FIELDS = new Set(["name", "identity", "identityRegExp", "issuer", "issuerRegExp", "keyFingerprint"]);

/**
 * Compiles rules into a matcher.
 *
 * @throws VouchError INPUT_USAGE for a rule that sets nothing to match, an empty value, an invalid regular expression
 *   or a fingerprint that is not 32 bytes of hex.
 * @example
 *   const watch = compileWatchList([{ identity: "release@example.com", issuer: "https://accounts.example.com" }]);
 *   watch.match({ identities: ["release@example.com"], issuer: "https://accounts.example.com", keyFingerprint });
 */
export function compileWatchList(rules: readonly WatchRule[]): WatchList {
  const compiled = rules.map((rule, i) => compileRule(rule, i));
  return {
    size: compiled.length,
    match: (signer) => compiled.filter((rule) => rule.test(signer)).map((rule) => ({ rule: rule.label })),
  };
}

/**
 * Parses a watch-list file: a JSON array of rules, or an object {"rules": [...]}. Unknown fields are refused: a typo
 * ("identiy") must not silently turn a rule into one that matches nothing, or everything.
 *
 * @throws VouchError INPUT_MALFORMED naming the file and the rule that is wrong.
 * @example
 *   parseWatchList('[{"identity": "release@example.com"}, {"keyFingerprint": "9f86…"}]', "watch.json");
 */
export function parseWatchList(text: string, file?: string): WatchRule[] {
  const malformed = (message: string, cause?: unknown) =>
    new VouchError("INPUT_MALFORMED", `watch list: ${message}`, { file, ...(cause === undefined ? {} : { cause }) });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw malformed("not JSON", error);
  }
  const list = Array.isArray(json) ? json : isObject(json) && Array.isArray(json.rules) && Object.keys(json).length === 1 ? json.rules : undefined;
  if (list === undefined) throw malformed('expected an array of rules or {"rules": [...]}');
  return list.map((entry, i) => {
    if (!isObject(entry)) throw malformed(`rule ${i} is not an object`);
    const rule: WatchRule = {};
    for (const [key, value] of Object.entries(entry)) {
      if (!RULE_FIELDS.has(key)) throw malformed(`rule ${i} has an unknown field ${JSON.stringify(key)} (${[...RULE_FIELDS].join(", ")})`);
      if (typeof value !== "string") throw malformed(`rule ${i}: ${key} is not a string`);
      rule[key as keyof WatchRule] = value;
    }
    try {
      compileRule(rule, i);
    } catch (error) {
      throw malformed(error instanceof Error ? error.message : String(error), error);
    }
    return rule;
  });
}

/** A fingerprint as compared: 64 lowercase hex digits. */
export function normalizeFingerprint(value: string): string | undefined {
  const hex = value.trim().toLowerCase().replace(/^sha256:/, "").replace(/:/g, "");
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

function compileRule(rule: WatchRule, index: number): CompiledRule {
  const where = `watch rule ${rule.name ?? index}`;
  for (const key of ["name", "identity", "identityRegExp", "issuer", "issuerRegExp", "keyFingerprint"] as const) {
    if (rule[key] === "") throw new VouchError("INPUT_USAGE", `${where}: ${key} is empty`);
  }
  if (rule.identity === undefined && rule.identityRegExp === undefined && rule.issuer === undefined && rule.issuerRegExp === undefined && rule.keyFingerprint === undefined) {
    throw new VouchError("INPUT_USAGE", `${where}: sets nothing to match (identity, identityRegExp, issuer, issuerRegExp or keyFingerprint)`);
  }
  const identityRe = anchored(rule.identityRegExp, `${where}: identityRegExp`);
  const issuerRe = anchored(rule.issuerRegExp, `${where}: issuerRegExp`);
  let fingerprint: string | undefined;
  if (rule.keyFingerprint !== undefined) {
    fingerprint = normalizeFingerprint(rule.keyFingerprint);
    if (fingerprint === undefined) throw new VouchError("INPUT_USAGE", `${where}: keyFingerprint is not a SHA-256 fingerprint (64 hex digits)`);
  }
  const needsCertificate = rule.identity !== undefined || identityRe !== undefined || rule.issuer !== undefined || issuerRe !== undefined;
  return {
    label: rule.name ?? describeRule(rule),
    test(signer) {
      if (fingerprint !== undefined && signer.keyFingerprint !== fingerprint) return false;
      if (!needsCertificate) return true;
      // One name must satisfy every identity constraint: "identity A and regexp B" never matches on two names.
      const identityOk =
        (rule.identity === undefined && identityRe === undefined) ||
        signer.identities.some((name) => (rule.identity === undefined || name === rule.identity) && (identityRe === undefined || identityRe.test(name)));
      if (!identityOk) return false;
      if (rule.issuer === undefined && issuerRe === undefined) return true;
      if (signer.issuer === undefined) return false;
      return (rule.issuer === undefined || signer.issuer === rule.issuer) && (issuerRe === undefined || issuerRe.test(signer.issuer));
    },
  };
}

function describeRule(rule: WatchRule): string {
  const parts: string[] = [];
  if (rule.identity !== undefined) parts.push(`identity=${rule.identity}`);
  if (rule.identityRegExp !== undefined) parts.push(`identity~/${rule.identityRegExp}/`);
  if (rule.issuer !== undefined) parts.push(`issuer=${rule.issuer}`);
  if (rule.issuerRegExp !== undefined) parts.push(`issuer~/${rule.issuerRegExp}/`);
  if (rule.keyFingerprint !== undefined) parts.push(`key=${normalizeFingerprint(rule.keyFingerprint) ?? rule.keyFingerprint}`);
  return parts.join(" ");
}

/** `^(?:…)$`: the whole value must match (a substring match would let "example\.com" accept "evil-example.com.x"). */
function anchored(source: string | undefined, what: string): RegExp | undefined {
  if (source === undefined) return undefined;
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (error) {
    throw new VouchError("INPUT_USAGE", `${what} is not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
