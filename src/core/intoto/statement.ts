import { VouchError } from "../errors.js";

/**
 * in-toto attestation Statements (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md): the
 * payload of a DSSE envelope with payloadType `application/vnd.in-toto+json`. vouch writes v1 and reads v1 and v0.1
 * (real public-good bundles from 2023 carry v0.1 statements; the layout of the fields it reads is the same).
 */

export const INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
export const STATEMENT_V1_TYPE = "https://in-toto.io/Statement/v1";
export const STATEMENT_V01_TYPE = "https://in-toto.io/Statement/v0.1";

/**
 * The `--type` short names and the predicate type URIs they stand for, as cosign's attestation.GenerateStatement
 * spells them (cosign pkg/cosign/attestation), with one deliberate difference: `slsaprovenance` means SLSA
 * Provenance v1 here (vouch issue 3), where cosign still maps it to v0.2; `slsaprovenance02` keeps v0.2.
 */
export const PREDICATE_TYPES = {
  slsaprovenance: "https://slsa.dev/provenance/v1",
  slsaprovenance1: "https://slsa.dev/provenance/v1",
  slsaprovenance02: "https://slsa.dev/provenance/v0.2",
  spdx: "https://spdx.dev/Document",
  spdxjson: "https://spdx.dev/Document",
  cyclonedx: "https://cyclonedx.org/bom",
  vuln: "https://cosign.sigstore.dev/attestation/vuln/v1",
  openvex: "https://openvex.dev/ns",
  link: "https://in-toto.io/Link/v1",
  custom: "https://cosign.sigstore.dev/attestation/v1",
} as const;

export type PredicateTypeName = keyof typeof PREDICATE_TYPES;

/** The predicate type URI for a short name or a URI (returned as given); undefined for anything else. */
export function resolvePredicateType(nameOrUri: string): string | undefined {
  if (Object.hasOwn(PREDICATE_TYPES, nameOrUri)) return PREDICATE_TYPES[nameOrUri as PredicateTypeName];
  return /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(nameOrUri) ? nameOrUri : undefined;
}

/** An artifact the statement is about: algorithm name (sha256, sha512, …) to lowercase hex digest. */
export interface Subject {
  name: string;
  digest: Record<string, string>;
}

export interface Statement {
  _type: typeof STATEMENT_V1_TYPE | typeof STATEMENT_V01_TYPE;
  subject: Subject[];
  predicateType: string;
  predicate?: Record<string, unknown>;
}

/** Hex lengths of the digests whose form vouch checks when it writes a statement. */
const HEX_LENGTHS: Readonly<Record<string, number>> = { sha1: 40, sha256: 64, sha384: 96, sha512: 128 };

/**
 * A v1 Statement. Subjects keep the caller's order; digests of known algorithms must be hex of the right length and
 * are written lowercase (the spec's DigestSet form), so the statement matches verifiers that compare exactly.
 *
 * @example
 *   buildStatement([{ name: "app.tgz", digest: { sha256: "a0cf…01bf" } }], PREDICATE_TYPES.slsaprovenance, predicate);
 */
export function buildStatement(subjects: readonly Subject[], predicateType: string, predicate?: Record<string, unknown>): Statement {
  if (subjects.length === 0) invalid("subject", "a statement needs at least one subject");
  if (predicateType === "") invalid("predicateType", "is empty");
  const subject = subjects.map((s, i) => {
    const entries = Object.entries(s.digest);
    if (entries.length === 0) invalid(`subject[${i}].digest`, "has no digest");
    const digest: Record<string, string> = {};
    for (const [algorithm, value] of entries) {
      const length = HEX_LENGTHS[algorithm];
      if (length !== undefined && !(value.length === length && /^[0-9a-fA-F]+$/.test(value))) {
        invalid(`subject[${i}].digest.${algorithm}`, `must be ${length} hex characters`);
      }
      digest[algorithm] = length === undefined ? value : value.toLowerCase();
    }
    return { name: s.name, digest };
  });
  const statement: Statement = { _type: STATEMENT_V1_TYPE, subject, predicateType };
  if (predicate !== undefined) statement.predicate = predicate;
  return statement;
}

