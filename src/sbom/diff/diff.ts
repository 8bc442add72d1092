import { mergeHashes } from "../model/hash.js";
import { parsePurl } from "../model/purl.js";
import type { Component, Hash, HashAlgorithm, Sbom } from "../model/types.js";
import { canonicalLicenses } from "./licenses.js";
import type { DiffComponent, DiffKind, DigestMismatch, HashMismatch, LicenseChange, SbomDiff, VersionChange } from "./types.js";
import { compareVersions } from "./version-order.js";

/**
 * Compare two SBOMs, whatever tools and formats wrote them (read both with readSbom first).
 *
 * Components are matched by purl without version (as purlWithoutVersion, but decoded: see purlKey), so qualifiers
 * such as `?arch=` that one tool writes and another omits do not matter; without a purl, by ecosystem, group and
 * name. A purl-less component on one
 * side is then matched by name against the other side's leftovers, so an SPDX file without purls still diffs
 * against a CycloneDX file with them. The roots (the subjects) are not compared.
 *
 * Several versions of one package on a side (npm allows it): equal versions pair first; the rest pair within the
 * same major version, highest with highest, then any leftovers highest with highest; what remains was added or
 * removed.
 */
export function diffSboms(oldSbom: Sbom, newSbom: Sbom): SbomDiff {
  const olds = entries(oldSbom);
  const news = entries(newSbom);
  const result = new DiffBuilder();

  const byKey = pairByKey(olds, news, (e) => e.key);
  for (const [o, n] of byKey.pairs) result.pair(o, n);
  // Second chance for components without a purl on either side: match the leftovers by name.
  const looseOld = byKey.restOld.filter((e) => e.component.purl === undefined);
  const looseNew = byKey.restNew.filter((e) => e.component.purl === undefined);
  const first = pairByKey(looseOld, byKey.restNew, (e) => e.loose);
  const second = pairByKey(
    byKey.restOld.filter((e) => !first.paired.has(e)),
    looseNew.filter((e) => !first.paired.has(e)),
    (e) => e.loose,
  );
  for (const [o, n] of [...first.pairs, ...second.pairs]) result.pair(o, n);
  const matched = new Set([...first.paired, ...second.paired]);
  for (const e of byKey.restOld) if (!matched.has(e)) result.removed.push(describe(e));
  for (const e of byKey.restNew) if (!matched.has(e)) result.added.push(describe(e));
  return result.build();
}

/** True when the diff has any change of the given kinds (`--fail-on`). */
export function diffFails(diff: SbomDiff, failOn: readonly DiffKind[]): boolean {
  return failOn.some((kind) => diff.summary[kind] > 0);
}

interface Entry {
  component: Component;
  key: string;
  loose: string;
  name: string;
  licenses: string[];
  /** All digests of this component@version on its side (duplicates merged). */
  hashes: Hash[];
}

/** One entry per key and version: tools list the same package@version once per location, which is not a change. */
function entries(sbom: Sbom): Entry[] {
  const byKeyVersion = new Map<string, Entry>();
  for (const component of sbom.components) {
    const name = displayName(component);
    const key = (component.purl === undefined ? undefined : purlKey(component.purl)) ?? `${component.ecosystem}/${name.toLowerCase()}`;
    const loose = name.toLowerCase();
    const id = `${key}\u0000${component.version}`;
    const seen = byKeyVersion.get(id);
    if (seen) {
      seen.hashes = mergeHashes(seen.hashes, component.hashes);
      continue;
    }
    byKeyVersion.set(id, { component, key, loose, name, licenses: canonicalLicenses(component.licenses), hashes: component.hashes });
  }
  return [...byKeyVersion.values()];
}

/**
 * The purl without version, qualifiers and subpath, in decoded form. Decoded, because tools encode differently:
 * cdxgen writes "pkg:npm/%40scope%2Fname" (scope inside the name), others "pkg:npm/%40scope/name"; both name the
 * same package, and both read as "pkg:npm/@scope/name". parsePurl applies the per-type rules (PyPI and npm names
 * lower-cased, ...), so spelling differences between tools do not split a package in two.
 */
function purlKey(purl: string): string | undefined {
  const p = parsePurl(purl);
  if (!p) return undefined;
  return `pkg:${p.type}/${p.namespace ? `${p.namespace}/` : ""}${p.name}`;
}

/** "@scope/name", "group:artifact" (Maven), "github.com/a/b": the name as its ecosystem writes it. */
function displayName(c: Component): string {
  const group = c.group;
  if (group === undefined || group === "" || c.name.startsWith(`${group}/`) || c.name.startsWith(`${group}:`)) return c.name;
  return c.ecosystem === "maven" ? `${group}:${c.name}` : `${group}/${c.name}`;
}

interface Pairing {
  pairs: [Entry, Entry][];
  paired: Set<Entry>;
  restOld: Entry[];
  restNew: Entry[];
}

function pairByKey(olds: readonly Entry[], news: readonly Entry[], keyOf: (e: Entry) => string): Pairing {
  const groups = new Map<string, { old: Entry[]; new: Entry[] }>();
  const group = (key: string) => {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { old: [], new: [] }));
    return g;
  };
  for (const e of olds) group(keyOf(e)).old.push(e);
  for (const e of news) group(keyOf(e)).new.push(e);

  const out: Pairing = { pairs: [], paired: new Set(), restOld: [], restNew: [] };
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key)!;
    const pairs = pairVersions(g.old, g.new);
    for (const [o, n] of pairs) {
      out.pairs.push([o, n]);
      out.paired.add(o);
      out.paired.add(n);
    }
    for (const e of g.old) if (!out.paired.has(e)) out.restOld.push(e);
    for (const e of g.new) if (!out.paired.has(e)) out.restNew.push(e);
  }
  return out;
}

