import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import picomatch from "picomatch";
import { isNode, isScalar, parseAllDocuments, type Document } from "yaml";
import { sha256Hex } from "../../core/crypto/digest.js";
import { parsePkcs11Uri } from "../../core/crypto/pkcs11-uri.js";
import { formatJsonPath, type JsonPath } from "../../core/encoding/json-text.js";
import { lineOfOffset, VouchError } from "../../core/errors.js";
import { resolvePredicateType } from "../../core/intoto/statement.js";
import { FULCIO_EXTENSIONS, FULCIO_OID_PREFIX } from "../../core/x509/oids.js";
import { CelCompiler } from "../cel.js";
import { POLICY_SCHEMA } from "./schema.js";
import {
  WORKLOAD_KINDS,
  type AttestationRule,
  type Authority,
  type Glob,
  type ImageMatcher,
  type ImagePolicy,
  type KeylessIdentity,
  type KeyRef,
  type LabelSelector,
  type PolicyException,
  type PolicyKind,
  type PolicyMode,
  type ResourceMatcher,
  type ResourceRef,
  type SbomRule,
  type TrustedRootRef,
  type UnavailableAction,
  type VulnerabilityRule,
  type WorkloadKind,
} from "./types.js";

export interface ParseOptions {
  /** The file as the user names it, for error locations. */
  file?: string;
  /** Conditions already compiled for this policy set (a reload passes the previous set's compiler). */
  cel?: CelCompiler;
}

/** The largest policy file accepted (a policy is a page; a megabyte is a mistake or an attack on the YAML parser). */
export const MAX_POLICY_TEXT = 1024 * 1024;

/**
 * Parses a policy file: one or more YAML documents (`---`), each an `apiVersion: vouch.dev/v1` ImagePolicy or
 * NamespacedImagePolicy. Empty documents are skipped. Policy names must be unique (per namespace for namespaced
 * policies).
 *
 * Throws VouchError INPUT_MALFORMED naming the document (1-based), the field and, where known, the line:
 * `policy.yaml:7: document 2, spec.authorities[0].keyless.identities[0].subjectRegExp: not a valid regular expression`.
 *
 * @example
 *   const policies = parsePolicies(await readFile("policy.yaml", "utf8"), { file: "policy.yaml" });
 *   policies[0].images.matches("ghcr.io/acme/app@sha256:…"); // true
 */
export function parsePolicies(text: string, options: ParseOptions = {}): ImagePolicy[] {
  const file = options.file;
  if (text.length > MAX_POLICY_TEXT) throw new VouchError("INPUT_TOO_LARGE", `a policy file is at most ${MAX_POLICY_TEXT} characters`, { file });
  const cel = options.cel ?? new CelCompiler();
  const documents = parseAllDocuments(text, { version: "1.2", schema: "core", strict: true, uniqueKeys: true, prettyErrors: false });
  if (!Array.isArray(documents)) {
    // parseAllDocuments returns an EmptyStream for text with no documents.
    return [];
  }
  const policies: ImagePolicy[] = [];
  const seen = new Set<string>();
  documents.forEach((doc, i) => {
    const index = i + 1;
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem !== undefined) {
      throw new VouchError("INPUT_MALFORMED", `document ${index}: invalid YAML: ${problem.message.split("\n")[0]}`, {
        file,
        line: problem.linePos?.[0]?.line,
      });
    }
    // An empty document (a trailing `---`) is skipped, as kubectl does.
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return;
    let json: unknown;
    try {
      json = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      throw new VouchError("INPUT_MALFORMED", `document ${index}: ${(err as Error).message}`, { file, cause: err });
    }
    const policy = parsePolicyDocument(json, { index, file, cel, locate: (path) => locate(doc, text, path) });
    const key = `${policy.namespace ?? ""}/${policy.name}`;
    if (seen.has(key)) {
      throw new VouchError("INPUT_MALFORMED", `document ${index}, metadata.name: a policy named "${policy.name}" is already defined${policy.namespace === undefined ? "" : ` in namespace ${policy.namespace}`}`, {
        file,
        line: locate(doc, text, ["metadata", "name"]),
      });
    }
    seen.add(key);
    policies.push(policy);
  });
  return policies;
}

interface DocumentContext {
  index: number;
  file: string | undefined;
  cel: CelCompiler;
  locate?: (path: JsonPath) => number | undefined;
}

let validateDocument: ValidateFunction | undefined;

/**
 * Parses one policy document already decoded from YAML or JSON (for callers that hold the object, such as a
 * Kubernetes custom resource). Throws like parsePolicies.
 */