/** The statement as the UTF-8 JSON bytes a DSSE envelope carries (fields in spec order: deterministic). */
export function encodeStatement(statement: Statement): Uint8Array {
  return Buffer.from(JSON.stringify(statement), "utf8");
}

/**
 * Parse the payload of an in-toto DSSE envelope. The payload is attacker-controlled until its signature is checked
 * (and its claims until the subject is matched): every field is type-checked, and anything but a v1 or v0.1
 * Statement is refused (INPUT_MALFORMED / INPUT_UNSUPPORTED_FORMAT naming the field).
 */
export function parseStatement(payload: Uint8Array | string): Statement {
  let document: unknown;
  try {
    const text = typeof payload === "string" ? payload : new TextDecoder("utf-8", { fatal: true }).decode(payload);
    document = JSON.parse(text);
  } catch (error) {
    throw new VouchError("INPUT_MALFORMED", `in-toto statement: not UTF-8 JSON: ${(error as Error).message}`, { cause: error });
  }
  const o = record(document, "(statement)");
  if (o._type !== STATEMENT_V1_TYPE && o._type !== STATEMENT_V01_TYPE) {
    const shown = typeof o._type === "string" ? `"${o._type.slice(0, 100)}"` : String(o._type);
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `in-toto statement: _type ${shown} is not an in-toto Statement v1 or v0.1`);
  }
  if (!Array.isArray(o.subject) || o.subject.length === 0) invalid("subject", "must be a non-empty array");
  const subject = o.subject.map((s: unknown, i) => parseSubject(s, `subject[${i}]`));
  if (typeof o.predicateType !== "string" || o.predicateType === "") invalid("predicateType", "must be a non-empty string");
  const statement: Statement = { _type: o._type, subject, predicateType: o.predicateType };
  if (o.predicate !== undefined && o.predicate !== null) statement.predicate = record(o.predicate, "predicate");
  return statement;
}

function parseSubject(value: unknown, field: string): Subject {
  const s = record(value, field);
  if (s.name !== undefined && typeof s.name !== "string") invalid(`${field}.name`, "must be a string");
  const digestObject = record(s.digest, `${field}.digest`);
  const digest: Record<string, string> = {};
  for (const [algorithm, v] of Object.entries(digestObject)) {
    if (typeof v !== "string") invalid(`${field}.digest.${algorithm}`, "must be a string");
    digest[algorithm] = v;
  }
  if (Object.keys(digest).length === 0) invalid(`${field}.digest`, "is empty");
  return { name: s.name ?? "", digest };
}

/** Bundle (protobuf HashAlgorithm) names of the in-toto digest algorithms, so either spelling can be asked for. */
const ALGORITHM_ALIASES: Readonly<Record<string, string>> = { sha2_256: "sha256", sha2_384: "sha384", sha2_512: "sha512" };

/**
 * Whether some subject of the statement has the digest `hexDigest` under `algorithm` ("sha256" or "SHA2_256", …).
 * Hex is compared without regard to case. A statement naming the artifact under another algorithm only does not
 * match: the verifier must not trust a digest it did not compute.
 */
export function statementMatchesDigest(statement: Statement, algorithm: string, hexDigest: string): boolean {
  const lower = algorithm.toLowerCase();
  const name = ALGORITHM_ALIASES[lower] ?? lower;
  const wanted = hexDigest.toLowerCase();
  if (wanted === "") return false;
  return statement.subject.some((s) => Object.hasOwn(s.digest, name) && s.digest[name]!.toLowerCase() === wanted);
}

function record(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) invalid(field, "must be an object");
  return value as Record<string, unknown>;
}

function invalid(field: string, message: string): never {
  throw new VouchError("INPUT_MALFORMED", `in-toto statement: ${field}: ${message}`);
}
