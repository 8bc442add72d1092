import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import { VouchError } from "../core/errors.js";
import { readSbom } from "../sbom/read/index.js";
import type { AdvisoryStore, IndexComponent, IndexComponentHit, IndexCurrentDeployment, IndexStore } from "../store/ports.js";
import { canonicalTimestamp } from "../core/time.js";
import type { OsvRecord } from "../vuln/osv/parse.js";
import { matchRecord } from "../vuln/match.js";
import { indexComponent, queryPurl, rangeTypes, schemeForPurlType, subjectDigest } from "./keys.js";
import { inRange, parseRange, rangeVersions, type VersionRange } from "./range.js";
import type {
  AffectedArtifact,
  AffectedQuery,
  AffectedResult,
  Digest,
  IndexService,
  IngestDeploymentRequest,
  IngestDeploymentResult,
  IngestSbomRequest,
  IngestSbomResult,
} from "./types.js";
import { byCodeUnits } from "./order.js";

/**
 * The SBOM index service (types.ts IndexService) over an IndexStore and, for advisory queries, the advisory store.
 *
 * Ingest reads the document with the foundation's reader (every SPDX 2.2/2.3 and CycloneDX 1.4-1.7 JSON it reads is
 * accepted; anything else is refused with the reader's reason), computes each component's lookup keys (keys.ts) and
 * hands the store one all-or-nothing write, idempotent by the sha256 of the bytes.
 *
 * An impact query is: the key (purl → purl key; name → lower-cased name; advisory → the OSV packages it affects) →
 * the store's component rows → a version filter here, in the ecosystem's own order (range.ts over
 * src/vuln/versions; advisories through the matcher, src/vuln/match.ts) → SBOMs grouped as artifacts → the current
 * deployments of their digests.
 */

export interface IndexServiceOptions {
  store: IndexStore;
  /** For `advisory` queries; without it they are refused. */
  advisories?: AdvisoryStore;
  /** Default: the system clock. */
  clock?: () => Date;
  /** SBOMs with more components are refused (INPUT_TOO_LARGE). Default DEFAULT_MAX_COMPONENTS. */
  maxComponents?: number;
}

/** Dependency-Track's largest real-world SBOMs hold tens of thousands of components; a million is refused by default. */
export const DEFAULT_MAX_COMPONENTS = 500_000;

/** Longest service, environment or version accepted. */
const MAX_NAME = 256;
/** Longest `by`: a CI identity is "oidc:<issuer>#<subject>", and GitLab subjects carry the whole project path. */
const MAX_BY = 2048;