/** The versions of one package on both sides, paired: equal first, then same major, then highest with highest. */
function pairVersions(olds: readonly Entry[], news: readonly Entry[]): [Entry, Entry][] {
  const pairs: [Entry, Entry][] = [];
  const oldLeft = sortByVersion(olds);
  const newLeft = sortByVersion(news);
  const take = (o: Entry, n: Entry) => {
    pairs.push([o, n]);
    oldLeft.splice(oldLeft.indexOf(o), 1);
    newLeft.splice(newLeft.indexOf(n), 1);
  };
  for (const o of [...oldLeft]) {
    const same = newLeft.find((n) => n.component.version === o.component.version) ?? newLeft.find((n) => compareVersions(n.component.version, o.component.version) === 0);
    if (same) take(o, same);
  }
  for (const n of [...newLeft].reverse()) {
    const line = majorOf(n.component.version);
    const o = [...oldLeft].reverse().find((x) => line !== undefined && majorOf(x.component.version) === line);
    if (o) take(o, n);
  }
  while (oldLeft.length > 0 && newLeft.length > 0) take(oldLeft[oldLeft.length - 1]!, newLeft[newLeft.length - 1]!);
  return pairs;
}

function sortByVersion(list: readonly Entry[]): Entry[] {
  return [...list].sort((a, b) => compareVersions(a.component.version, b.component.version) || compareStrings(a.component.version, b.component.version));
}

/** "4" of "4.17.21", "v4.1.0", "1:4.2": the release line a version belongs to. */
function majorOf(version: string): string | undefined {
  return /^(?:\d+:)?[vV]?(\d+)/.exec(version)?.[1]?.replace(/^0+(?=\d)/, "");
}

class DiffBuilder {
  readonly added: DiffComponent[] = [];
  readonly removed: DiffComponent[] = [];
  private readonly upgraded: VersionChange[] = [];
  private readonly downgraded: VersionChange[] = [];
  private readonly licenseChanged: LicenseChange[] = [];
  private readonly hashMismatch: HashMismatch[] = [];
  private unchanged = 0;

  pair(o: Entry, n: Entry): void {
    const order = compareVersions(o.component.version, n.component.version);
    const purl = n.component.purl ?? o.component.purl;
    let changed = false;
    if (order !== 0) {
      const change: VersionChange = { key: n.key, name: n.name, from: o.component.version, to: n.component.version };
      if (purl !== undefined) change.purl = purl;
      (order < 0 ? this.upgraded : this.downgraded).push(change);
      changed = true;
    }
    if (o.licenses.join("\n") !== n.licenses.join("\n")) {
      const change: LicenseChange = { key: n.key, name: n.name, version: n.component.version, from: o.licenses, to: n.licenses };
      if (purl !== undefined) change.purl = purl;
      this.licenseChanged.push(change);
      changed = true;
    }
    if (order === 0) {
      const digests = digestMismatches(o.hashes, n.hashes);
      if (digests.length > 0) {
        const mismatch: HashMismatch = { key: n.key, name: n.name, version: n.component.version, digests };
        if (purl !== undefined) mismatch.purl = purl;
        this.hashMismatch.push(mismatch);
        changed = true;
      }
    }
    if (!changed) this.unchanged++;
  }

  build(): SbomDiff {
    const byComponent = <T extends { key: string; name: string }>(version: (x: T) => string) => (a: T, b: T) =>
      compareStrings(a.name, b.name) || compareStrings(a.key, b.key) || compareStrings(version(a), version(b));
    const added = this.added.sort(byComponent((x) => x.version));
    const removed = this.removed.sort(byComponent((x) => x.version));
    const upgraded = this.upgraded.sort(byComponent((x) => x.from));
    const downgraded = this.downgraded.sort(byComponent((x) => x.from));
    const licenseChanged = this.licenseChanged.sort(byComponent((x) => x.version));
    const hashMismatch = this.hashMismatch.sort(byComponent((x) => x.version));
    return {
      summary: {
        added: added.length,
        removed: removed.length,
        upgraded: upgraded.length,
        downgraded: downgraded.length,
        license: licenseChanged.length,
        "hash-mismatch": hashMismatch.length,
        unchanged: this.unchanged,
      },
      added,
      removed,
      upgraded,
      downgraded,
      licenseChanged,
      hashMismatch,
    };
  }
}

/**
 * Per algorithm both sides state: no digest in common means different bytes under the same name and version.
 * (An algorithm only one side states proves nothing; one shared digest among several means the same artifact
 * was also seen in another build, e.g. per platform, so it is not a substitution.)
 */
function digestMismatches(old: readonly Hash[], next: readonly Hash[]): DigestMismatch[] {
  const out: DigestMismatch[] = [];
  const byAlg = (hashes: readonly Hash[]) => {
    const map = new Map<HashAlgorithm, Set<string>>();
    for (const h of hashes) {
      let set = map.get(h.alg);
      if (!set) map.set(h.alg, (set = new Set()));
      set.add(h.content.toLowerCase());
    }
    return map;
  };
  const a = byAlg(old);
  const b = byAlg(next);
  for (const [alg, digests] of [...a.entries()].sort(([x], [y]) => compareStrings(x, y))) {
    const other = b.get(alg);
    if (!other || [...digests].some((d) => other.has(d))) continue;
    out.push({ algorithm: alg, old: [...digests].sort(), new: [...other].sort() });
  }
  return out;
}

function describe(e: Entry): DiffComponent {
  const out: DiffComponent = { key: e.key, name: e.name, version: e.component.version, ecosystem: e.component.ecosystem, licenses: e.licenses };
  if (e.component.purl !== undefined) out.purl = e.component.purl;
  return out;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
