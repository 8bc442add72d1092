import parseSpdx from "spdx-expression-parse";
import correctSpdx from "spdx-correct";
import type { License } from "./types.js";

/** Values that mean "nobody said": they produce no license entry, which serializers show as NOASSERTION. */
const UNKNOWN = new Set(["", "unknown", "noassertion", "none specified", "see license", "see license file", "unlicensed"]);

const cache = new Map<string, License[]>();

/**
 * Normalise a declared license string into SPDX terms.
 *
 * Valid expressions pass through; obvious spelling variants ("Apache 2.0", "mit", "MIT/Apache-2.0") are
 * corrected; anything else is kept verbatim as a named license. Never guessed: spdx-correct would turn
 * "BSD" into "BSD-2-Clause", which claims a version the author did not state, so a correction that invents
 * a version number is refused.
 */
export function normalizeLicense(declared: string | undefined | null): License[] {
  if (declared === undefined || declared === null) return [];
  const raw = declared.trim();
  const hit = cache.get(raw);
  if (hit) return hit;
  const result = normalizeUncached(raw);
  cache.set(raw, result);
  return result;
}

/** Normalise several declared licenses (e.g. npm's legacy `licenses` array, PyPI classifiers): AND-ed. */
export function normalizeLicenses(declared: readonly string[]): License[] {
  const seen = new Map<string, License>();
  for (const d of declared) for (const l of normalizeLicense(d)) seen.set(licenseKey(l), l);
  const all = [...seen.values()];
  const expressions = all.filter((l): l is { expression: string } => "expression" in l);
  if (expressions.length > 1 && expressions.length === all.length) {
    // Several declared licenses all apply at once (npm `licenses`, PyPI classifiers list them that way).
    return [{ expression: expressions.map((e) => wrap(e.expression)).join(" AND ") }];
  }
  return all;
}

export function licenseKey(license: License): string {
  return "expression" in license ? `e:${license.expression}` : `n:${license.name}`;
}

/** True when the text parses as an SPDX license expression (ids, LicenseRef-, WITH, AND/OR). */
export function isValidSpdxExpression(text: string): boolean {
  try {
    parseSpdx(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Longer than any real license expression: such text (a whole license file pasted into a metadata field, or
 * a hostile value) is kept as a name without being parsed, so parsing cost stays bounded.
 */
const MAX_EXPRESSION_LENGTH = 512;

function normalizeUncached(raw: string): License[] {
  if (UNKNOWN.has(raw.toLowerCase())) return [];
  if (raw.length > MAX_EXPRESSION_LENGTH) return [{ name: raw }];
  const expression = toExpression(raw);
  return [expression === undefined ? { name: raw } : { expression }];
}

function toExpression(raw: string): string | undefined {
  // Lower-case operators ("MIT or Apache-2.0") are common in hand-written metadata; SPDX spells them upper-case.
  const canonical = raw.replace(/\s+(and|or|with)\s+/gi, (_m, op: string) => ` ${op.toUpperCase()} `);
  if (isValidSpdxExpression(canonical)) return canonical;
  const operators = canonical.replace(/^\((.*)\)$/s, "$1").trim();
  if (isValidSpdxExpression(operators)) return operators;
  // "MIT/Apache-2.0" (old Cargo style) and "MIT, Apache-2.0" list alternatives.
  const parts = operators.split(/\s*(?:\/|\s OR \s|,|\|)\s*/).filter((p) => p.length > 0);
  if (parts.length > 1 && !operators.includes(" AND ") && !operators.includes(" WITH ")) {
    const corrected = parts.map(correctOne);
    if (corrected.every((c): c is string => c !== undefined)) return corrected.join(" OR ");
    // An explicit alternative ("A/B", "A | B") whose parts are not all licenses is not one license either.
    if (/[/|]|\sOR\s/.test(operators)) return undefined;
    // A comma inside one license's name: "Apache License, Version 2.0".
  }
  return correctOne(operators);
}

function correctOne(text: string): string | undefined {
  if (isValidSpdxExpression(text)) return text;
  const corrected = correctSpdx(text, { upgrade: true });
  if (corrected === null || !isValidSpdxExpression(corrected)) return undefined;
  return addsNoVersion(text, corrected) ? corrected : undefined;
}

/** The correction must not claim a version the declared text did not state ("BSD" -> "BSD-2-Clause" is refused). */
function addsNoVersion(declared: string, corrected: string): boolean {
  const declaredNumber = /\d+/.exec(declared)?.[0];
  const correctedNumber = /\d+/.exec(corrected)?.[0];
  if (correctedNumber === undefined) return true;
  return declaredNumber === correctedNumber;
}

function wrap(expression: string): string {
  return /\s(OR|AND)\s/.test(expression) ? `(${expression})` : expression;
}