export function createIndexService(options: IndexServiceOptions): IndexService {
  const { store, advisories } = options;
  const clock = options.clock ?? (() => new Date());
  const maxComponents = options.maxComponents ?? DEFAULT_MAX_COMPONENTS;

  async function ingestSbom(request: IngestSbomRequest): Promise<IngestSbomResult> {
    const service = label(request.service, "service");
    const by = label(request.by, "by");
    const version = request.version === undefined || request.version === "" ? undefined : label(request.version, "version");
    const given = request.digest === undefined ? undefined : digest(request.digest, "digest");
    const { received } = request;
    const text = received?.text ?? utf8(request.bytes);
    const read = readSbom(text, "the SBOM", received === undefined ? undefined : { json: received.json });
    if (read.sbom.components.length > maxComponents) {
      throw new VouchError("INPUT_TOO_LARGE", `the SBOM has ${read.sbom.components.length} components; this index takes at most ${maxComponents} per SBOM`);
    }
    const components: IndexComponent[] = read.sbom.components.map(indexComponent);
    const withoutPurl = components.filter((c) => c.purlKey === undefined).length;
    const id = received?.sha256 ?? (`sha256:${createHash("sha256").update(request.bytes).digest("hex")}` as Digest);
    const subject = given ?? subjectDigest(read);
    const { sbom, created } = await store.ingestSbom({
      sbom: {
        id,
        service,
        ...(version === undefined ? {} : { version }),
        ...(subject === undefined ? {} : { digest: subject }),
        format: read.format,
        specVersion: read.specVersion,
        components: components.length,
        withoutPurl,
        ingestedAt: clock().toISOString(),
        ingestedBy: by,
      },
      document: request.bytes,
      components,
    });
    const result: IngestSbomResult = {
      id: sbom.id as Digest,
      created,
      service: sbom.service,
      format: sbom.format,
      specVersion: sbom.specVersion,
      components: sbom.components,
      withoutPurl: sbom.withoutPurl,
    };
    if (sbom.version !== undefined) result.version = sbom.version;
    if (sbom.digest !== undefined) result.digest = sbom.digest as Digest;
    return result;
  }

  async function ingestDeployment(request: IngestDeploymentRequest): Promise<IngestDeploymentResult> {
    const service = label(request.service, "service");
    const environment = label(request.environment, "environment");
    const by = label(request.by, "by");
    const artifact = digest(request.digest, "digest");
    const source = request.source === undefined ? "push" : label(request.source, "source");
    const now = clock().toISOString();
    const at = request.at ?? now;
    // The id is the event's content (the instant canonicalised), so a retried push is the same event.
    const canonicalAt = canonicalTimestamp(at, "at");
    const id = `sha256:${createHash("sha256").update(JSON.stringify([service, environment, artifact, canonicalAt])).digest("hex")}`;
    const { created } = await store.ingestDeployment({ id, service, environment, digest: artifact, deployedAt: at, source, by, recordedAt: now });
    return { id, created };
  }

  async function affected(query: AffectedQuery): Promise<AffectedResult> {
    const started = performance.now();
    const asked = [query.purl, query.name, query.advisory].filter((x) => x !== undefined && x !== "").length;
    if (asked !== 1) throw new VouchError("INPUT_USAGE", "an impact query names exactly one of purl, name or advisory");
    const range = query.range === undefined || query.range === "" ? undefined : parseRange(query.range);
    let hits: IndexComponentHit[];
    const notes: string[] = [];
    if (query.purl !== undefined && query.purl !== "") {
      hits = await byPurl(query.purl, range, notes);
    } else if (query.name !== undefined && query.name !== "") {
      hits = await byName(query.name, range, notes);
    } else {
      if (range !== undefined) throw new VouchError("INPUT_USAGE", "an advisory query takes its versions from the advisory: give no range");
      hits = await byAdvisory(query.advisory!);
    }
    const page = pageOf(query);
    const grouped = groupBySbom(hits);
    const digests = digestsOf(grouped);
    // Every artifact's deployments when the answer needs them all (deployedOnly filters on them) or the page holds
    // them all anyway (one query); else where the answer runs is asked of the store without the rows, and the rows
    // are read for the page's artifacts only.
    const whole = query.deployedOnly === true || page.limit === undefined || digests.length <= page.limit;
    let scopes: { services: string[]; environments: string[] } | undefined;
    if (whole) await attachDeployments(grouped);
    else scopes = digests.length === 0 ? { services: [], environments: [] } : await store.currentDeploymentScopes(digests);
    const found = inAnswerOrder(grouped, query.deployedOnly === true);
    // Found artifacts are in (service, version, SBOM id) order, a total order: a page starts after the cursor's key.
    const start = page.after === undefined ? 0 : found.findIndex((f) => compareArtifactKeys(foundKey(f), page.after!) > 0);
    const from = start < 0 ? found.length : start;
    const shown = page.limit === undefined ? found.slice(from) : found.slice(from, from + page.limit);
    if (!whole) await attachDeployments(shown);
    scopes ??= scopesOf(found);
    const result: AffectedResult = {
      query,
      artifacts: shown.map(toArtifact),
      total: found.length,
      services: scopes.services,
      environments: scopes.environments,
      tookMs: Math.round((performance.now() - started) * 100) / 100,
    };
    if (page.limit !== undefined && from + shown.length < found.length) result.next = encodeCursor(foundKey(shown.at(-1)!));
    if (notes.length > 0) result.notes = notes;
    return result;
  }

  async function byPurl(text: string, range: VersionRange | undefined, notes: string[]): Promise<IndexComponentHit[]> {
    const { key, version } = queryPurl(text);
    if (version !== undefined && range !== undefined) throw new VouchError("INPUT_USAGE", "give a version in the purl or a range, not both");
    const scheme = schemeForPurlType(key.type);
    if (range !== undefined && scheme === undefined) {
      throw new VouchError("INPUT_USAGE", `a version range needs the ecosystem's version order, and vouch has none for purl type "${key.type}" (it has: ${rangeTypes().join(", ")})`);
    }
    if (range !== undefined && scheme !== undefined) checkBounds(range, scheme, key.type);
    // Only what the answer reads (name, versions, purl): the store's covering purl index answers it alone.
    const hits = await store.findComponents({ purl: key }, { fields: "impact" });
    if (version === undefined && range === undefined) return hits;
    const compare = scheme === undefined ? undefined : (a: string, b: string) => scheme.compare(a, b);
    const exact = version === undefined ? undefined : parseRange(`=${version}`);
    return filterVersions(hits, memoByVersion((v) => {
      // Without a scheme an exact version is compared as text: the purl spec's own equality.
      if (compare === undefined) return v === version;
      return inRange((range ?? exact)!, v, compare);
    }), notes);
  }

  async function byName(name: string, range: VersionRange | undefined, notes: string[]): Promise<IndexComponentHit[]> {
    const trimmed = name.trim();
    if (trimmed === "" || trimmed.length > 1024) throw new VouchError("INPUT_USAGE", "a component name is 1 to 1024 characters");
    const hits = await store.findComponents({ nameLower: trimmed.toLowerCase() }, { fields: "impact" });
    if (range === undefined) return hits;
    // A name spans ecosystems: each component is compared in its own purl type's order; without one it cannot be.
    let unordered = 0;
    const inRangeOf = new Map<string, (version: string) => boolean>();
    const kept = filterVersions(hits, (v, hit) => {
      const type = hit.component.purlKey?.type;
      const scheme = type === undefined ? undefined : schemeForPurlType(type);
      if (type === undefined || scheme === undefined) {
        unordered++;
        return false;
      }
      let keep = inRangeOf.get(type);
      if (keep === undefined) inRangeOf.set(type, (keep = memoByVersion((version) => inRange(range, version, (a, b) => scheme.compare(a, b)))));
      return keep(v);
    }, notes);
    if (unordered > 0) notes.push(`${unordered} component${unordered === 1 ? "" : "s"} named so left out: no purl type with a version order to evaluate the range in`);
    return kept;
  }

  async function byAdvisory(id: string): Promise<IndexComponentHit[]> {
    const trimmed = id.trim();
    if (trimmed === "" || trimmed.length > 256) throw new VouchError("INPUT_USAGE", "an advisory id is 1 to 256 characters");
    if (advisories === undefined) throw new VouchError("INPUT_USAGE", "advisory queries need the advisory database, and this index has none (vouch db import)");
    const records = (await advisories.findById(trimmed)).filter((r) => r.withdrawn === undefined);
    if (records.length === 0) throw new VouchError("INPUT_NOT_FOUND", `no advisory ${JSON.stringify(trimmed)} in the advisory database (or only withdrawn ones)`);
    const keys = new Map<string, { ecosystem: string; name: string }>();
    for (const r of records) {
      for (const a of r.affected) {
        if (a.package !== undefined) keys.set(`${a.package.parsedEcosystem.ecosystem}\u0000${a.package.normalizedName}`, { ecosystem: a.package.parsedEcosystem.ecosystem, name: a.package.normalizedName });
      }
    }
    const hits = keys.size === 0 ? [] : await store.findComponents({ osv: [...keys.values()] });
    return hits.filter((hit) => records.some((record) => affects(record, hit.component)));
  }

  function checkBounds(range: VersionRange, scheme: { name: string; compare(a: string, b: string): number }, type: string): void {
    for (const v of rangeVersions(range)) {
      try {
        scheme.compare(v, v);
      } catch (err) {
        throw new VouchError("INPUT_MALFORMED", `version range ${JSON.stringify(range.text)}: ${JSON.stringify(v)} is not a ${scheme.name} version (purl type ${type})`, { cause: err });
      }
    }
  }

  /** Each artifact's current deployments (those of its SBOM's digest), read in one query for all of them. */
  async function attachDeployments(artifacts: readonly FoundArtifact[]): Promise<void> {
    const digests = digestsOf(artifacts);
    if (digests.length === 0) return;
    const byDigest = new Map<string, IndexCurrentDeployment[]>();
    for (const d of await store.currentDeployments(digests)) {
      const list = byDigest.get(d.digest);
      if (list === undefined) byDigest.set(d.digest, [d]);
      else list.push(d);
    }
    for (const f of artifacts) if (f.sbom.digest !== undefined) f.deployments = byDigest.get(f.sbom.digest) ?? NO_DEPLOYMENTS;
  }

  return {
    ingestSbom,
    ingestDeployment,
    affected,
    ready: async () => {
      try {
        await store.ping();
        return true;
      } catch {
        return false;
      }
    },
    close: async () => {
      await store.close();
      await advisories?.close();
    },
  };
}