export function parsePolicyDocument(json: unknown, context: { index?: number; file?: string; cel?: CelCompiler; locate?: (path: JsonPath) => number | undefined } = {}): ImagePolicy {
  const ctx: DocumentContext = { index: context.index ?? 1, file: context.file, cel: context.cel ?? new CelCompiler(), locate: context.locate };
  validateDocument ??= new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile(POLICY_SCHEMA);
  if (!validateDocument(json)) throw schemaError(validateDocument.errors ?? [], ctx);
  return narrow(json as RawPolicy, ctx);
}

// ---- the document as the schema guarantees it -------------------------------------------------------------------

interface RawGlob {
  glob: string;
}
interface RawIdentity {
  issuer?: string;
  issuerRegExp?: string;
  subject?: string;
  subjectRegExp?: string;
  extensions?: Record<string, string>;
}
interface RawAuthority {
  name?: string;
  key?: { path?: string; data?: string; pkcs11?: string; kms?: string };
  keyless?: { identities: RawIdentity[] };
  static?: "pass" | "fail";
  trustedRoot?: { path?: string; data?: string };
}
interface RawPolicy {
  apiVersion: string;
  kind: PolicyKind;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec: {
    mode?: PolicyMode;
    images: RawGlob[];
    excludeImages?: RawGlob[];
    resources?: {
      kinds?: WorkloadKind[];
      namespaces?: string[];
      excludeNamespaces?: string[];
      labelSelector?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: LabelSelector["matchExpressions"][number]["operator"]; values?: string[] }[] };
    };
    authorities: RawAuthority[];
    count?: number;
    attestations?: { name?: string; predicateType: string; conditions?: string[] }[];
    sbom?: { required?: boolean; formats?: SbomRule["formats"]; subjectIsImage?: boolean; minQualityScore?: number; deniedLicenses?: string[] };
    vulnerabilities?: { denyAtOrAbove?: VulnerabilityRule["denyAtOrAbove"]; denyKev?: boolean; onlyFixed?: boolean; useVex?: boolean };
    exceptions?: { name?: string; images?: RawGlob[]; namespaces?: string[]; reason: string; ticket?: string; approver: string; expiresAt: string }[];
    onVerificationUnavailable?: UnavailableAction;
  };
}

// ---- narrowing ----------------------------------------------------------------------------------------------------

