import { VouchError } from "../../core/errors.js";
import { cvss3Score } from "./cvss3.js";
import { cvss4Score } from "./cvss4.js";

export { cvss3Score, roundup30, roundup31, type Cvss3Score, type Cvss3Version } from "./cvss3.js";
export { cvss4Score, type Cvss4Score } from "./cvss4.js";

/**
 * Severity of an advisory from its OSV `severity[]` entries: each CVSS vector is parsed strictly and scored by
 * vouch (a number field, where a source has one, is never trusted), and the worst entry decides.
 */

/** The qualitative rating of CVSS v3.1 section 5 and v4.0 section 6 (the same scale). */
export type SeverityBucket = "none" | "low" | "medium" | "high" | "critical";

/** Buckets from least to most severe, for ranking and for gates like --fail-on. */
export const SEVERITY_BUCKETS: readonly SeverityBucket[] = ["none", "low", "medium", "high", "critical"];

/**
 * None 0.0, Low 0.1-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical 9.0-10.0. Scores are on a one-decimal grid, so
 * the bands are read as half-open intervals ([4.0, 7.0) is Medium); a number outside [0, 10] or not a number throws
 * INPUT_MALFORMED.
 */
export function severityBucket(score: number): SeverityBucket {
  if (!Number.isFinite(score) || score < 0 || score > 10) {
    throw new VouchError("INPUT_MALFORMED", `a CVSS score must be between 0.0 and 10.0, got ${score}`);
  }
  if (score === 0) return "none";
  if (score < 4) return "low";
  if (score < 7) return "medium";
  if (score < 9) return "high";
  return "critical";
}

/** One entry of an OSV record's `severity` (or `affected[].severity`) array. */
export interface OsvSeverityEntry {
  /** CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu, … (OSV schema 1.x). */
  readonly type: string;
  /** For the CVSS types, the vector string. */
  readonly score: string;
}

export interface ScoredSeverity {
  readonly type: "CVSS_V3" | "CVSS_V4";
  /** The vector as the advisory wrote it. */
  readonly vector: string;
  readonly version: "3.0" | "3.1" | "4.0";
  /**
   * The score vouch ranks by: for v3.x the Base Score (what NVD and advisories publish; the Temporal and
   * Environmental scores are in cvss3Score's result); for v4.0 the score of every metric the vector defines
   * (CVSS-B, -BT, -BE or -BTE, as the v4.0 specification scores it).
   */
  readonly score: number;
  readonly bucket: SeverityBucket;
}

/**
 * Score one OSV severity entry. Throws INPUT_MALFORMED for a vector that does not parse or does not match its
 * type (a CVSS_V3 entry must hold CVSS:3.0/ or CVSS:3.1/, a CVSS_V4 entry CVSS:4.0/), and INPUT_UNSUPPORTED_FORMAT
 * for a type vouch does not score (CVSS_V2, Ubuntu, anything newer).
 */
export function scoreSeverity(entry: OsvSeverityEntry): ScoredSeverity {
  const id = `${entry.type}\u0000${entry.score}`;
  const known = scored.get(id);
  if (known !== undefined) return known;
  const result = scoreUncached(entry);
  // A scan scores the same few thousand vectors over and over (one per finding, tens of thousands per fleet).
  if (scored.size >= SCORED_LIMIT) scored.clear();
  scored.set(id, result);
  return result;
}

const SCORED_LIMIT = 50_000;
const scored = new Map<string, ScoredSeverity>();

function scoreUncached(entry: OsvSeverityEntry): ScoredSeverity {
  const { type, score: vector } = entry;
  if (typeof vector !== "string") {
    throw new VouchError("INPUT_MALFORMED", `severity entry of type ${String(type)}: score must be a vector string`);
  }
  if (type === "CVSS_V3") {
    const result = cvss3Score(vector);
    return { type, vector, version: result.version, score: result.baseScore, bucket: severityBucket(result.baseScore) };
  }
  if (type === "CVSS_V4") {
    const result = cvss4Score(vector);
    return { type, vector, version: "4.0", score: result.score, bucket: severityBucket(result.score) };
  }
  throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `severity type ${JSON.stringify(type)} is not scored by vouch`);
}

export interface WorstSeverity {
  /** The highest-scoring entry; undefined when no entry could be scored. */
  readonly worst: ScoredSeverity | undefined;
  /** Every entry that was scored, in input order. */
  readonly scored: readonly ScoredSeverity[];
  /** Entries left out, each with the coded error that says why (malformed vector, unsupported type). */
  readonly skipped: readonly { readonly entry: OsvSeverityEntry; readonly error: VouchError }[];
}

/**
 * The worst severity across an advisory's entries (several sources, v3 and v4 side by side): the highest score;
 * on a tie the newer CVSS version, then the earlier entry. One bad entry does not hide the others: it is reported
 * in `skipped` and the rest still decide.
 *
 * @example
 *   worstSeverity([
 *     { type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }, // 9.8
 *     { type: "CVSS_V4", score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N" }, // 9.3
 *   ]).worst?.score // 9.8
 */
export function worstSeverity(entries: readonly OsvSeverityEntry[]): WorstSeverity {
  const scored: ScoredSeverity[] = [];
  const skipped: { entry: OsvSeverityEntry; error: VouchError }[] = [];
  for (const entry of entries) {
    try {
      scored.push(scoreSeverity(entry));
    } catch (error) {
      if (!(error instanceof VouchError)) throw error;
      skipped.push({ entry, error });
    }
  }
  let worst: ScoredSeverity | undefined;
  for (const candidate of scored) {
    if (worst === undefined || candidate.score > worst.score) worst = candidate;
    else if (candidate.score === worst.score && candidate.version > worst.version) worst = candidate;
  }
  return { worst, scored, skipped };
}
