import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { queryPurl, schemeForPurlType } from "../../src/sbom-index/keys.js";

/**
 * A synthetic SBOM portfolio for bench/index-portfolio.ts (issue 9, "Speed and scale"): S services x R releases,
 * one CycloneDX 1.5 SBOM of C components per release, and D deployment events over E environments.
 *
 * The packages are real: bench/projects/portfolio/purls.txt holds every versioned purl of a type vouch can order
 * (npm, PyPI, Go, Maven, NuGet, Composer, RubyGems, Cargo, Debian, Alpine…) found in the repository's test data
 * (test/fixtures/sboms-in-the-wild, cyclonedx-testdata, spdx-examples; SOURCE.md says how it was made). Each
 * package key (type, namespace, name) gets a version history: its real versions in its scheme's order, then up to
 * four later ones made by bumping the last number of the newest (so that releases can upgrade, and ranges cut
 * through a history as they do for a real package).
 *
 * Shape (a portfolio, not a random bag): each service has a primary ecosystem (weighted by how many packages the
 * pool has of it) and draws 85% of its components from it, 15% from the rest (the base image's OS packages, a
 * tool); within an ecosystem, packages are drawn by Zipf(1.0) over a fixed random order, so a few packages (the
 * lodash or golang.org/x/net of the pool) are in most services of that ecosystem and most packages in few. Release
 * r of a service keeps its component set and moves each component ~r/R of the way up its history (later releases
 * upgrade), and swaps 2% of its components per release. Java services carry log4j-core (and log4j-api) at 2.14.1
 * in releases 0-3, 2.16.0 in 4-6 and 2.17.1 after: the issue's own example has known answers.
 *
 * Deterministic: the same options give byte-identical SBOMs and the same deployments.
 */

export interface PortfolioOptions {
  services: number;
  releases: number;
  components: number;
  deployments: number;
  environments: readonly string[];
  seed: number;
}

export interface PoolPackage {
  type: string;
  namespace: string;
  name: string;
  /** Ascending in the ecosystem's scheme. */
  versions: string[];
  /** pkg:type/namespace/name, no version: what a query names. */
  base: string;
}

export interface SynthComponent {
  pkg: number;
  version: string;
}

export interface SynthRelease {
  index: number;
  service: string;
  version: string;
  /** The artifact the SBOM describes. */
  digest: `sha256:${string}`;
  components: SynthComponent[];
}

export interface SynthDeployment {
  service: string;
  environment: string;
  digest: `sha256:${string}`;
  at: string;
}

export const LOG4J_CORE = "pkg:maven/org.apache.logging.log4j/log4j-core";

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