function narrow(raw: RawPolicy, ctx: DocumentContext): ImagePolicy {
  const fail = (path: JsonPath, message: string): never => {
    throw malformed(ctx, path, message);
  };
  const { kind, metadata, spec } = raw;
  if (kind === "NamespacedImagePolicy" && metadata.namespace === undefined) fail(["metadata", "namespace"], "a NamespacedImagePolicy needs a namespace");
  if (kind === "ImagePolicy" && metadata.namespace !== undefined) {
    fail(["metadata", "namespace"], "an ImagePolicy is cluster-wide and has no namespace (use kind: NamespacedImagePolicy)");
  }
  if (kind === "NamespacedImagePolicy" && (spec.resources?.namespaces !== undefined || spec.resources?.excludeNamespaces !== undefined)) {
    fail(["spec", "resources", spec.resources?.namespaces !== undefined ? "namespaces" : "excludeNamespaces"], "a NamespacedImagePolicy applies to its own namespace only");
  }

  const images = imageMatcher(
    spec.images.map((g, i) => compileGlob(g.glob, ["spec", "images", i, "glob"], fail)),
    (spec.excludeImages ?? []).map((g, i) => compileGlob(g.glob, ["spec", "excludeImages", i, "glob"], fail)),
  );
  const resources = resourceMatcher(raw, fail);

  const names = new Set<string>();
  const authorities = spec.authorities.map((a, i) => narrowAuthority(a, ["spec", "authorities", i], names, fail));
  const count = spec.count ?? 1;
  if (count > authorities.length) fail(["spec", "count"], `${count} authorities must pass, but the policy lists ${authorities.length}`);

  const ruleNames = new Set<string>();
  const attestations: AttestationRule[] = (spec.attestations ?? []).map((a, i) => {
    const path: JsonPath = ["spec", "attestations", i];
    const predicateType = resolvePredicateType(a.predicateType) ?? fail([...path, "predicateType"], `"${a.predicateType}" is neither a predicate type URI nor a known short name`);
    const name = a.name ?? predicateType;
    if (ruleNames.has(name)) fail([...path, a.name === undefined ? "predicateType" : "name"], `a second attestation rule named "${name}" (give each a distinct name)`);
    ruleNames.add(name);
    const conditions = (a.conditions ?? []).map((expression, j) => {
      try {
        return ctx.cel.compile(expression);
      } catch (err) {
        return fail([...path, "conditions", j], (err as Error).message);
      }
    });
    return { name, predicateType, conditions };
  });

  const exceptionNames = new Set<string>();
  const exceptions: PolicyException[] = (spec.exceptions ?? []).map((e, i) => {
    const path: JsonPath = ["spec", "exceptions", i];
    const name = e.name ?? `exception-${i}`;
    if (exceptionNames.has(name)) fail([...path, "name"], `a second exception named "${name}"`);
    exceptionNames.add(name);
    if (e.images === undefined && e.namespaces === undefined) fail(path, "an exception needs a scope: images, namespaces or both");
    const exception: PolicyException = {
      name,
      images: (e.images ?? []).map((g, j) => compileGlob(g.glob, [...path, "images", j, "glob"], fail)),
      namespaces: (e.namespaces ?? []).map((n, j) => compileGlob(n, [...path, "namespaces", j], fail)),
      reason: e.reason,
      approver: e.approver,
      expiresAt: rfc3339(e.expiresAt) ?? fail([...path, "expiresAt"], `"${e.expiresAt}" is not an RFC 3339 date-time that exists`),
    };
    return e.ticket === undefined ? exception : { ...exception, ticket: e.ticket };
  });

  const policy: ImagePolicy = {
    kind,
    name: metadata.name,
    labels: { ...(metadata.labels ?? {}) },
    version: sha256Hex(canonicalJson(raw)),
    documentIndex: ctx.index,
    mode: spec.mode ?? "enforce",
    images,
    resources,
    authorities,
    count,
    attestations,
    exceptions,
    onVerificationUnavailable: spec.onVerificationUnavailable ?? "deny",
  };
  return {
    ...policy,
    ...(metadata.namespace === undefined ? {} : { namespace: metadata.namespace }),
    ...(spec.sbom === undefined ? {} : { sbom: narrowSbom(spec.sbom) }),
    ...(spec.vulnerabilities === undefined ? {} : { vulnerabilities: narrowVulnerabilities(spec.vulnerabilities) }),
  };
}

type Fail = (path: JsonPath, message: string) => never;

function narrowAuthority(a: RawAuthority, path: JsonPath, names: Set<string>, fail: Fail): Authority {
  const kinds = (["key", "keyless", "static"] as const).filter((k) => a[k] !== undefined);
  if (kinds.length !== 1) fail(path, `an authority is exactly one of key, keyless or static (found ${kinds.length === 0 ? "none" : kinds.join(" and ")})`);
  const name = a.name ?? `authority-${String(path[path.length - 1])}`;
  if (names.has(name)) fail([...path, "name"], `a second authority named "${name}"`);
  names.add(name);
  const trustedRoot: TrustedRootRef | undefined =
    a.trustedRoot === undefined ? undefined : a.trustedRoot.path !== undefined ? { source: "path", path: a.trustedRoot.path } : { source: "data", json: a.trustedRoot.data ?? "" };
  if (a.static !== undefined) {
    if (trustedRoot !== undefined) fail([...path, "trustedRoot"], "a static authority verifies nothing, so it has no trusted root");
    return { type: "static", name, result: a.static };
  }
  const withRoot = <T extends object>(x: T): T & { trustedRoot?: TrustedRootRef } => (trustedRoot === undefined ? x : { ...x, trustedRoot });
  if (a.key !== undefined) return withRoot({ type: "key" as const, name, key: keyRef(a.key, [...path, "key"], fail) });
  const identities = (a.keyless?.identities ?? []).map((id, i) => keylessIdentity(id, [...path, "keyless", "identities", i], fail));
  return withRoot({ type: "keyless" as const, name, identities });
}

function keyRef(key: NonNullable<RawAuthority["key"]>, path: JsonPath, fail: Fail): KeyRef {
  if (key.path !== undefined) return { source: "path", path: key.path };
  if (key.data !== undefined) return { source: "data", pem: key.data };
  if (key.pkcs11 !== undefined) {
    try {
      parsePkcs11Uri(key.pkcs11);
    } catch (err) {
      fail([...path, "pkcs11"], (err as Error).message);
    }
    return { source: "pkcs11", uri: key.pkcs11 };
  }
  return { source: "kms", uri: key.kms ?? "" };
}

const FULCIO_NAMES: ReadonlySet<string> = new Set(Object.keys(FULCIO_EXTENSIONS));

