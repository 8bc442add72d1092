import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { crc32, deflateRawSync } from "node:zlib";

/**
 * A synthetic OSV database shaped like osv.dev's full export, for bench/vuln-db.ts.
 *
 * Every record is built on the shape of one of the real records in src/vuln/osv/fixtures/records (named beside each
 * builder below): the same fields, nesting, id formats, alias patterns, range event kinds, severity types and
 * database_specific / ecosystem_specific blocks; only the values are made up. The mix of ecosystems and databases
 * (ECOSYSTEMS below) is chosen to resemble osv.dev's listing (OS distributions largest, then npm and PyPI), rounded:
 * it is a shape, not a copy of any day's export. Package names follow a Zipf distribution per ecosystem (a few
 * packages, the kernel, openssl, django, have many advisories; most have one or two), with real head names and
 * spellings that exercise name normalisation (PyPI case, `_` and `.`; Maven group:artifact; npm scopes; Go module
 * paths). Each package has one version history (ascending in its ecosystem's scheme, pre-releases included) and every
 * range, `versions` list and fixed version is taken from it, so an SBOM built from `packages` matches.
 *
 * Deterministic: the same (records, seed) gives byte-identical output. No dependencies: the zip writer is below
 * (deflate, CRC-32 from node:zlib), in the layout of osv.dev's per-ecosystem all.zip (`<ID>.json` entries at the
 * root).
 */

// ---------------------------------------------------------------------------------------------------------------
// Randomness
// ---------------------------------------------------------------------------------------------------------------

