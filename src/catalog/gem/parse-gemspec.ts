import { posix } from "node:path";
import { VouchError } from "../../core/errors.js";
import { buildPurl } from "../../sbom/model/purl.js";
import type { ExternalRef, Property } from "../../sbom/model/types.js";
import type { Cataloger, CatalogContext, PackageRecord, ParseResult, SourceFile } from "../types.js";

/**
 * Installed gems: the `specifications/*.gemspec` files RubyGems writes for every installed gem
 * (`Gem::Specification#to_ruby`), under a gem home such as usr/lib/ruby/gems/3.1.0/, usr/local/bundle/,
 * var/lib/gems/3.1.0/ or usr/share/rubygems-integration/all/, and `specifications/default/` for the gems Ruby
 * ships. The file is Ruby, but generated: one `s.field = value` assignment per line with string literals and
 * arrays of them. It is read with patterns for that shape, as syft's gemspec cataloger does; nothing is evaluated,
 * and a value written as Ruby code (a constant, a method call) is simply not read.
 *
 * Runtime dependencies (`add_runtime_dependency`/`add_dependency`) become edges to gems installed in the same
 * specifications folder (the highest installed version, which is what RubyGems activates when nothing else pins).
 */

export const DEFAULT_GEM_PROPERTY = "vouch:gem:default";
export const PLATFORM_PROPERTY = "vouch:gem:platform";

export const gemspecCataloger: Cataloger = {
  name: "gem-installed-gemspec",
  ecosystem: "gem",
  matches: isInstalledGemspec,
  parse: parseGemspec,
};

export function isInstalledGemspec(path: string): boolean {
  return /(^|\/)specifications\/(default\/)?[^/]+\.gemspec$/.test(path);
}

export interface Gemspec {
  name: string;
  version: string;
  platform?: string;
  licenses: string[];
  authors: string[];
  summary?: string;
  homepage?: string;
  metadata: Record<string, string>;
  runtimeDependencies: string[];
}

export function parseGemspec(file: SourceFile, ctx: CatalogContext): ParseResult {
  const spec = readGemspec(file.text);
  const pkg = gemRecord(spec);
  if (/(^|\/)specifications\/default\/[^/]+$/.test(file.path)) (pkg.properties ??= []).push({ name: DEFAULT_GEM_PROPERTY, value: "true" });

  const packages = [pkg];
  if (spec.runtimeDependencies.length > 0) {
    const installed = new InstalledGems(ctx, posix.dirname(file.path));
    for (const dep of spec.runtimeDependencies) {
      const target = installed.highest(dep);
      if (!target || target.id === pkg.id) continue;
      if (!packages.some((p) => p.id === target.id)) packages.push(target);
      if (!pkg.dependsOn.includes(target.id)) pkg.dependsOn.push(target.id);
    }
  }
  return { directDependencies: [pkg.id], packages };
}

/** The fields vouch reports, from the text of a generated gemspec. */
export function readGemspec(text: string): Gemspec {
  const spec: Partial<Gemspec> & { licenses: string[]; authors: string[]; metadata: Record<string, string>; runtimeDependencies: string[] } = {
    licenses: [],
    authors: [],
    metadata: {},
    runtimeDependencies: [],
  };
  let stubPlatform: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    // "# stub: nokogiri 1.15.4 x86_64-linux lib": RubyGems' own summary line of the spec.
    const stub = /^# stub: (\S+) (\S+) (\S+)/.exec(line);
    if (stub) stubPlatform = stub[3];
    const assign = /^\s*\w+\.(name|version|platform|license|licenses|authors|author|summary|homepage|metadata)\s*=\s*(.+?)\s*(?:if\s+\w+\.respond_to\?.*)?$/.exec(line);
    if (assign) {
      const [, field, rhs] = assign as unknown as [string, string, string];
      switch (field) {
        case "name":
          spec.name ??= stringValue(rhs);
          break;
        case "version":
          spec.version ??= stringValue(rhs.replace(/^Gem::Version\.new\((.*)\)$/, "$1"));
          break;
        case "platform":
          spec.platform ??= stringValue(rhs);
          break;
        case "license":
        case "licenses":
          for (const v of listValue(rhs)) if (!spec.licenses.includes(v)) spec.licenses.push(v);
          break;
        case "author":
        case "authors":
          for (const v of listValue(rhs)) if (!spec.authors.includes(v)) spec.authors.push(v);
          break;
        case "summary":
          spec.summary ??= stringValue(rhs);
          break;
        case "homepage":
          spec.homepage ??= stringValue(rhs);
          break;
        case "metadata":
          Object.assign(spec.metadata, hashValue(rhs));
          break;
      }
      continue;
    }
    const dep = /^\s*\w+\.add_(runtime_)?dependency\s*\(?\s*(.+)$/.exec(line);
    if (dep) {
      const name = firstString(dep[2]!);
      if (name && isGemName(name) && !spec.runtimeDependencies.includes(name)) spec.runtimeDependencies.push(name);
    }
  }
  if (!spec.name || !spec.version) throw new VouchError("INPUT_MALFORMED", "gemspec without a literal name and version", { line: 1 });
  if (!isGemName(spec.name)) throw new VouchError("INPUT_MALFORMED", `gemspec name ${JSON.stringify(spec.name)} is not a valid gem name`, { line: 1 });
  if (!/^[0-9A-Za-z.+-]+$/.test(spec.version)) throw new VouchError("INPUT_MALFORMED", `gemspec version ${JSON.stringify(spec.version)} is not a gem version`, { line: 1 });
  const platform = spec.platform ?? stubPlatform;
  return {
    name: spec.name,
    version: spec.version,
    ...(platform && platform !== "ruby" && /^[\w.-]+$/.test(platform) ? { platform } : {}),
    licenses: spec.licenses,
    authors: spec.authors,
    ...(spec.summary ? { summary: spec.summary } : {}),
    ...(spec.homepage ? { homepage: spec.homepage } : {}),
    metadata: spec.metadata,
    runtimeDependencies: spec.runtimeDependencies,
  };
}