function keylessIdentity(id: RawIdentity, path: JsonPath, fail: Fail): KeylessIdentity {
  const extensions: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [claim, value] of Object.entries(id.extensions ?? {})) {
    const isOid = claim.startsWith(FULCIO_OID_PREFIX) && /^\d+(\.\d+)*$/.test(claim);
    if (!FULCIO_NAMES.has(claim) && !isOid) {
      fail([...path, "extensions", claim], `not a Fulcio claim: use a name (${[...FULCIO_NAMES].slice(0, 4).join(", ")}, …) or an OID under ${FULCIO_OID_PREFIX}`);
    }
    extensions[claim] = value;
  }
  const out: { -readonly [K in keyof KeylessIdentity]: KeylessIdentity[K] } = { extensions };
  if (id.issuer !== undefined) out.issuer = id.issuer;
  if (id.issuerRegExp !== undefined) out.issuerRegExp = anchoredRegExp(id.issuerRegExp, [...path, "issuerRegExp"], fail);
  if (id.subject !== undefined) out.subject = id.subject;
  if (id.subjectRegExp !== undefined) out.subjectRegExp = anchoredRegExp(id.subjectRegExp, [...path, "subjectRegExp"], fail);
  return out;
}

/**
 * `^(?:…)$`: the pattern must match the whole value. cosign matches a substring, so "example\.com" would accept
 * "evil-example.com.attacker.net"; a policy here means what it looks like.
 */
function anchoredRegExp(source: string, path: JsonPath, fail: Fail): RegExp {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (err) {
    return fail(path, `not a valid regular expression: ${(err as Error).message}`);
  }
}

const GLOB_OPTIONS = { dot: true, strictBrackets: true, nonegate: true } as const;

function compileGlob(pattern: string, path: JsonPath, fail: Fail): Glob {
  try {
    const test = picomatch(pattern, GLOB_OPTIONS);
    return { pattern, test: (value: string) => test(value) };
  } catch (err) {
    return fail(path, `not a valid glob: ${(err as Error).message}`);
  }
}

function imageMatcher(include: Glob[], exclude: Glob[]): ImageMatcher {
  return {
    include,
    exclude,
    matches: (image) => include.some((g) => g.test(image)) && !exclude.some((g) => g.test(image)),
  };
}

function resourceMatcher(raw: RawPolicy, fail: Fail): ResourceMatcher {
  const r = raw.spec.resources ?? {};
  const kinds: readonly WorkloadKind[] = r.kinds ?? WORKLOAD_KINDS;
  const own = raw.kind === "NamespacedImagePolicy" ? raw.metadata.namespace : undefined;
  const namespaces =
    own !== undefined ? [compileGlob(own, ["metadata", "namespace"], fail)] : (r.namespaces ?? []).map((n, i) => compileGlob(n, ["spec", "resources", "namespaces", i], fail));
  const excludeNamespaces = (r.excludeNamespaces ?? []).map((n, i) => compileGlob(n, ["spec", "resources", "excludeNamespaces", i], fail));
  let labelSelector: LabelSelector | undefined;
  if (r.labelSelector !== undefined) {
    const matchExpressions = (r.labelSelector.matchExpressions ?? []).map((e, i) => {
      const values = e.values ?? [];
      const setBased = e.operator === "In" || e.operator === "NotIn";
      // metav1.LabelSelectorRequirement: In/NotIn need values, Exists/DoesNotExist must have none.
      if (setBased && values.length === 0) fail(["spec", "resources", "labelSelector", "matchExpressions", i, "values"], `${e.operator} needs at least one value`);
      if (!setBased && values.length > 0) fail(["spec", "resources", "labelSelector", "matchExpressions", i, "values"], `${e.operator} takes no values`);
      return { key: e.key, operator: e.operator, values };
    });
    labelSelector = { matchLabels: { ...(r.labelSelector.matchLabels ?? {}) }, matchExpressions };
  }
  const selector = labelSelector;
  return {
    kinds,
    namespaces,
    excludeNamespaces,
    ...(selector === undefined ? {} : { labelSelector: selector }),
    matches(resource: ResourceRef): boolean {
      if (!(kinds as readonly string[]).includes(resource.kind)) return false;
      const ns = resource.namespace ?? "";
      if (namespaces.length > 0 && !namespaces.some((g) => g.test(ns))) return false;
      if (excludeNamespaces.some((g) => g.test(ns))) return false;
      return selector === undefined || labelsMatch(selector, resource.labels ?? {});
    },
  };
}

