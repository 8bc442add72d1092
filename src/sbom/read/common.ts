import { isValidSpdxExpression, licenseKey, normalizeLicense } from "../model/license.js";
import { parsePurl, type ParsedPurl } from "../model/purl.js";
import type { Component, Dependency, Ecosystem, License, Tool } from "../model/types.js";
import type { LicenseText, PurlState } from "./types.js";

/** Pieces both readers share: licence and purl facts, tool strings, timestamps, bom-refs and the dependency graph. */

export interface LicenseReading {
  licenses: License[];
  texts: LicenseText[];
  noAssertion: boolean;
  none: boolean;
}

/**
 * Declared licence strings to the model's normalised licences plus the raw facts. NOASSERTION and NONE are SPDX's
 * "nobody said" and "no licence": neither becomes a licence entry, and each only counts when nothing else was
 * declared (a package with licenseDeclared MIT and licenseConcluded NOASSERTION has a licence).
 */
export function readLicenses(declared: readonly string[]): LicenseReading {
  const texts: LicenseText[] = [];
  const byKey = new Map<string, License>();
  let noAssertion = false;
  let none = false;
  for (const raw of declared) {
    const text = raw.trim();
    const upper = text.toUpperCase();
    if (text === "") continue;
    if (upper === "NOASSERTION") noAssertion = true;
    else if (upper === "NONE") none = true;
    else {
      const validSpdx = isValidSpdxExpression(text);
      const licenses = normalize(text, validSpdx);
      // "UNKNOWN", "see license file"...: normalizeLicense finds no licence in them, and neither does the report.
      if (licenses.length > 0) texts.push({ text, validSpdx });
      for (const license of licenses) byKey.set(licenseKey(license), license);
    }
  }
  const known = texts.length > 0;
  return { licenses: [...byKey.values()], texts, noAssertion: noAssertion && !known, none: none && !known };
}

/**
 * Longest licence text given to normalizeLicense. Its spelling fixes use regular expressions that take time
 * quadratic in the length of whitespace runs (a 50 kB licence name took 37 s); no real licence expression comes
 * near this (the longest among the 25 real SBOMs is under 100 characters). Longer text is kept as written.
 */
const NORMALIZE_LIMIT = 1024;

function normalize(text: string, validSpdx: boolean): License[] {
  if (validSpdx) return [{ expression: text }];
  if (text.length > NORMALIZE_LIMIT) return [{ name: text }];
  // Runs of whitespace collapsed first: the same quadratic patterns, and no meaning in them.
  const found = normalizeLicense(text.replace(/\s+/g, " "));
  return found.map((l) => ("name" in l ? { name: text } : l));
}

export interface PurlReading {
  state: PurlState;
  text?: string;
  parsed?: ParsedPurl;
}

/** The first valid purl among the candidates; else the first invalid one (so the report can show it). */
export function readPurl(candidates: readonly string[]): PurlReading {
  let invalid: string | undefined;
  for (const text of candidates) {
    const parsed = parsePurl(text);
    if (parsed && text.startsWith("pkg:") && !hasEncodedVersion(parsed)) return { state: "valid", text, parsed };
    invalid ??= text;
  }
  return invalid === undefined ? { state: "absent" } : { state: "invalid", text: invalid };
}

/**
 * "pkg:nuget/AutoMapper%4010.1.1" parses, but as a versionless package named "AutoMapper@10.1.1": the version
 * separator was percent-encoded (Microsoft sbom-tool 0.2.7 writes every purl so). It matches no advisory and no
 * registry, so it counts as invalid. A leading "@" is an npm scope ("pkg:npm/%40scope%2Fname"), not a version.
 */
function hasEncodedVersion(purl: ParsedPurl): boolean {
  return purl.version === undefined && /^.+@[^/@]+$/.test(purl.name);
}

/** A Map, not an object literal: a purl type of "constructor" must not find Object.prototype's. */
const ECOSYSTEM_OF_PURL_TYPE: ReadonlyMap<string, Ecosystem> = new Map<string, Ecosystem>([
  ["npm", "npm"],
  ["pypi", "pypi"],
  ["golang", "golang"],
  ["cargo", "cargo"],
  ["maven", "maven"],
  ["gem", "gem"],
  ["composer", "composer"],
  ["nuget", "nuget"],
  ["deb", "deb"],
  ["apk", "apk"],
  ["rpm", "rpm"],
]);

export function ecosystemOf(purl: ParsedPurl | undefined): Ecosystem {
  return (purl && ECOSYSTEM_OF_PURL_TYPE.get(purl.type)) ?? "generic";
}