function isGemName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name);
}

// ---- Ruby literals ----

/** One string literal, optionally `.freeze`d: "…", '…', %q<…>, %q{…}, %q(…), %q[…], %Q…, %(…). */
export function stringValue(rhs: string): string | undefined {
  const lit = readString(rhs.trim(), 0);
  if (!lit) return undefined;
  const rest = rhs.trim().slice(lit.end).replace(/^\.freeze\b/, "").trim();
  return rest === "" ? lit.value : undefined;
}

/** An array of string literals (`["a".freeze, "b"]`), or one string literal. Non-literal elements are skipped. */
export function listValue(rhs: string): string[] {
  const s = rhs.trim();
  if (!s.startsWith("[")) {
    const v = stringValue(s);
    return v === undefined ? [] : [v];
  }
  const out: string[] = [];
  let i = 1;
  while (i < s.length) {
    const ch = s[i]!;
    if (ch === "]") break;
    if (/[\s,]/.test(ch)) {
      i++;
      continue;
    }
    const lit = readString(s, i);
    if (!lit) {
      // Not a literal (a constant, a call): skip to the next comma at this level.
      const next = s.indexOf(",", i);
      if (next < 0) break;
      i = next + 1;
      continue;
    }
    out.push(lit.value);
    i = lit.end;
    if (s.startsWith(".freeze", i)) i += ".freeze".length;
  }
  return out;
}

/** `{ "key" => "value", … }` with literal keys and values (the metadata hash). */
function hashValue(rhs: string): Record<string, string> {
  const out: Record<string, string> = {};
  const s = rhs.trim();
  if (!s.startsWith("{")) return out;
  let i = 1;
  while (i < s.length) {
    while (i < s.length && /[\s,]/.test(s[i]!)) i++;
    const key = readString(s, i);
    if (!key) break;
    i = key.end;
    if (s.startsWith(".freeze", i)) i += ".freeze".length;
    const arrow = /^\s*=>\s*/.exec(s.slice(i));
    if (!arrow) break;
    i += arrow[0].length;
    const value = readString(s, i);
    if (!value) break;
    i = value.end;
    if (s.startsWith(".freeze", i)) i += ".freeze".length;
    if (key.value !== "__proto__") out[key.value] = value.value;
  }
  return out;
}

function firstString(s: string): string | undefined {
  return readString(s.trim(), 0)?.value;
}

const PAIRS: Record<string, string> = { "<": ">", "{": "}", "(": ")", "[": "]" };