/**
 * Keeps hits whose version `keep` accepts: the purl's version when the component's purl has one (the one the package
 * URL names, as the vulnerability matcher takes it), else the SBOM's version field. A component without a version,
 * or with one its scheme cannot read, is left out and counted.
 */
function filterVersions(hits: IndexComponentHit[], keep: (version: string, hit: IndexComponentHit) => boolean, notes: string[]): IndexComponentHit[] {
  let noVersion = 0;
  let unreadable = 0;
  const out = hits.filter((hit) => {
    const v = hit.component.purlVersion ?? hit.component.version;
    if (v === undefined) {
      noVersion++;
      return false;
    }
    try {
      return keep(v, hit);
    } catch (err) {
      if (!(err instanceof VouchError)) throw err;
      unreadable++;
      return false;
    }
  });
  if (noVersion > 0) notes.push(`${noVersion} matching component${noVersion === 1 ? "" : "s"} without a version left out`);
  if (unreadable > 0) notes.push(`${unreadable} matching component${unreadable === 1 ? "" : "s"} whose version the ecosystem's scheme cannot read left out`);
  return out;
}

/**
 * `keep` remembered per version string, throws included: a popular package's thousands of hits share a few dozen
 * versions, and each range check parses both versions in the ecosystem's scheme (Maven's is the costly one).
 */