function shuffle<T>(r: Rand, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/** "2.36.1-8+deb11u1" → "2.36.1-8+deb11u2": the last run of digits plus one. */
function bump(version: string): string | undefined {
  const m = /^(.*?)(\d+)(\D*)$/.exec(version);
  if (m === null) return undefined;
  return `${m[1]}${Number(m[2]) + 1}${m[3]}`;
}

/** The package pool from bench/projects/portfolio/purls.txt, grouped by key, each with its version history. */
export function loadPool(repo: string): PoolPackage[] {
  const lines = readFileSync(join(repo, "bench/projects/portfolio/purls.txt"), "utf8").split("\n").filter((l) => l.startsWith("pkg:"));
  const byKey = new Map<string, PoolPackage>();
  for (const line of lines) {
    const { key, version } = queryPurl(line);
    if (version === undefined) continue;
    const id = `${key.type}\u0000${key.namespace}\u0000${key.name}`;
    let p = byKey.get(id);
    if (p === undefined) {
      const at = line.lastIndexOf("@");
      p = { type: key.type, namespace: key.namespace, name: key.name, versions: [], base: line.slice(0, at) };
      byKey.set(id, p);
    }
    if (!p.versions.includes(version)) p.versions.push(version);
  }
  const pool: PoolPackage[] = [];
  for (const p of byKey.values()) {
    const scheme = schemeForPurlType(p.type);
    if (scheme === undefined) continue;
    const sorted = [...p.versions].sort((a, b) => scheme.compare(a, b));
    let last = sorted.at(-1)!;
    for (let i = 0; i < 4; i++) {
      const next = bump(last);
      if (next === undefined) break;
      try {
        if (scheme.compare(next, last) <= 0) break;
      } catch {
        break;
      }
      sorted.push(next);
      last = next;
    }
    pool.push({ ...p, versions: sorted });
  }
  // Key order, not file order: the same pool whatever order purls.txt lists them in.
  return pool.sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
}

export interface Portfolio {
  pool: PoolPackage[];
  releases: SynthRelease[];
  deployments: SynthDeployment[];
  /** Services whose primary ecosystem is Maven (they carry log4j-core). */
  javaServices: number;
}

export function synthPortfolio(repo: string, o: PortfolioOptions): Portfolio {
  const pool = loadPool(repo);
  const r = rng(o.seed);
  const byType = new Map<string, number[]>();
  for (let i = 0; i < pool.length; i++) {
    const t = pool[i]!.type;
    byType.set(t, [...(byType.get(t) ?? []), i]);
  }
  const types = [...byType.keys()].sort();
  // A fixed random popularity order per type: rank 0 is the most used package of that ecosystem.
  const ranked = new Map(types.map((t) => [t, shuffle(r, [...byType.get(t)!])]));
  const zipfs = new Map(types.map((t) => [t, new Zipf(ranked.get(t)!.length, 1.0)]));
  const typeWeights = types.map((t) => byType.get(t)!.length);
  const totalWeight = typeWeights.reduce((a, b) => a + b, 0);
  const pickType = (): string => {
    let x = r() * totalWeight;
    for (let i = 0; i < types.length; i++) if ((x -= typeWeights[i]!) < 0) return types[i]!;
    return types.at(-1)!;
  };
  const log4jCore = pool.findIndex((p) => p.base === LOG4J_CORE);
  const log4jApi = pool.findIndex((p) => p.base === "pkg:maven/org.apache.logging.log4j/log4j-api");
  const drawFrom = (type: string): number => ranked.get(type)![zipfs.get(type)!.sample(r)]!;

  const releases: SynthRelease[] = [];
  let javaServices = 0;
  for (let s = 0; s < o.services; s++) {
    const service = `svc-${String(s).padStart(4, "0")}`;
    const primary = pickType();
    const java = primary === "maven" && log4jCore >= 0;
    if (java) javaServices++;
    const chosen = new Set<number>();
    if (java) {
      chosen.add(log4jCore);
      if (log4jApi >= 0) chosen.add(log4jApi);
    }
    const want = Math.min(o.components, pool.length);
    let guard = 0;
    while (chosen.size < want && guard++ < want * 50) chosen.add(r() < 0.85 ? drawFrom(primary) : drawFrom(pickType()));
    // Small ecosystems run out of packages: fill from anywhere.
    while (chosen.size < want) chosen.add(Math.floor(r() * pool.length));
    const set = [...chosen];
    // Where each component starts in its history (releases move it up).
    const start = set.map((p) => Math.floor(r() * Math.max(1, pool[p]!.versions.length - 2)));
    for (let rel = 0; rel < o.releases; rel++) {
      // Swap 2% of the non-log4j components per release.
      if (rel > 0) {
        const swaps = Math.round(set.length * 0.02);
        for (let k = 0; k < swaps; k++) {
          const at = Math.floor(r() * set.length);
          if (set[at] === log4jCore || set[at] === log4jApi) continue;
          const next = drawFrom(primary);
          if (!set.includes(next)) {
            set[at] = next;
            start[at] = 0;
          }
        }
      }
      const components = set.map((p, i): SynthComponent => {
        const pkg = pool[p]!;
        if (java && (p === log4jCore || p === log4jApi)) return { pkg: p, version: rel <= 3 ? "2.14.1" : rel <= 6 ? "2.16.0" : "2.17.1" };
        const upgrades = Math.floor((rel * (pkg.versions.length - start[i]!)) / Math.max(1, o.releases));
        return { pkg: p, version: pkg.versions[Math.min(pkg.versions.length - 1, start[i]! + upgrades)]! };
      });
      const version = `${1 + Math.floor(rel / 4)}.${rel % 4}.0`;
      const digest = `sha256:${createHash("sha256").update(`artifact ${service} ${version} ${o.seed}`).digest("hex")}` as const;
      releases.push({ index: releases.length, service, version, digest, components });
    }
  }

  // Deployments: each (service, environment) gets its share of events, in time order, each a release at or after
  // the one before; dev leads, production lags. The last event per pair is its current deployment.
  const deployments: SynthDeployment[] = [];
  const pairs = o.services * o.environments.length;
  const perPair = Math.max(1, Math.floor(o.deployments / pairs));
  let extra = o.deployments - perPair * pairs;
  const t0 = Date.UTC(2026, 0, 1);
  for (let s = 0; s < o.services; s++) {
    for (let e = 0; e < o.environments.length; e++) {
      const n = perPair + (extra-- > 0 ? 1 : 0);
      const lag = e; // later environments run older releases
      for (let k = 0; k < n; k++) {
        const rel = Math.max(0, Math.min(o.releases - 1, Math.floor(((k + 1) * o.releases) / n) - 1 - lag + Math.floor(r() * 2)));
        const release = releases[s * o.releases + rel]!;
        const at = new Date(t0 + (k * 86_400 + s * 7 + e * 3600) * 1000).toISOString();
        deployments.push({ service: release.service, environment: o.environments[e]!, digest: release.digest, at });
      }
    }
  }
  return { pool, releases, deployments, javaServices };
}

/** The CycloneDX 1.5 document of a release: what `vouch push sbom` would send. */
export function sbomText(portfolio: Portfolio, release: SynthRelease): string {
  const components = release.components.map((c) => {
    const p = portfolio.pool[c.pkg]!;
    const purl = `${p.base}@${c.version}`;
    const out: Record<string, unknown> = { type: "library", "bom-ref": purl, name: p.name, version: c.version, purl };
    if (p.namespace !== "") out.group = p.namespace;
    return out;
  });
  return JSON.stringify({
    bomFormat: "CycloneDX",
    specVersion: "1.5",
    serialNumber: `urn:uuid:${uuidOf(release.digest)}`,
    version: 1,
    metadata: {
      timestamp: "2026-01-01T00:00:00Z",
      component: { type: "container", "bom-ref": "root", name: release.service, version: release.version, hashes: [{ alg: "SHA-256", content: release.digest.slice(7) }] },
    },
    components,
  });
}

function uuidOf(digest: string): string {
  const h = digest.slice(7, 39);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface ImpactQuery {
  /** How it was drawn: "anchor" (log4j-core <2.17.1), "popular" (by occurrence), "uniform" (any package). */
  kind: "anchor" | "popular" | "uniform";
  purl: string;
  range: string;
}

/**
 * Impact queries: the issue's log4j example, then `n` drawn by occurrence (a random component of a random SBOM:
 * incidents hit widely used packages) and `n` uniformly over the packages in the portfolio. Each asks
 * `<` the package's median version.
 */
export function impactQueries(portfolio: Portfolio, n: number, seed: number): ImpactQuery[] {
  const r = rng(seed ^ 0x5eed);
  const out: ImpactQuery[] = [{ kind: "anchor", purl: LOG4J_CORE, range: "<2.17.1" }];
  const used = [...new Set(portfolio.releases.flatMap((rel) => rel.components.map((c) => c.pkg)))];
  const ask = (kind: ImpactQuery["kind"], pkg: number) => {
    const p = portfolio.pool[pkg]!;
    out.push({ kind, purl: p.base, range: `<${p.versions[Math.floor(p.versions.length / 2)]!}` });
  };
  for (let i = 0; i < n; i++) {
    const rel = portfolio.releases[Math.floor(r() * portfolio.releases.length)]!;
    ask("popular", rel.components[Math.floor(r() * rel.components.length)]!.pkg);
  }
  for (let i = 0; i < n; i++) ask("uniform", used[Math.floor(r() * used.length)]!);
  return out;
}
