import { createHash } from "node:crypto";
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { basename } from "node:path";
import { readCiBuild, sourceDateEpoch, type Env } from "../attest/ci-env.js";
import { buildProvenance, sbomByproduct, sbomMediaType, type SlsaProvenanceV1 } from "../attest/provenance.js";
import type { Bundle } from "../bundle/types.js";
import { readGitInfo } from "../catalog/sources/git.js";
import { parseJsonText } from "../core/encoding/json-text.js";
import { VouchError } from "../core/errors.js";
import { buildStatement, encodeStatement, INTOTO_PAYLOAD_TYPE, PREDICATE_TYPES, resolvePredicateType, type Statement, type Subject } from "../core/intoto/statement.js";
import { dsseBundle } from "../sign/bundle-builder.js";
import { signDsse } from "../sign/dsse.js";
import { bundleToJson, certificateIdentity, openSigningSession, type CertificateIdentity, type SignerOptions } from "./sign.js";

export interface AttestOptions extends SignerOptions {
  /** A short name (slsaprovenance, spdx, cyclonedx, vuln, openvex, custom, …) or any predicate type URI. */
  type: string;
  /** The predicate, already parsed; or `predicatePath`, a JSON file. */
  predicate?: Record<string, unknown>;
  predicatePath?: string;
}

export interface Attestation {
  bundle: Bundle;
  bundleJson: string;
  statement: Statement;
  predicateType: string;
  /** For a keyless attestation: who the certificate names. */
  identity?: CertificateIdentity;
}

/**
 * Attest subject files: an in-toto Statement v1 (each subject's file name and sha256) carrying the predicate, in a
 * DSSE envelope (payloadType application/vnd.in-toto+json, signature over PAE), in a bundle v0.3.
 *
 * @example
 *   const { bundleJson } = await attestFiles(["dist/app.tgz"], { type: "slsaprovenance", predicatePath: "provenance.json", key: "cosign.key" });
 *   await attestFiles(["dist/app.tgz"], { type: "slsaprovenance", predicatePath: "provenance.json", keyless: { signingConfig: "signing_config.json" } });
 */
export async function attestFiles(subjectPaths: readonly string[], options: AttestOptions): Promise<Attestation> {
  const predicateType = predicateTypeOf(options.type);
  const predicate = options.predicate ?? (options.predicatePath !== undefined ? readPredicate(options.predicatePath) : undefined);
  if (predicate === undefined) throw new VouchError("INPUT_USAGE", "a predicate is needed: --predicate FILE");
  checkPredicateShape(predicateType, predicate, options.predicatePath);
  const statement = buildStatement(subjectsOf(subjectPaths), predicateType, predicate);
  const session = await openSigningSession(options);
  const { envelope, material } = await signDsse(session.signer, INTOTO_PAYLOAD_TYPE, encodeStatement(statement));
  const bundle = await session.witness(dsseBundle(envelope, material), material);
  const identity = certificateIdentity(material);
  return { bundle, bundleJson: bundleToJson(bundle), statement, predicateType, ...(identity ? { identity } : {}) };
}

/** The unsigned in-toto Statement v1 over subject files (their names and sha256): `vouch provenance --statement`. */
export function statementForFiles(subjectPaths: readonly string[], type: string, predicate: Record<string, unknown>): Statement {
  return buildStatement(subjectsOf(subjectPaths), predicateTypeOf(type), predicate);
}

/** The predicate type URI for --type, or INPUT_USAGE listing the short names. */
export function predicateTypeOf(type: string): string {
  const uri = resolvePredicateType(type.trim());
  if (uri === undefined) {
    throw new VouchError("INPUT_USAGE", `unknown predicate type "${type}": use one of ${Object.keys(PREDICATE_TYPES).join(", ")}, or a URI`);
  }
  return uri;
}

/**
 * Subjects named by file name (as cosign attest-blob and actions/attest do) with their sha256. Two different files
 * under one name would make the statement ambiguous to a verifier matching by name: refused.
 */
function subjectsOf(paths: readonly string[]): Subject[] {
  if (paths.length === 0) throw new VouchError("INPUT_USAGE", "at least one subject file is needed");
  const byName = new Map<string, Subject>();
  for (const path of paths) {
    const subject: Subject = { name: basename(path), digest: { sha256: sha256File(path) } };
    const seen = byName.get(subject.name);
    if (seen && seen.digest.sha256 !== subject.digest.sha256) {
      throw new VouchError("INPUT_USAGE", `two different subjects are named "${subject.name}": attest them separately`, { file: path });
    }
    byName.set(subject.name, subject);
  }
  return [...byName.values()];
}