function memoByVersion(keep: (version: string) => boolean): (version: string) => boolean {
  const seen = new Map<string, boolean | VouchError>();
  return (version) => {
    let answer = seen.get(version);
    if (answer === undefined) {
      try {
        answer = keep(version);
      } catch (err) {
        if (!(err instanceof VouchError)) throw err;
        answer = err;
      }
      seen.set(version, answer);
    }
    if (answer instanceof VouchError) throw answer;
    return answer;
  };
}

/** Whether an advisory affects a component: the matcher on the component's OSV package and version. */
function affects(record: OsvRecord, c: IndexComponent): boolean {
  const key = c.osvKey;
  const version = key?.version ?? c.version;
  if (key === undefined || version === undefined) return false;
  const osvKey = { ecosystem: key.ecosystem, name: key.name, version, notes: [] as string[], ...(key.release === undefined ? {} : { release: key.release }) };
  return matchRecord(record, osvKey).length > 0;
}

/** A service, environment, version, source or `by`: one line of text, as data (any characters but controls). */
function label(value: unknown, what: string, max = what === "by" ? MAX_BY : MAX_NAME): string {
  if (typeof value !== "string" || value.trim() === "") throw new VouchError("INPUT_USAGE", `${what} is required`);
  if (value.length > max) throw new VouchError("INPUT_USAGE", `${what} is at most ${max} characters`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new VouchError("INPUT_USAGE", `${what} contains a control character`);
  return value;
}

function digest(value: string, what: string): Digest {
  if (typeof value !== "string" || !/^sha256:[0-9a-f]{64}$/.test(value)) {
    throw new VouchError("INPUT_USAGE", `${what} must be sha256:<64 lower-case hex digits>, not ${JSON.stringify(String(value).slice(0, 80))}`);
  }
  return value as Digest;
}

/** Largest page of an impact answer. */
export const MAX_AFFECTED_LIMIT = 10_000;

type ArtifactKey = [service: string, version: string, sbom: string];

/** An artifact of an impact answer before it is shaped for the answer: its SBOM, its hits, its current deployments. */
interface FoundArtifact {
  sbom: IndexComponentHit["sbom"];
  hits: IndexComponentHit[];
  /** Shared with other SBOMs of the same digest: copied by toArtifact, never changed. */
  deployments: readonly IndexCurrentDeployment[];
}

const NO_DEPLOYMENTS: readonly IndexCurrentDeployment[] = [];

/**
 * The hits grouped by SBOM (an artifact each), in findComponents' order (SBOM id), none with deployments yet. That
 * order puts one SBOM's hits next to each other, so grouping is one pass without a map (a popular package's answer
 * has thousands of SBOMs); an answer out of that order is the store's fault, refused rather than answered wrong.
 */
function groupBySbom(hits: readonly IndexComponentHit[]): FoundArtifact[] {
  const out: FoundArtifact[] = [];
  let last: FoundArtifact | undefined;
  for (const hit of hits) {
    if (last !== undefined && hit.sbom.id === last.sbom.id) {
      last.hits.push(hit);
      continue;
    }
    if (last !== undefined && byCodeUnits(last.sbom.id, hit.sbom.id) > 0) throw new VouchError("STORE_CORRUPT", "the index store answered component hits out of SBOM id order");
    last = { sbom: hit.sbom, hits: [hit], deployments: NO_DEPLOYMENTS };
    out.push(last);
  }
  return out;
}

/** The artifact digests of these artifacts (SBOMs without one have none); the store takes repeats as one. */
function digestsOf(artifacts: readonly FoundArtifact[]): string[] {
  const out: string[] = [];
  for (const f of artifacts) if (f.sbom.digest !== undefined) out.push(f.sbom.digest);
  return out;
}

/**
 * The artifacts in (service, version, SBOM id) order (with `deployedOnly`, those deployed somewhere only). Only the
 * page asked for becomes answer objects (toArtifact): a popular package's answer has thousands of artifacts (8,905 at
 * 3M rows) and building every one of them cost more than the store's lookup. The services are sorted once, and
 * within a service the artifacts, already in SBOM id order (groupBySbom's), sorted stably (Array.prototype.sort is
 * stable) by version alone; one sort of every artifact with a three-key string comparator cost several times more.
 */
function inAnswerOrder(artifacts: readonly FoundArtifact[], deployedOnly: boolean): FoundArtifact[] {
  const byService = new Map<string, FoundArtifact[]>();
  for (const f of artifacts) {
    if (deployedOnly && f.deployments.length === 0) continue;
    const group = byService.get(f.sbom.service);
    if (group === undefined) byService.set(f.sbom.service, [f]);
    else group.push(f);
  }
  const out: FoundArtifact[] = [];
  for (const service of [...byService.keys()].sort(byCodeUnits)) {
    const group = byService.get(service)!;
    if (group.length > 1) group.sort((x, y) => byCodeUnits(x.sbom.version ?? "", y.sbom.version ?? ""));
    for (const f of group) out.push(f);
  }
  return out;
}

/** The services and environments the artifacts' deployments name, each sorted. */
function scopesOf(artifacts: readonly FoundArtifact[]): { services: string[]; environments: string[] } {
  const services = new Set<string>();
  const environments = new Set<string>();
  for (const f of artifacts) {
    for (const d of f.deployments) {
      services.add(d.service);
      environments.add(d.environment);
    }
  }
  return { services: [...services].sort(byCodeUnits), environments: [...environments].sort(byCodeUnits) };
}

/** The answer's shape of a found artifact: fresh objects (callers own what they are given). */
function toArtifact(f: FoundArtifact): AffectedArtifact {
  const a: AffectedArtifact = { service: f.sbom.service, sbom: f.sbom.id as Digest, components: [], deployments: [] };
  if (f.sbom.version !== undefined) a.version = f.sbom.version;
  if (f.sbom.digest !== undefined) a.digest = f.sbom.digest as Digest;
  for (const hit of f.hits) {
    const c: AffectedArtifact["components"][number] = { name: hit.component.name };
    if (hit.component.purl !== undefined) c.purl = hit.component.purl;
    if (hit.component.version !== undefined) c.version = hit.component.version;
    a.components.push(c);
  }
  for (const d of f.deployments) a.deployments.push({ service: d.service, environment: d.environment, deployedAt: d.deployedAt });
  return a;
}

function foundKey(f: FoundArtifact): ArtifactKey {
  return [f.sbom.service, f.sbom.version ?? "", f.sbom.id];
}

function compareArtifactKeys(x: ArtifactKey, y: ArtifactKey): number {
  return byCodeUnits(x[0], y[0]) || byCodeUnits(x[1], y[1]) || byCodeUnits(x[2], y[2]);
}

/** A cursor is the last artifact's key, base64url JSON: opaque to clients, checked when it comes back. */
function encodeCursor(key: ArtifactKey): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

function pageOf(query: AffectedQuery): { limit?: number; after?: ArtifactKey } {
  const out: { limit?: number; after?: ArtifactKey } = {};
  if (query.limit !== undefined) {
    if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_AFFECTED_LIMIT) throw new VouchError("INPUT_USAGE", `limit is a whole number from 1 to ${MAX_AFFECTED_LIMIT}, not ${String(query.limit)}`);
    out.limit = query.limit;
  }
  if (query.cursor !== undefined && query.cursor !== "") {
    let key: unknown;
    try {
      key = JSON.parse(Buffer.from(query.cursor, "base64url").toString("utf8"));
    } catch {
      key = undefined;
    }
    if (!Array.isArray(key) || key.length !== 3 || !key.every((k) => typeof k === "string")) throw new VouchError("INPUT_USAGE", "cursor is not one this server gave (pass the `next` of the page before)");
    out.after = key as ArtifactKey;
  }
  return out;
}

function utf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (err) {
    throw new VouchError("INPUT_MALFORMED", "the SBOM is not UTF-8 text", { cause: err });
  }
}