/** metav1.LabelSelector semantics (an empty selector matches everything). */
export function labelsMatch(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const has = (k: string): boolean => Object.hasOwn(labels, k);
  for (const [k, v] of Object.entries(selector.matchLabels)) if (!has(k) || labels[k] !== v) return false;
  for (const e of selector.matchExpressions) {
    const present = has(e.key);
    const value = labels[e.key];
    const ok =
      e.operator === "Exists"
        ? present
        : e.operator === "DoesNotExist"
          ? !present
          : e.operator === "In"
            ? present && e.values.includes(value ?? "")
            : !present || !e.values.includes(value ?? "");
    if (!ok) return false;
  }
  return true;
}

function narrowSbom(s: NonNullable<RawPolicy["spec"]["sbom"]>): SbomRule {
  const rule: SbomRule = {
    required: s.required ?? true,
    formats: s.formats ?? ["spdx", "cyclonedx"],
    subjectIsImage: s.subjectIsImage ?? true,
    deniedLicenses: s.deniedLicenses ?? [],
  };
  return s.minQualityScore === undefined ? rule : { ...rule, minQualityScore: s.minQualityScore };
}

function narrowVulnerabilities(v: NonNullable<RawPolicy["spec"]["vulnerabilities"]>): VulnerabilityRule {
  const rule: VulnerabilityRule = { denyKev: v.denyKev ?? false, onlyFixed: v.onlyFixed ?? false, useVex: v.useVex ?? true };
  return v.denyAtOrAbove === undefined ? rule : { ...rule, denyAtOrAbove: v.denyAtOrAbove };
}

/** An RFC 3339 date-time whose date and time exist (Date.parse would roll 2025-02-30 over to March). */
function rfc3339(text: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 60) return undefined;
  const offset = m[8] ?? "Z";
  if (offset !== "Z" && offset !== "z" && (Number(offset.slice(1, 3)) > 23 || Number(offset.slice(4, 6)) > 59)) return undefined;
  // A leap second is read as the second after it (JavaScript dates have none).
  const date = new Date(text.replace(/:60(?=[.Zz+-])/, ":59"));
  if (Number.isNaN(date.getTime())) return undefined;
  return second === 60 ? new Date(date.getTime() + 1000) : date;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
}

// ---- errors -------------------------------------------------------------------------------------------------------

function malformed(ctx: DocumentContext, path: JsonPath, message: string): VouchError {
  return new VouchError("INPUT_MALFORMED", `document ${ctx.index}, ${formatJsonPath(path)}: ${message}`, { file: ctx.file, line: ctx.locate?.(path) });
}

/** The most useful of ajv's errors: the deepest field, preferring a named unknown field or a wrong value to a summary. */
function schemaError(errors: readonly ErrorObject[], ctx: DocumentContext): VouchError {
  const ranked = errors
    .filter((e) => !["anyOf", "oneOf", "allOf", "if"].includes(e.keyword) && !e.schemaPath.includes("/anyOf/"))
    .map((e) => {
      const path: (string | number)[] = e.instancePath
        .split("/")
        .slice(1)
        .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"))
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      let message = e.message ?? e.keyword;
      if (e.keyword === "additionalProperties") {
        const extra = String((e.params as { additionalProperty: string }).additionalProperty);
        path.push(extra);
        message = "unknown field";
      } else if (e.keyword === "required") {
        path.push(String((e.params as { missingProperty: string }).missingProperty));
        message = "is required";
      } else if (e.keyword === "const" || e.keyword === "enum") {
        const allowed = e.keyword === "const" ? [(e.params as { allowedValue: unknown }).allowedValue] : (e.params as { allowedValues: unknown[] }).allowedValues;
        message = `must be ${allowed.map((v) => JSON.stringify(v)).join(" or ")}`;
      }
      return { path, message };
    })
    .sort((a, b) => b.path.length - a.path.length);
  const first = ranked[0];
  if (first === undefined) {
    // Only anyOf summaries: a keyless identity without an issuer or a subject.
    const e = errors[0];
    const path = (e?.instancePath ?? "").split("/").slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    return malformed(ctx, path, "a keyless identity needs an issuer (issuer or issuerRegExp) and a subject (subject or subjectRegExp)");
  }
  return malformed(ctx, first.path, first.message);
}

/** The 1-based line of a path in a YAML document (the key's line for a missing or unknown field's parent). */
function locate(doc: Document, text: string, path: JsonPath): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range !== undefined && node.range !== null) return lineOfOffset(text, node.range[0]);
  }
  return undefined;
}