/** mulberry32: small, fast, seeded. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const chance = (r: Rand, p: number): boolean => r() < p;

/** Zipf(s) over ranks 1..n: cumulative weights, sampled by binary search. */
class Zipf {
  private readonly cum: Float64Array;
  constructor(n: number, s: number) {
    this.cum = new Float64Array(n);
    let total = 0;
    for (let k = 0; k < n; k++) this.cum[k] = total += 1 / Math.pow(k + 1, s);
  }
  sample(r: Rand): number {
    const x = r() * this.cum[this.cum.length - 1]!;
    let lo = 0;
    let hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cum[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------------------------

const SYL = ["ab", "ac", "al", "an", "ar", "ba", "be", "bo", "ca", "ce", "co", "da", "de", "di", "do", "el", "en", "er", "fa", "fi", "fo", "ga", "ge", "go", "ha", "he", "in", "is", "ja", "ka", "ko", "la", "le", "li", "lo", "ma", "me", "mi", "mo", "na", "ne", "no", "ob", "on", "or", "pa", "pe", "pi", "po", "qu", "ra", "re", "ri", "ro", "sa", "se", "si", "so", "ta", "te", "ti", "to", "tu", "ul", "un", "va", "ve", "vi", "xa", "yo", "za", "zo"];
const WORDS = ["core", "utils", "parser", "http", "json", "xml", "yaml", "auth", "crypto", "cli", "server", "client", "stream", "cache", "config", "log", "test", "data", "io", "net", "web", "api", "sdk", "db", "sql", "image", "tar", "zip", "template", "router", "proxy", "markdown", "serialize", "path", "url", "ssh", "tls", "jwt", "oauth", "session", "upload"];

function word(r: Rand): string {
  const n = int(r, 2, 4);
  let w = "";
  for (let i = 0; i < n; i++) w += pick(r, SYL);
  return w;
}

function kebab(r: Rand, sep = "-"): string {
  return chance(r, 0.5) ? word(r) : `${word(r)}${sep}${pick(r, WORDS)}`;
}

/** How an ecosystem spells its package names; `heads` are real names that take the top ranks. */
interface NameStyle {
  heads: readonly string[];
  make(r: Rand, i: number): string;
}

const NAMES: Record<string, NameStyle> = {
  npm: {
    heads: ["lodash", "ansi-html", "minimist", "axios", "express", "lodash-es", "node-fetch", "ws", "semver", "jsonwebtoken", "tar", "qs"],
    make: (r) => (chance(r, 0.22) ? `@${word(r)}/${kebab(r)}` : kebab(r)),
  },
  PyPI: {
    heads: ["django", "requests", "flask-cors", "pillow", "tensorflow", "jinja2", "urllib3", "cryptography", "PyYAML", "Flask", "123bla"],
    // PyPI spellings normalise (PEP 503): Foo_Bar, foo.bar and foo-bar are one project.
    make: (r) => {
      const base = kebab(r, pick(r, ["-", "_", ".", "-"]));
      return chance(r, 0.15) ? base.charAt(0).toUpperCase() + base.slice(1) : base;
    },
  },
  Maven: {
    heads: ["org.apache.logging.log4j:log4j-core", "junit:junit", "com.fasterxml.jackson.core:jackson-databind", "org.springframework:spring-core", "org.apache.tomcat.embed:tomcat-embed-core"],
    make: (r) => {
      const group = `${pick(r, ["org", "com", "io", "net"])}.${word(r)}${chance(r, 0.6) ? `.${word(r)}` : ""}`;
      return `${group}:${kebab(r)}`;
    },
  },
  Go: {
    heads: ["stdlib", "golang.org/x/net", "golang.org/x/text", "github.com/opencontainers/runc", "golang.org/x/crypto", "github.com/docker/docker"],
    make: (r) => `${pick(r, ["github.com", "github.com", "github.com", "gitlab.com", "go.etcd.io", "k8s.io"])}/${word(r)}/${kebab(r)}${chance(r, 0.12) ? `/v${int(r, 2, 5)}` : ""}`,
  },
  "crates.io": {
    heads: ["openssl", "time", "hyper", "tokio", "regex", "smallvec"],
    make: (r) => kebab(r, pick(r, ["-", "_"])),
  },
  RubyGems: {
    heads: ["actionview", "activesupport", "passenger", "rails", "nokogiri", "rack"],
    make: (r) => kebab(r, pick(r, ["-", "_"])),
  },
  Packagist: {
    heads: ["symfony/http-kernel", "laravel/framework", "drupal/core", "guzzlehttp/guzzle", "phpmailer/phpmailer"],
    make: (r) => `${word(r)}/${kebab(r)}`,
  },
  NuGet: {
    heads: ["Newtonsoft.Json", "System.Text.Encodings.Web", "Microsoft.AspNetCore.App", "System.Net.Http"],
    make: (r) => {
      const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
      return `${cap(word(r))}.${cap(word(r))}${chance(r, 0.5) ? `.${cap(pick(r, WORDS))}` : ""}`;
    },
  },
  Debian: {
    heads: ["linux", "chromium", "firefox-esr", "openssl", "imagemagick", "libxml2", "tcpdump", "nginx", "curl", "qemu", "glibc", "php8.2"],
    make: (r) => pick(r, [`lib${word(r)}`, word(r), `${word(r)}${int(r, 1, 4)}`, `python-${word(r)}`, `${word(r)}-${pick(r, WORDS)}`, `lib${word(r)}${int(r, 0, 3)}.${int(r, 0, 9)}`]),
  },
  Ubuntu: {
    heads: ["linux", "linux-aws", "linux-azure", "linux-gcp", "firefox", "openssl", "imagemagick", "libxml2", "curl", "qemu"],
    make: (r) => pick(r, [`lib${word(r)}`, word(r), `${word(r)}${int(r, 1, 4)}`, `python-${word(r)}`, `${word(r)}-${pick(r, WORDS)}`]),
  },
  Alpine: {
    heads: ["musl", "openssl", "curl", "busybox", "libxml2", "sqlite", "expat", "zlib"],
    make: (r) => pick(r, [word(r), `${word(r)}-${pick(r, WORDS)}`, `py3-${word(r)}`, `lib${word(r)}`]),
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Versions: one ascending history per package
// ---------------------------------------------------------------------------------------------------------------

type Scheme = "semver" | "pep440" | "maven" | "go" | "rubygems" | "nuget" | "dpkg" | "ubuntu" | "apk";

/** Pre-release spelling per scheme (each sorts before its release in that scheme). */
function prerelease(scheme: Scheme, base: string, n: number): string {
  switch (scheme) {
    case "pep440":
      return `${base}rc${n}`;
    case "maven":
      return `${base}-RC${n}`;
    case "rubygems":
      return `${base}.rc${n}`;
    case "nuget":
      return `${base}-rc.${n}`;
    default:
      return `${base}-rc.${n}`;
  }
}

function history(scheme: Scheme, r: Rand): string[] {
  const length = Math.max(3, Math.round(Math.exp(r() * Math.log(120))));
  let major = chance(r, 0.3) ? 0 : int(r, 1, 4);
  let minor = int(r, 0, 5);
  let patch = 0;
  const out: string[] = [];
  const epoch = (scheme === "dpkg" || scheme === "ubuntu") && chance(r, 0.12) ? `${int(r, 1, 2)}:` : "";
  const dfsg = (scheme === "dpkg" || scheme === "ubuntu") && chance(r, 0.15) ? "+dfsg" : "";
  while (out.length < length) {
    const step = r();
    if (step < 0.06) {
      major++;
      minor = 0;
      patch = 0;
      const base = `${major}.0.0`;
      if (scheme !== "dpkg" && scheme !== "ubuntu" && scheme !== "apk" && chance(r, 0.5)) out.push(prerelease(scheme, base, 1));
    } else if (step < 0.3) {
      minor++;
      patch = 0;
    } else {
      patch++;
    }
    const upstream = `${major}.${minor}.${patch}`;
    switch (scheme) {
      case "dpkg": {
        const rev = int(r, 1, 3);
        out.push(`${epoch}${upstream}${dfsg}-${rev}`);
        if (chance(r, 0.3)) out.push(`${epoch}${upstream}${dfsg}-${rev}+deb${int(r, 11, 12)}u${int(r, 1, 4)}`);
        break;
      }
      case "ubuntu":
        out.push(`${epoch}${upstream}${dfsg}-${int(r, 1, 3)}ubuntu${int(r, 0, 2)}.${int(r, 1, 5)}`);
        break;
      case "apk":
        out.push(`${upstream}-r${int(r, 0, 6)}`);
        break;
      default:
        out.push(upstream);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Ecosystems and their databases
// ---------------------------------------------------------------------------------------------------------------

type Builder = (ctx: Ctx, eco: EcoSpec) => Record<string, unknown>;

interface EcoSpec {
  /** The OSV ecosystem name (the all.zip folder). */
  name: string;
  /** Share of all records. */
  weight: number;
  /** Distinct package names, and the Zipf exponent of how advisories fall on them. */
  pool: number;
  zipf: number;
  scheme: Scheme;
  /** Releases for OS ecosystems (`Debian:12`); a record has an affected entry per release it covers. */
  releases?: readonly string[];
  /** purl of a package (the source package for OS ecosystems). */
  purl?: (name: string) => string;
  builders: readonly (readonly [Builder, number])[];
}

export interface SynthPackage {
  name: string;
  versions: string[];
}

/** The records' universe: per ecosystem, the packages records were written for (for SBOMs that match). */
export type SynthPackages = Record<string, SynthPackage[]>;

interface Ctx {
  r: Rand;
  pkg(eco: EcoSpec): SynthPackage;
  ghsaId(): string;
  cve(year: number): string;
  seq(prefix: string, year: number): string;
  /** A recent GHSA id and its CVE in an ecosystem, for PYSEC and GO aliases (a vulnerability known twice). */
  recentGhsa: Map<string, { ghsa: string; cve?: string }[]>;
}

const GHSA_ALPHABET = "23456789cfghjmpqrvwx";

function dates(r: Rand): { published: string; modified: string; year: number } {
  const start = Date.UTC(2014, 0, 1);
  const end = Date.UTC(2026, 9, 1);
  const published = start + r() * (end - start);
  const modified = Math.min(end + 30 * 86400000, published + r() * 3 * 365 * 86400000);
  const fmt = (t: number, precise: boolean) => {
    const iso = new Date(Math.floor(t / 1000) * 1000).toISOString().slice(0, 19);
    return precise ? `${iso}.${String(int(r, 0, 999999)).padStart(6, "0")}Z` : `${iso}Z`;
  };
  const precise = chance(r, 0.4);
  return { published: fmt(published, false), modified: fmt(modified, precise), year: new Date(published).getUTCFullYear() };
}

const LOREM = (
  "an attacker could exploit this issue to cause a denial of service or possibly execute arbitrary code when " +
  "processing a crafted input the vulnerable function does not validate the length of the header before copying it " +
  "into a fixed size buffer which leads to an out of bounds write users should upgrade to the fixed version there are " +
  "no known workarounds this issue affects applications that parse untrusted data from the network or from files " +
  "supplied by users a remote unauthenticated attacker can send a specially crafted request that triggers the flaw"
).split(" ");

function text(r: Rand, chars: number): string {
  let out = "";
  while (out.length < chars) out += (out === "" ? "" : " ") + pick(r, LOREM);
  return out.charAt(0).toUpperCase() + out.slice(1) + ".";
}

/** Detail lengths as the fixtures have them: mostly a few hundred characters, a long tail to ~3,000. */
const detailLength = (r: Rand): number => Math.round(80 * Math.exp(r() * Math.log(40)));

const CVSS3 = { AV: ["N", "A", "L", "P"], AC: ["L", "H"], PR: ["N", "L", "H"], UI: ["N", "R"], S: ["U", "C"], C: ["H", "L", "N"], I: ["H", "L", "N"], A: ["H", "L", "N"] };
const CVSS4 = { AV: ["N", "A", "L", "P"], AC: ["L", "H"], AT: ["N", "P"], PR: ["N", "L", "H"], UI: ["N", "P", "A"], VC: ["H", "L", "N"], VI: ["H", "L", "N"], VA: ["H", "L", "N"], SC: ["H", "L", "N"], SI: ["H", "L", "N"], SA: ["H", "L", "N"] };

function vector(r: Rand, prefix: string, metrics: Record<string, string[]>): string {
  return `${prefix}/${Object.entries(metrics)
    .map(([k, vs]) => `${k}:${pick(r, vs)}`)
    .join("/")}`;
}

function severity(r: Rand): Record<string, string>[] {
  const x = r();
  if (x < 0.6) return [{ type: "CVSS_V3", score: vector(r, "CVSS:3.1", CVSS3) }];
  if (x < 0.75) return [{ type: "CVSS_V3", score: vector(r, "CVSS:3.1", CVSS3) }, { type: "CVSS_V4", score: vector(r, "CVSS:4.0", CVSS4) }];
  if (x < 0.85) return [{ type: "CVSS_V4", score: vector(r, "CVSS:4.0", CVSS4) }];
  return [];
}

/** Events over a history: 1 range (most), or 2–3 disjoint stretches (as Log4Shell's three ranges). */
function stretches(r: Rand, versions: readonly string[], fixedOnly = false): { introduced: string; fixed?: string; lastAffected?: string }[] {
  const count = chance(r, 0.88) ? 1 : int(r, 2, 3);
  const points = new Set<number>();
  while (points.size < Math.min(count * 2, versions.length)) points.add(int(r, 0, versions.length - 1));
  const sorted = [...points].sort((a, b) => a - b);
  const out: { introduced: string; fixed?: string; lastAffected?: string }[] = [];
  for (let i = 0; i + 1 < sorted.length || (i === 0 && sorted.length === 1); i += 2) {
    const lo = sorted[i]!;
    const hi = sorted[i + 1];
    const introduced = i === 0 && chance(r, 0.55) ? "0" : versions[lo]!;
    if (hi === undefined) {
      out.push({ introduced });
      break;
    }
    const kind = r();
    // One range holding several stretches (GO-2022-0969) may not mix fixed and last_affected: fixed only there.
    if (kind < 0.85 || fixedOnly) out.push({ introduced, fixed: versions[hi]! });
    else if (kind < 0.95) out.push({ introduced, lastAffected: versions[hi - 1 >= lo ? hi - 1 : hi]! });
    else out.push({ introduced }); // no fix yet
  }
  return out;
}

function eventsOf(s: { introduced: string; fixed?: string; lastAffected?: string }): Record<string, string>[] {
  const events: Record<string, string>[] = [{ introduced: s.introduced }];
  if (s.fixed !== undefined) events.push({ fixed: s.fixed });
  if (s.lastAffected !== undefined) events.push({ last_affected: s.lastAffected });
  return events;
}

/** Versions of a history inside the stretches (the explicit `versions` lists of PYSEC and Debian records). */
function listed(versions: readonly string[], ss: ReturnType<typeof stretches>): string[] {
  const out: string[] = [];
  for (const s of ss) {
    const lo = s.introduced === "0" ? 0 : versions.indexOf(s.introduced);
    const hi = s.fixed !== undefined ? versions.indexOf(s.fixed) : s.lastAffected !== undefined ? versions.indexOf(s.lastAffected) + 1 : versions.length;
    out.push(...versions.slice(lo, hi));
  }
  return out;
}

function references(r: Rand, ids: string[], pkgName: string, extra: number): Record<string, string>[] {
  const refs: Record<string, string>[] = ids.filter((id) => id.startsWith("CVE-")).map((id) => ({ type: "ADVISORY", url: `https://nvd.nist.gov/vuln/detail/${id}` }));
  const n = Math.round(Math.exp(r() * Math.log(extra)));
  for (let i = 0; i < n; i++) {
    const kind = pick(r, ["WEB", "WEB", "FIX", "PACKAGE", "REPORT", "ARTICLE"]);
    refs.push({ type: kind, url: `https://github.com/${pkgName.replace(/[^A-Za-z0-9-]/g, "-")}/${pick(r, ["commit", "issues", "pull", "security/advisories"])}/${int(r, 1, 99999)}` });
  }
  return refs;
}

/** GHSA-jfh8-c2jp-5v3q, GHSA-p6mc-m468-83gw, GHSA-86g5-2wh3-gc9j (npm, Maven, RubyGems, and the rest). */
const ghsa: Builder = (ctx, eco) => {
  const { r } = ctx;
  const d = dates(r);
  const id = ctx.ghsaId();
  const aliases = chance(r, 0.85) ? [ctx.cve(d.year)] : [];
  const main = ctx.pkg(eco);
  const pkgs = [main];
  if (chance(r, 0.12)) for (let i = int(r, 1, 3); i > 0; i--) pkgs.push(ctx.pkg(eco));
  const affected = pkgs.map((p) => {
    const ss = stretches(r, p.versions);
    const entry: Record<string, unknown> = {
      package: { ecosystem: eco.name, name: p.name },
      ranges: ss.map((s) => ({ type: "ECOSYSTEM", events: eventsOf(s) })),
    };
    if (chance(r, 0.3)) entry.database_specific = { last_known_affected_version_range: `<= ${ss[0]!.lastAffected ?? p.versions[0]}` };
    if (chance(r, 0.05)) entry.ecosystem_specific = { affected_functions: [`${p.name}.${word(r)}`] };
    return entry;
  });
  const sev = severity(r);
  const record: Record<string, unknown> = {
    schema_version: "1.4.0",
    id,
    modified: d.modified,
    published: d.published,
    aliases,
    summary: `${text(r, 30)} in ${main.name}`.replace(/\.$/, ""),
    details: text(r, detailLength(r)),
    ...(sev.length > 0 ? { severity: sev } : {}),
    affected,
    references: references(r, aliases, main.name, 40),
    database_specific: {
      cwe_ids: [`CWE-${int(r, 20, 1300)}`],
      severity: pick(r, ["LOW", "MODERATE", "HIGH", "CRITICAL"]),
      github_reviewed: true,
      github_reviewed_at: d.published,
      nvd_published_at: d.published,
    },
  };
  if (chance(r, 0.008)) record.withdrawn = d.modified; // GHSA-35c4-f3rq-f9g3
  const recent = ctx.recentGhsa.get(eco.name) ?? [];
  recent.push({ ghsa: id, ...(aliases[0] === undefined ? {} : { cve: aliases[0] }) });
  if (recent.length > 64) recent.shift();
  ctx.recentGhsa.set(eco.name, recent);
  return record;
};

/** An alias pair with a GHSA record of the same ecosystem (PYSEC-2021-98, GO-2022-0969), else a fresh CVE. */
function knownTwice(ctx: Ctx, eco: EcoSpec, year: number): string[] {
  const recent = ctx.recentGhsa.get(eco.name);
  if (recent !== undefined && recent.length > 0 && chance(ctx.r, 0.5)) {
    const g = pick(ctx.r, recent);
    return g.cve === undefined ? [g.ghsa] : [g.cve, g.ghsa];
  }
  return [ctx.cve(year)];
}

/** PYSEC-2021-98, PYSEC-2020-43: an ECOSYSTEM range and the versions it covers listed. */
const pysec: Builder = (ctx, eco) => {
  const { r } = ctx;
  const d = dates(r);
  const p = ctx.pkg(eco);
  const ss = stretches(r, p.versions);
  const aliases = knownTwice(ctx, eco, d.year);
  return {
    id: ctx.seq("PYSEC", d.year),
    details: text(r, detailLength(r)),
    aliases,
    modified: d.modified,
    published: d.published,
    references: references(r, aliases, p.name, 8),
    affected: [{ package: { name: p.name, ecosystem: "PyPI", purl: `pkg:pypi/${p.name.toLowerCase().replace(/[-_.]+/g, "-")}` }, ranges: ss.map((s) => ({ type: "ECOSYSTEM", events: eventsOf(s) })), versions: listed(p.versions, ss) }],
    schema_version: "1.6.0",
  };
};

/** MAL-2024-10238: a malicious package, versions only. */
const mal: Builder = (ctx, eco) => {
  const { r } = ctx;
  const d = dates(r);
  const p = ctx.pkg(eco);
  const start = int(r, 0, p.versions.length - 1);
  return {
    schema_version: "1.5.0",
    id: ctx.seq("MAL", d.year),
    published: d.published,
    modified: d.modified,
    summary: `Malicious code in ${p.name} (${eco.name})`,
    details: `\n---\n_-= Per source details. Do not edit below this line.=-_\n\n## Source: ossf-package-analysis\n${text(r, 200)}`,
    affected: [
      {
        package: { ecosystem: eco.name, name: p.name },
        versions: p.versions.slice(start, start + int(r, 1, 3)),
        database_specific: { "malicious-packages-origins": [{ source: "ossf-package-analysis", sha256: hash(p.name + start).toString(16).padStart(64, "0"), import_time: d.modified, modified_time: d.modified }] },
      },
    ],
    credits: [{ name: "OpenSSF: Package Analysis", type: "FINDER", contact: ["https://github.com/ossf/package-analysis"] }],
    database_specific: { "malicious-packages-origins": [{ source: "ossf-package-analysis", import_time: d.modified }] },
  };
};

/** GO-2022-0969, GO-2021-0113: SEMVER ranges (v-less), imports and symbols, GHSA/CVE aliases. */
const goVuln: Builder = (ctx, eco) => {
  const { r } = ctx;
  const d = dates(r);
  const pkgs = [ctx.pkg(eco)];
  if (chance(r, 0.15)) pkgs.push(ctx.pkg(eco));
  const id = ctx.seq("GO", d.year);
  const aliases = knownTwice(ctx, eco, d.year);
  return {
    schema_version: "1.3.1",
    id,
    modified: d.modified,
    published: d.published,
    aliases,
    summary: text(r, 40).replace(/\.$/, ""),
    details: text(r, detailLength(r)),
    affected: pkgs.map((p) => ({
      package: { name: p.name, ecosystem: "Go" },
      ranges: [{ type: "SEMVER", events: stretches(r, p.versions, true).flatMap(eventsOf) }],
      ecosystem_specific: { imports: [{ path: p.name === "stdlib" ? `net/${word(r)}` : `${p.name}/${word(r)}`, symbols: Array.from({ length: int(r, 1, 8) }, () => `${word(r)}.${word(r)}`) }] },
    })),
    references: references(r, aliases, pkgs[0]!.name, 4),
    credits: [{ name: word(r) }],
    database_specific: { url: `https://pkg.go.dev/vuln/${id}`, review_status: "REVIEWED" },
  };
};

/** RUSTSEC-2021-0078: SEMVER from 0.0.0-0, a cargo purl, informational fields. */
const rustsec: Builder = (ctx, eco) => {
  const { r } = ctx;
  const d = dates(r);
  const p = ctx.pkg(eco);
  const aliases = chance(r, 0.7) ? [ctx.cve(d.year), ctx.ghsaId()] : [];
  const ss = stretches(r, p.versions, true).map((s) => (s.introduced === "0" ? { ...s, introduced: "0.0.0-0" } : s));
  const sev = chance(r, 0.6) ? [{ type: "CVSS_V3", score: vector(r, "CVSS:3.1", CVSS3) }] : [];
  return {
    id: ctx.seq("RUSTSEC", d.year),
    modified: d.modified,
    published: d.published,
    aliases,
    related: [],
    summary: text(r, 50).replace(/\.$/, ""),
    details: text(r, detailLength(r)),
    ...(sev.length > 0 ? { severity: sev } : {}),
    affected: [
      {
        package: { ecosystem: "crates.io", name: p.name, purl: `pkg:cargo/${p.name}` },
        ecosystem_specific: { affects: { arch: [], os: [], functions: [] }, affected_functions: null },
        database_specific: { categories: [], cvss: sev[0]?.score ?? null, informational: null },
        ranges: [{ type: "SEMVER", events: ss.flatMap(eventsOf) }],
        versions: [],
      },
    ],
    references: [{ type: "PACKAGE", url: `https://crates.io/crates/${p.name}` }, ...references(r, aliases, p.name, 3)],
    database_specific: { license: "CC0-1.0" },
  };
};

/** OS distributions: one affected entry per release covered (ALPINE-CVE-2025-26519 over nine releases). */
function releasesCovered(r: Rand, releases: readonly string[]): string[] {
  const n = int(r, 1, Math.min(4, releases.length));
  const start = int(r, 0, releases.length - n);
  return releases.slice(start, start + n);
}

/** DEBIAN-CVE-… (per release) and DSA/DLA (DLA-3008-1: one release, upstream CVEs, versions listed). */
const debian: Builder = (ctx, eco) => {
  const { r } = ctx;
  const d = dates(r);
  const p = ctx.pkg(eco);
  const advisory = chance(r, 0.2);
  const cves = Array.from({ length: advisory ? int(r, 1, 6) : 1 }, () => ctx.cve(d.year));
  const releases = advisory ? [pick(r, eco.releases!)] : releasesCovered(r, eco.releases!);
  const id = advisory ? `${ctx.seq(chance(r, 0.5) ? "DSA" : "DLA", 0)}-${chance(r, 0.85) ? 1 : int(r, 2, 3)}` : `DEBIAN-${cves[0]}`;
  return {
    schema_version: "1.7.3",
    id,
    published: d.published,
    modified: d.modified,
    upstream: advisory ? cves : [cves[0]!],
    ...(advisory ? { summary: `${p.name} - security update` } : {}),
    details: advisory ? "" : text(r, detailLength(r)),
    affected: releases.map((rel) => {
      const ss = stretches(r, p.versions).slice(0, 1);
      return {
        package: { name: p.name, ecosystem: `Debian:${rel}`, purl: `pkg:deb/debian/${p.name}?arch=source` },
        ranges: [{ type: "ECOSYSTEM", events: eventsOf(ss[0]!) }],
        ...(advisory ? { versions: listed(p.versions, ss).slice(-40) } : {}),
        database_specific: { source: `https://storage.googleapis.com/debian-osv/${advisory ? "dla" : "debian-cve"}-osv/${id}.json` },
      };
    }),
    references: advisory ? [] : [{ type: "ADVISORY", url: `https://security-tracker.debian.org/tracker/${cves[0]}` }],
  };
};

/** UBUNTU-CVE-…: the Debian shape per Ubuntu release, with Ubuntu's own priority as a severity. */
const ubuntu: Builder = (ctx, eco) => {
  const { r } = ctx;
  const d = dates(r);
  const p = ctx.pkg(eco);
  const cve = ctx.cve(d.year);
  const sev: Record<string, string>[] = [{ type: "Ubuntu", score: pick(r, ["negligible", "low", "medium", "high", "critical"]) }];
  if (chance(r, 0.6)) sev.unshift({ type: "CVSS_V3", score: vector(r, "CVSS:3.1", CVSS3) });
  return {
    schema_version: "1.6.3",
    id: `UBUNTU-${cve}`,
    published: d.published,
    modified: d.modified,
    upstream: [cve],
    details: text(r, detailLength(r)),
    severity: sev,
    affected: releasesCovered(r, eco.releases!).map((rel) => {
      const ss = stretches(r, p.versions).slice(0, 1);
      return {
        package: { ecosystem: `Ubuntu:${rel}`, name: p.name, purl: `pkg:deb/ubuntu/${p.name}?arch=source&distro=${rel.replace(/:LTS$/, "").replace(/^Pro:/, "")}` },
        ranges: [{ type: "ECOSYSTEM", events: eventsOf(ss[0]!) }],
        versions: listed(p.versions, ss).slice(-30),
        ecosystem_specific: { binaries: [{ binary_name: p.name, binary_version: ss[0]!.fixed ?? p.versions.at(-1)! }], availability: "No subscription required" },
      };
    }),
    references: [{ type: "REPORT", url: `https://ubuntu.com/security/${cve}` }, ...references(r, [cve], p.name, 6)],
  };
};

/** ALPINE-CVE-2025-26519: one entry per Alpine release, CVSS v3. */
const alpine: Builder = (ctx, eco) => {
  const { r } = ctx;
  const d = dates(r);
  const p = ctx.pkg(eco);
  const cve = ctx.cve(d.year);
  const id = `ALPINE-${cve}`;
  const sev = chance(r, 0.7) ? [{ type: "CVSS_V3", score: vector(r, "CVSS:3.1", CVSS3) }] : [];
  return {
    schema_version: "1.7.5",
    id,
    published: d.published,
    modified: d.modified,
    upstream: [cve],
    details: text(r, detailLength(r)),
    affected: releasesCovered(r, eco.releases!).map((rel) => ({
      package: { name: p.name, ecosystem: `Alpine:${rel}`, purl: `pkg:apk/alpine/${p.name}?arch=source` },
      ranges: [{ type: "ECOSYSTEM", events: eventsOf(stretches(r, p.versions).slice(0, 1)[0]!) }],
      ecosystem_specific: {},
      database_specific: { source: `https://storage.googleapis.com/cve-osv-conversion/alpine/${id}.json` },
    })),
    references: [{ type: "ADVISORY", url: `https://security.alpinelinux.org/vuln/${cve}` }],
    ...(sev.length > 0 ? { severity: sev } : {}),
  };
};

/** The mix. Weights are shares of the total; within an ecosystem, builders by share. */
export const ECOSYSTEMS: readonly EcoSpec[] = [
  { name: "Debian", weight: 0.25, pool: 6000, zipf: 1.05, scheme: "dpkg", releases: ["10", "11", "12", "13"], builders: [[debian, 1]] },
  { name: "Ubuntu", weight: 0.2, pool: 6000, zipf: 1.05, scheme: "ubuntu", releases: ["Pro:16.04:LTS", "Pro:18.04:LTS", "20.04:LTS", "22.04:LTS", "24.04:LTS", "25.04"], builders: [[ubuntu, 1]] },
  { name: "Alpine", weight: 0.12, pool: 3000, zipf: 1.0, scheme: "apk", releases: ["v3.16", "v3.17", "v3.18", "v3.19", "v3.20", "v3.21", "v3.22"], builders: [[alpine, 1]] },
  { name: "npm", weight: 0.14, pool: 14000, zipf: 0.9, scheme: "semver", builders: [[ghsa, 0.6], [mal, 0.4]] },
  { name: "PyPI", weight: 0.1, pool: 8000, zipf: 0.9, scheme: "pep440", builders: [[ghsa, 0.35], [pysec, 0.35], [mal, 0.3]] },
  { name: "Maven", weight: 0.04, pool: 4000, zipf: 0.9, scheme: "maven", builders: [[ghsa, 1]] },
  { name: "Go", weight: 0.04, pool: 3000, zipf: 0.9, scheme: "go", builders: [[ghsa, 0.4], [goVuln, 0.6]] },
  { name: "Packagist", weight: 0.04, pool: 2500, zipf: 0.9, scheme: "semver", builders: [[ghsa, 1]] },
  { name: "crates.io", weight: 0.015, pool: 1500, zipf: 0.9, scheme: "semver", builders: [[rustsec, 0.6], [ghsa, 0.4]] },
  { name: "RubyGems", weight: 0.012, pool: 1000, zipf: 0.9, scheme: "rubygems", builders: [[ghsa, 1]] },
  { name: "NuGet", weight: 0.008, pool: 800, zipf: 0.9, scheme: "nuget", builders: [[ghsa, 1]] },
];

// ---------------------------------------------------------------------------------------------------------------
// The stream of records
// ---------------------------------------------------------------------------------------------------------------

export interface SynthRecord {
  ecosystem: string;
  id: string;
  json: string;
}

/** Records per ecosystem for a total (largest remainder, so they sum to `total`). */
export function ecosystemCounts(total: number): Map<string, number> {
  const raw = ECOSYSTEMS.map((e) => ({ name: e.name, exact: (total * e.weight) / ECOSYSTEMS.reduce((s, x) => s + x.weight, 0) }));
  const counts = new Map(raw.map((x) => [x.name, Math.floor(x.exact)]));
  let left = total - [...counts.values()].reduce((a, b) => a + b, 0);
  for (const x of [...raw].sort((a, b) => (b.exact % 1) - (a.exact % 1))) {
    if (left-- <= 0) break;
    counts.set(x.name, counts.get(x.name)! + 1);
  }
  return counts;
}

/**
 * `total` records, ecosystem by ecosystem (the order of the all.zip files), and the packages they were written for.
 * `packages` is filled as records are generated.
 */
export function* synthesizeOsv(total: number, seed: number, packages: SynthPackages = {}): Generator<SynthRecord> {
  const counts = ecosystemCounts(total);
  const usedIds = new Set<string>();
  // CVE numbers per year: each OS distribution counts its own (so Debian, Ubuntu and Alpine name many of the same
  // CVEs, as they do), the language ecosystems share one counter.
  const cveNext = new Map<string, number>();
  const seqNext = new Map<string, number>();
  for (const eco of ECOSYSTEMS) {
    const r = rng(seed ^ hash(eco.name));
    const style = NAMES[eco.name]!;
    const zipf = new Zipf(eco.pool, eco.zipf);
    const names: string[] = [];
    const seen = new Set<string>();
    const byName = new Map<string, SynthPackage>();
    const used: SynthPackage[] = (packages[eco.name] = []);
    const nameAt = (rank: number): string => {
      while (names.length <= rank) {
        let n = names.length < style.heads.length ? style.heads[names.length]! : style.make(r, names.length);
        while (seen.has(n.toLowerCase())) n = style.make(r, names.length);
        seen.add(n.toLowerCase());
        names.push(n);
      }
      return names[rank]!;
    };
    const ctx: Ctx = {
      r,
      pkg: () => {
        const name = nameAt(zipf.sample(r));
        let p = byName.get(name);
        if (p === undefined) {
          p = { name, versions: history(eco.scheme, rng(hash(`${eco.name}/${name}`) ^ seed)) };
          byName.set(name, p);
          used.push(p);
        }
        return p;
      },
      ghsaId: () => {
        for (;;) {
          let id = "GHSA";
          for (let g = 0; g < 3; g++) {
            id += "-";
            for (let i = 0; i < 4; i++) id += GHSA_ALPHABET[Math.floor(r() * GHSA_ALPHABET.length)];
          }
          if (!usedIds.has(id)) {
            usedIds.add(id);
            return id;
          }
        }
      },
      cve: (year) => {
        const key = `${eco.releases === undefined ? "languages" : eco.name}/${year}`;
        const n = (cveNext.get(key) ?? 1000) + 1;
        cveNext.set(key, n);
        return `CVE-${year}-${n}`;
      },
      seq: (prefix, year) => {
        // year 0: a plain counter (DSA-3029, DLA-3008), else per year (GO-2022-0969, PYSEC-2021-98).
        const key = year === 0 ? prefix : `${prefix}-${year}`;
        const n = (seqNext.get(key) ?? (year === 0 ? 1000 : 0)) + 1;
        seqNext.set(key, n);
        return `${key}-${String(n).padStart(prefix === "PYSEC" ? 1 : 4, "0")}`;
      },
      recentGhsa: new Map(),
    };
    const builders = eco.builders;
    for (let i = counts.get(eco.name)!; i > 0; i--) {
      let x = r();
      let builder = builders[0]![0];
      for (const [b, share] of builders) {
        if ((x -= share) < 0) {
          builder = b;
          break;
        }
        builder = b;
      }
      const record = builder(ctx, eco);
      const id = record.id as string;
      if (usedIds.has(id) && !id.startsWith("GHSA-")) throw new Error(`osv-synth: id ${id} drawn twice`);
      usedIds.add(id);
      yield { ecosystem: eco.name, id, json: JSON.stringify(record, null, 2) };
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Writing: per-ecosystem all.zip and a directory tree
// ---------------------------------------------------------------------------------------------------------------

/** A minimal zip writer (deflate, no zip64: at most 65,535 entries and 4 GiB, checked). */
class ZipWriter {
  private readonly fd: number;
  private offset = 0;
  private readonly central: Buffer[] = [];
  private entries = 0;
  constructor(path: string) {
    this.fd = openSync(path, "w");
  }
  add(name: string, data: Buffer): void {
    if (this.entries === 0xffff) throw new Error("zip: more than 65,535 entries needs zip64, which this writer does not write");
    const nameBytes = Buffer.from(name, "utf8");
    const deflated = deflateRawSync(data, { level: 6 });
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(0, 10); // time
    local.writeUInt16LE(0x21, 12); // date: 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(deflated.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(0x0800, 8);
    header.writeUInt16LE(8, 10);
    header.writeUInt16LE(0, 12);
    header.writeUInt16LE(0x21, 14);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(deflated.length, 20);
    header.writeUInt32LE(data.length, 24);
    header.writeUInt16LE(nameBytes.length, 28);
    header.writeUInt32LE(this.offset, 42);
    this.central.push(header, nameBytes);
    this.write(local);
    this.write(nameBytes);
    this.write(deflated);
    this.entries++;
  }
  close(): number {
    const start = this.offset;
    for (const b of this.central) this.write(b);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(this.entries, 8);
    end.writeUInt16LE(this.entries, 10);
    end.writeUInt32LE(this.offset - start, 12);
    end.writeUInt32LE(start, 16);
    this.write(end);
    closeSync(this.fd);
    return this.offset;
  }
  private write(b: Buffer): void {
    if (this.offset + b.length > 0xffffffff) throw new Error("zip: over 4 GiB needs zip64");
    writeSync(this.fd, b);
    this.offset += b.length;
  }
}

export interface SynthDatabase {
  records: number;
  perEcosystem: Record<string, number>;
  /** Bytes of JSON (the sum of the records' texts). */
  jsonBytes: number;
  /** Bytes of the zips. */
  zipBytes: number;
  zips: string[];
  treeDir: string;
  packages: SynthPackages;
}

/**
 * Writes `total` records twice: `<dir>/zips/<Ecosystem>.zip` (osv.dev's all.zip layout) and
 * `<dir>/tree/<Ecosystem>/<ID>.json`, plus `<dir>/packages.json` (the packages and version histories the records
 * were written for) and `<dir>/summary.json`.
 */
export function writeSynthDatabase(dir: string, total: number, seed: number): SynthDatabase {
  const zipsDir = join(dir, "zips");
  const treeDir = join(dir, "tree");
  mkdirSync(zipsDir, { recursive: true });
  const packages: SynthPackages = {};
  const perEcosystem: Record<string, number> = {};
  const zips: string[] = [];
  let jsonBytes = 0;
  let zipBytes = 0;
  let zip: ZipWriter | undefined;
  let current = "";
  for (const rec of synthesizeOsv(total, seed, packages)) {
    if (rec.ecosystem !== current) {
      if (zip !== undefined) zipBytes += zip.close();
      current = rec.ecosystem;
      const path = join(zipsDir, `${rec.ecosystem}.zip`);
      zip = new ZipWriter(path);
      zips.push(path);
      mkdirSync(join(treeDir, rec.ecosystem), { recursive: true });
    }
    const bytes = Buffer.from(rec.json, "utf8");
    jsonBytes += bytes.length;
    zip!.add(`${rec.id}.json`, bytes);
    writeFileSync(join(treeDir, rec.ecosystem, `${rec.id}.json`), bytes);
    perEcosystem[rec.ecosystem] = (perEcosystem[rec.ecosystem] ?? 0) + 1;
  }
  if (zip !== undefined) zipBytes += zip.close();
  const db: SynthDatabase = { records: Object.values(perEcosystem).reduce((a, b) => a + b, 0), perEcosystem, jsonBytes, zipBytes, zips, treeDir, packages };
  writeFileSync(join(dir, "packages.json"), JSON.stringify(packages));
  const { packages: _, ...summary } = db;
  writeFileSync(join(dir, "summary.json"), JSON.stringify(summary, null, 2));
  return db;
}

/** purl type, namespace handling and OS distro qualifier per ecosystem, for SBOM components that match. */
export function purlOf(ecosystem: string, name: string, version: string): string | undefined {
  const v = encodeURIComponent(version);
  switch (ecosystem) {
    case "npm":
      return name.startsWith("@") ? `pkg:npm/%40${name.slice(1)}@${v}` : `pkg:npm/${name}@${v}`;
    case "PyPI":
      return `pkg:pypi/${name.toLowerCase().replace(/[-_.]+/g, "-")}@${v}`;
    case "Maven": {
      const [group, artifact] = name.split(":");
      return `pkg:maven/${group}/${artifact}@${v}`;
    }
    case "Go":
      return name === "stdlib" ? `pkg:golang/stdlib@v${v}` : `pkg:golang/${name}@v${v}`;
    case "crates.io":
      return `pkg:cargo/${name}@${v}`;
    case "RubyGems":
      return `pkg:gem/${name}@${v}`;
    case "Packagist":
      return `pkg:composer/${name}@${v}`;
    case "NuGet":
      return `pkg:nuget/${name}@${v}`;
    case "Debian":
      return `pkg:deb/debian/${name}@${v}?arch=amd64&distro=debian-12`;
    case "Alpine":
      return `pkg:apk/alpine/${name}@${v}?arch=x86_64&distro=alpine-3.20`;
    default:
      return undefined;
  }
}

/**
 * A CycloneDX 1.6 SBOM of `count` components for scanning the synthetic database: `matchShare` of them are packages
 * the records were written for (a random version from their history, so some are affected and some are not), the rest
 * packages no record names. Ecosystems without a purl mapping here (Ubuntu) are left out.
 */
export function synthSbom(packages: SynthPackages, count: number, seed: number, matchShare = 0.8): Record<string, unknown> {
  const r = rng(seed);
  const pools = Object.entries(packages).filter(([eco, ps]) => ps.length > 0 && purlOf(eco, "x", "1") !== undefined);
  const components: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  while (components.length < count) {
    const [eco, ps] = pick(r, pools);
    const known = chance(r, matchShare);
    const p = known ? pick(r, ps) : { name: `${NAMES[eco]!.make(r, 0)}-unlisted`, versions: ["1.0.0"] };
    const version = pick(r, p.versions);
    const purl = purlOf(eco, p.name, version)!;
    if (seen.has(purl)) continue;
    seen.add(purl);
    const n = components.length;
    components.push({ type: "library", "bom-ref": `c${n}`, name: p.name, version, purl });
  }
  return {
    bomFormat: "CycloneDX",
    specVersion: "1.6",
    serialNumber: `urn:uuid:00000000-0000-4000-8000-${String(seed).padStart(12, "0")}`,
    version: 1,
    metadata: { timestamp: "2026-01-01T00:00:00Z", component: { type: "application", "bom-ref": "root", name: `synthetic-${seed}`, version: "1.0.0" } },
    components,
  };
}