function readString(s: string, at: number): { value: string; end: number } | undefined {
  const ch = s[at];
  if (ch === '"' || ch === "'") {
    let value = "";
    for (let i = at + 1; i < s.length; i++) {
      const c = s[i]!;
      if (c === ch) return { value, end: i + 1 };
      if (c === "\\" && i + 1 < s.length) {
        const e = s[++i]!;
        if (ch === "'") value += e === "'" || e === "\\" ? e : `\\${e}`;
        else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(s.slice(i + 1, i + 5))) {
          value += String.fromCharCode(parseInt(s.slice(i + 1, i + 5), 16));
          i += 4;
        } else value += ({ n: "\n", t: "\t", r: "\r", e: "\x1b", s: " ", "0": "\0" } as Record<string, string>)[e] ?? e;
        continue;
      }
      if (ch === '"' && c === "#" && s[i + 1] === "{") return undefined; // interpolation: Ruby code, not a literal
      value += c;
    }
    return undefined;
  }
  const pct = /^%[qQ]?([<{([])/.exec(s.slice(at));
  if (pct) {
    const open = pct[1]!;
    const close = PAIRS[open]!;
    let depth = 1;
    for (let i = at + pct[0].length; i < s.length; i++) {
      if (s[i] === "\\") {
        i++;
        continue;
      }
      if (s[i] === open) depth++;
      else if (s[i] === close && --depth === 0) return { value: s.slice(at + pct[0].length, i), end: i + 1 };
    }
  }
  return undefined;
}

// ---- records ----

function gemPurl(name: string, version: string, platform?: string): string {
  return buildPurl("gem", { name, version, qualifiers: platform ? { platform } : undefined });
}

function gemRecord(spec: Gemspec): PackageRecord {
  const purl = gemPurl(spec.name, spec.version, spec.platform);
  const properties: Property[] = [];
  if (spec.platform) properties.push({ name: PLATFORM_PROPERTY, value: spec.platform });
  const refs: ExternalRef[] = [];
  const addRef = (type: ExternalRef["type"], url: string | undefined) => {
    if (url && /^https?:\/\//.test(url) && !refs.some((r) => r.type === type && r.url === url)) refs.push({ type, url });
  };
  addRef("website", spec.homepage);
  addRef("vcs", spec.metadata["source_code_uri"]);
  addRef("issue-tracker", spec.metadata["bug_tracker_uri"]);
  const pkg: PackageRecord = {
    id: purl,
    ecosystem: "gem",
    name: spec.name,
    version: spec.version,
    purl,
    hashes: [],
    scope: "required",
    dependsOn: [],
  };
  if (spec.licenses.length === 1) pkg.licenseDeclared = spec.licenses[0];
  else if (spec.licenses.length > 1) pkg.licenseDeclared = spec.licenses;
  if (spec.authors.length > 0) pkg.author = spec.authors.join(", ");
  if (spec.summary) pkg.description = spec.summary;
  if (refs.length > 0) pkg.externalRefs = refs;
  if (properties.length > 0) pkg.properties = properties;
  return pkg;
}

/**
 * The gems installed beside one (the same specifications folder, and its default/ subfolder or parent): found by
 * file name, named and versioned by their own gemspec so an edge always points at the real component.
 */
class InstalledGems {
  private index?: Map<string, string[]>;

  constructor(
    private readonly ctx: CatalogContext,
    private readonly dir: string,
  ) {}

  highest(name: string): PackageRecord | undefined {
    let best: { spec: Gemspec; key: number[] } | undefined;
    for (const path of this.entries().get(name) ?? []) {
      const text = this.ctx.readFile(path);
      if (text === undefined) continue;
      let spec: Gemspec;
      try {
        spec = readGemspec(text);
      } catch {
        continue;
      }
      if (spec.name !== name) continue;
      const key = versionKey(spec.version);
      if (!best || compareKeys(key, best.key) > 0) best = { spec, key };
    }
    return best ? gemRecord(best.spec) : undefined;
  }

  private entries(): Map<string, string[]> {
    if (this.index) return this.index;
    this.index = new Map();
    const dirs = posix.basename(this.dir) === "default" ? [this.dir, posix.dirname(this.dir)] : [this.dir, `${this.dir}/default`];
    for (const dir of dirs) {
      for (const entry of this.ctx.listDir(dir)) {
        if (!entry.endsWith(".gemspec")) continue;
        const name = gemNameFromFileName(entry.slice(0, -".gemspec".length));
        if (name) this.index.set(name, [...(this.index.get(name) ?? []), `${dir}/${entry}`]);
      }
    }
    return this.index;
  }
}

/** "net-http-0.4.1" -> "net-http", "nokogiri-1.15.4-x86_64-linux" -> "nokogiri": the version is the first "-<digit>" part. */
export function gemNameFromFileName(base: string): string | undefined {
  const parts = base.split("-");
  const at = parts.findIndex((p, i) => i > 0 && /^\d/.test(p));
  return at > 0 ? parts.slice(0, at).join("-") : undefined;
}

function versionKey(version: string): number[] {
  return version.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : -1));
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