/** Hex SHA-256 of a file, read in chunks (subjects can be large images or archives). */
function sha256File(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw fileError(path, err);
  }
  try {
    const hash = createHash("sha256");
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
    }
    return hash.digest("hex");
  } catch (err) {
    throw fileError(path, err);
  } finally {
    closeSync(fd);
  }
}

function fileError(path: string, err: unknown): VouchError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "EISDIR") return new VouchError("INPUT_USAGE", "is a directory, not a file", { file: path });
  return new VouchError(code === "ENOENT" ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE", code === "ENOENT" ? "no such file" : `cannot read (${code ?? "error"})`, { file: path });
}

/** A predicate file: one JSON object. */
export function readPredicate(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw fileError(path, err);
  }
  const value = parseJsonText(text, path);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new VouchError("INPUT_MALFORMED", "a predicate must be a JSON object", { file: path });
  }
  return value as Record<string, unknown>;
}

/**
 * Refuse a predicate that is plainly not what --type says (a CycloneDX BOM attested as SLSA provenance, say):
 * verifiers and policy engines read the predicate by its type, so a mismatch would only fail later and further away.
 */
export function checkPredicateShape(predicateType: string, predicate: Record<string, unknown>, file: string | undefined): void {
  const at = (path: string[]): unknown => path.reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), predicate);
  const need = (ok: boolean, what: string): void => {
    if (!ok) throw new VouchError("INPUT_MALFORMED", `the predicate is not ${what}`, { file });
  };
  switch (predicateType) {
    case PREDICATE_TYPES.slsaprovenance:
      need(typeof at(["buildDefinition", "buildType"]) === "string" && typeof at(["runDetails", "builder", "id"]) === "string", "SLSA Provenance v1 (buildDefinition.buildType and runDetails.builder.id are required)");
      break;
    case PREDICATE_TYPES.slsaprovenance02:
      need(typeof at(["buildType"]) === "string" && typeof at(["builder", "id"]) === "string", "SLSA Provenance v0.2 (buildType and builder.id are required)");
      break;
    case PREDICATE_TYPES.cyclonedx:
      need(at(["bomFormat"]) === "CycloneDX", 'a CycloneDX BOM (bomFormat "CycloneDX")');
      break;
    case PREDICATE_TYPES.spdx:
      need(typeof at(["spdxVersion"]) === "string", "an SPDX JSON document (spdxVersion)");
      break;
    case PREDICATE_TYPES.openvex:
      need(typeof at(["@context"]) === "string" && (at(["@context"]) as string).startsWith("https://openvex.dev/ns"), "an OpenVEX document (@context https://openvex.dev/ns…)");
      break;
    default:
      break;
  }
}

export interface ProvenanceOptions {
  /** Environment with the CI variables and SOURCE_DATE_EPOCH (default: process.env). */
  env?: Env;
  /** Clock for finishedOn (default: now); SOURCE_DATE_EPOCH wins when set. */
  now?: () => Date;
  /** An SBOM the build produced: named in runDetails.byproducts with its sha256 and media type. */
  sbomPath?: string;
  /** The checkout read for a build outside CI (default: the working directory). */
  cwd?: string;
  builderId?: string;
  startedOn?: Date;
}

/**
 * `vouch provenance`: a SLSA Provenance v1 predicate for the current build, from the CI environment (GitHub Actions,
 * GitLab CI) or the git checkout, linking the SBOM when one is given.
 *
 * @example
 *   const predicate = generateProvenance({ sbomPath: "sbom.cdx.json" });
 */
export function generateProvenance(options: ProvenanceOptions = {}): SlsaProvenanceV1 {
  const env = options.env ?? process.env;
  const finishedOn = sourceDateEpoch(env) ?? (options.now ?? (() => new Date()))();
  const byproducts = [];
  if (options.sbomPath !== undefined) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(options.sbomPath);
    } catch (err) {
      throw fileError(options.sbomPath, err);
    }
    byproducts.push(sbomByproduct(basename(options.sbomPath), createHash("sha256").update(bytes).digest("hex"), sbomMediaType(bytes.toString("utf8"))));
  }
  // Outside CI the checkout is all there is to say where the source came from.
  const git = readCiBuild(env) === undefined ? readGitInfo(options.cwd ?? ".") : undefined;
  return buildProvenance({ env, finishedOn, startedOn: options.startedOn, builderId: options.builderId, byproducts, ...(git ? { git } : {}) });
}