/** Longest creator, supplier or tool text that gets split into parts: the patterns below backtrack quadratically. */
const SPLIT_LIMIT = 256;

/**
 * "syft-0.33.0", "ko 0.12.0", "apko (v0.8.0-53-gfaa1b37)", "Microsoft.SBOMTool-2.0.88", "tern-b8e13d17..." (a commit):
 * SPDX creators put a tool's name and version in one string, separated as each tool likes.
 */
export function splitToolText(text: string): Tool {
  if (text.length > SPLIT_LIMIT) return { name: text, version: "" };
  const paren = /^(.*?)\s*\(([^()]*)\)$/.exec(text);
  if (paren && paren[1] !== "" && paren[2]!.trim() !== "") return { name: paren[1]!, version: paren[2]!.trim() };
  const versioned = /^(.*?)[\s-]+(v?\d[\w.+~-]*|[0-9a-f]{7,40})$/.exec(text);
  if (versioned && versioned[1] !== "") return { name: versioned[1]!, version: versioned[2]! };
  return { name: text, version: "" };
}

/** "Organization: Anchore, Inc (email@x)" -> kind and name without the contact in brackets. */
export function splitCreatorText(text: string): { kind: "person" | "organization" | "tool" | "other"; name: string } {
  const match = /^(Person|Organization|Tool)\s*:\s*(.*)$/i.exec(text);
  if (!match) return { kind: "other", name: stripContact(text) };
  const kind = match[1]!.toLowerCase() as "person" | "organization" | "tool";
  return { kind, name: kind === "tool" ? match[2]!.trim() : stripContact(match[2]!) };
}

export function stripContact(text: string): string {
  if (text.length > SPLIT_LIMIT) return text.trim();
  return text.replace(/\s*\([^()]*\)\s*$/, "").trim();
}

/** RFC 3339 date-time (what both specs require): a date alone, or a local time without offset, is not one. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** The model's form (whole seconds, UTC) of a valid timestamp; "" when there is none or it is not RFC 3339. */
export function readTimestamp(raw: string | undefined): { valid: boolean; iso: string } {
  if (raw === undefined || !RFC3339.test(raw)) return { valid: false, iso: "" };
  const time = Date.parse(raw.replace(" ", "T"));
  if (Number.isNaN(time)) return { valid: false, iso: "" };
  return { valid: true, iso: new Date(Math.floor(time / 1000) * 1000).toISOString().replace(".000Z", "Z") };
}

/** Gives every component a unique bomRef: the one the document states when it is free, else a derived one. */
export class RefAllocator {
  private readonly used = new Set<string>();

  /** True when `ref` is already taken (a duplicate in the source document). */
  has(ref: string): boolean {
    return this.used.has(ref);
  }

  claim(preferred: string | undefined, fallback: string): string {
    const base = preferred !== undefined && preferred !== "" && !this.used.has(preferred) ? preferred : fallback;
    let ref = base;
    for (let n = 2; this.used.has(ref); n++) ref = `${base}#${n}`;
    this.used.add(ref);
    return ref;
  }
}

/** Dependency edges between known components, deduplicated; self-edges are dropped. */
export class DependencyGraph {
  private readonly edges = new Map<string, Set<string>>();

  add(from: string, to: string): void {
    if (from === to) return;
    let targets = this.edges.get(from);
    if (!targets) this.edges.set(from, (targets = new Set()));
    targets.add(to);
  }

  edgeCount(): number {
    let n = 0;
    for (const targets of this.edges.values()) n += targets.size;
    return n;
  }

  dependsOn(ref: string): number {
    return this.edges.get(ref)?.size ?? 0;
  }

  /** The model's form: sorted by ref, each list sorted, with an entry for the root even when it has no edges. */
  toDependencies(rootRef: string): Dependency[] {
    const refs = new Set([...this.edges.keys(), rootRef]);
    return [...refs].sort(compareStrings).map((ref) => ({ ref, dependsOn: [...(this.edges.get(ref) ?? [])].sort(compareStrings) }));
  }
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A component with the model's defaults for everything the source did not say (keys in the model's order). */
export function newComponent(fields: Pick<Component, "bomRef" | "name"> & Partial<Component>): Component {
  const { bomRef, name, ...rest } = fields;
  return {
    bomRef,
    type: "library",
    ecosystem: "generic",
    name,
    version: "",
    licenses: [],
    hashes: [],
    scope: "required",
    externalRefs: [],
    foundIn: [],
    properties: [],
    ...rest,
  };
}
