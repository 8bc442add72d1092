import { randomUUID } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { posix } from "node:path";
import { VouchError } from "../core/errors.js";
import { readSbom } from "../sbom/read/index.js";
import type { Component, Sbom } from "../sbom/model/types.js";
import type { AdvisoryPackageKey, AdvisoryScanStatus, AdvisoryStore, EpssScore, KevEntry } from "../store/ports.js";
import { SEVERITY_ORDER, isSuppressed, type Finding, type SeverityBucket } from "../vuln/findings.js";
import { evaluateGate, type GateResult } from "../vuln/gate.js";
import { renderTable, toCycloneDxVex, toJsonReport, toSarif } from "../vuln/report/index.js";
import { cveIds, findingsFrom, matchedIds, matchPlan, planScan, scanCounts, unscoredCveIds, type ScanComponent, type ScanCounts, type ScanPlan } from "../vuln/scan.js";
import { applyVex, parseVexJson, type VexDocument } from "../vuln/vex/index.js";
import { VOUCH_VERSION } from "../version.js";
import { readTextFile } from "./files.js";
import { generateImageSbom, generateSbom, isImageReference, type GenerateImageSbomOptions } from "./sbom.js";

/**
 * `vouch scan SBOM|DIR|IMAGE`: what grype and osv-scanner do, over vouch's advisory database (`vouch db import`).
 * The target is read into vouch's SBOM model (an SPDX or CycloneDX JSON file as any tool wrote it; a directory or
 * an image cataloged in memory, as `vouch sbom` would), its components matched by src/vuln/scan.ts against the
 * records the store finds for their packages (one batched lookup), enriched with EPSS and KEV, VEX statements
 * applied, then the gates (src/vuln/gate.ts) and a writer (src/vuln/report).
 */

export type ScanOutputFormat = "table" | "json" | "sarif" | "cyclonedx-vex";
export const SCAN_OUTPUT_FORMATS: readonly ScanOutputFormat[] = ["table", "json", "sarif", "cyclonedx-vex"];

export function parseScanOutputFormat(text: string): ScanOutputFormat {
  if (!(SCAN_OUTPUT_FORMATS as readonly string[]).includes(text)) {
    throw new VouchError("INPUT_USAGE", `-o ${text}: use one of ${SCAN_OUTPUT_FORMATS.join(", ")}`);
  }
  return text as ScanOutputFormat;
}

export interface ScanTarget {
  readonly kind: "sbom" | "directory" | "image";
  /** As the caller named it. */
  readonly name: string;
  readonly sbom: Sbom;
  readonly components: readonly ScanComponent[];
  /** Reader or cataloger warnings, one line each ("file:line: message"). */
  readonly warnings: readonly string[];
  /** How many warnings there were in all (`warnings` may hold only the first ones). */
  readonly warningCount: number;
}

export type ReadScanTargetOptions = GenerateImageSbomOptions;

/**
 * Read what `vouch scan` was pointed at: an image reference (oci-dir:, oci-archive:, docker-archive:, rootfs:,
 * registry:), a directory (cataloged in memory), or an SBOM file (SPDX 2.2/2.3 or CycloneDX 1.4–1.7 JSON).
 *
 * @example
 * const target = await readScanTarget("sbom.cdx.json");
 */
export async function readScanTarget(target: string, options: ReadScanTargetOptions = {}): Promise<ScanTarget> {
  const image = isImageReference(target) ? target : !existsSync(target) && namesRegistry(target) ? `registry:${target}` : undefined;
  if (image !== undefined) {
    const generated = await generateImageSbom(image, options);
    const warnings = generated.warnings.map((w) => `${w.file}${w.line !== undefined ? `:${w.line}` : ""}: ${w.message}`);
    return { kind: "image", name: target, sbom: generated.sbom, components: generated.sbom.components.map((c) => fromModel(c)), warnings, warningCount: warnings.length };
  }
  let isDir: boolean;
  try {
    isDir = statSync(target).isDirectory();
  } catch {
    throw new VouchError("INPUT_NOT_FOUND", "no such file, directory or image reference (images: oci-dir:, oci-archive:, docker-archive:, rootfs:, registry:)", { file: target });
  }
  if (isDir) {
    const generated = generateSbom(target, options);
    const warnings = generated.warnings.map((w) => `${w.file}${w.line !== undefined ? `:${w.line}` : ""}: ${w.message}`);
    // Lockfile paths relative to where the scan was started, for SARIF locations (code scanning wants repository paths).
    const base = posix.normalize(target.replace(/\\/g, "/"));
    const location = (c: Component) => (c.foundIn[0] === undefined ? undefined : posix.normalize(posix.join(base, c.foundIn[0])));
    return { kind: "directory", name: target, sbom: generated.sbom, components: generated.sbom.components.map((c) => fromModel(c, location(c))), warnings, warningCount: warnings.length };
  }
  return sbomScanTarget(readTextFile(target), target);
}

/**
 * An SBOM's text (SPDX 2.2/2.3 or CycloneDX 1.4–1.7 JSON) as a scan target: a file's, or one read from a registry
 * (an image's SBOM attestation or referrer, for a policy's vulnerability rule). `name` names it in warnings.
 */
export function sbomScanTarget(text: string, name: string): ScanTarget {
  const read = readSbom(text, name);
  const invalid = new Map(read.components.filter((f) => f.purl === "invalid").map((f) => [f.bomRef, f.purlText ?? ""]));
  const components = read.sbom.components.map((c) => {
    const bad = invalid.get(c.bomRef);
    const sc = fromModel(c);
    return bad === undefined ? sc : { ...sc, invalidPurl: bad };
  });
  const warnings = read.warnings.map((w) => `${name}${w.line !== undefined ? `:${w.line}` : ""}: ${w.path}: ${w.message}`);
  return { kind: "sbom", name, sbom: read.sbom, components, warnings, warningCount: read.warningCount };
}

/**
 * A reference that names its registry (`localhost:5000/app:1`, `ghcr.io/org/app@sha256:…`) and is no path on disk.
 * A bare name such as `app` stays a file name (it would otherwise quietly mean docker.io/library/app: write
 * `registry:app` for that), as the image verbs read their arguments.
 */
function namesRegistry(ref: string): boolean {
  const first = ref.split("/")[0] ?? "";
  return ref.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost") && !first.startsWith(".") && !/^[a-z][a-z0-9+-]*:$/i.test(first);
}

/** "group:artifact" for Maven, "@scope/name" for npm, the module path for Go: the name as its ecosystem writes it. */
function displayName(c: Component): string {
  const group = c.group;
  if (group === undefined || group === "" || c.name.startsWith(`${group}/`) || c.name.startsWith(`${group}:`)) return c.name;
  if (c.ecosystem === "maven") return `${group}:${c.name}`;
  if (c.ecosystem === "npm" || c.ecosystem === "golang" || c.ecosystem === "composer") return `${group}/${c.name}`;
  return c.name;
}

function fromModel(c: Component, location?: string): ScanComponent {
  return {
    bomRef: c.bomRef,
    name: displayName(c),
    version: c.version,
    ...(c.purl !== undefined ? { purl: c.purl } : {}),
    ...(c.properties.length > 0 ? { properties: c.properties } : {}),
    ...(location !== undefined ? { location } : {}),
  };
}

export interface ScanOptions {
  /** VEX files (OpenVEX or CycloneDX VEX JSON), applied in order (the latest statement wins). */
  readonly vexFiles?: readonly string[];
  /** VEX documents already parsed, applied after the files. */
  readonly vexDocuments?: readonly VexDocument[];
  readonly failOn?: SeverityBucket;
  readonly failOnKev?: boolean;
  readonly onlyFixed?: boolean;
  /** scanMany: distinct packages looked up per round (default KEYS_PER_BATCH); bounds the memory a fleet scan holds. */
  readonly keysPerBatch?: number;
}

export interface ScanResult {
  readonly target: { readonly kind: ScanTarget["kind"]; readonly name: string };
  /** The scanned artifact (the SBOM's subject). */
  readonly subject: Component;
  readonly plan: ScanPlan;
  /** Every finding, VEX applied (before --only-fixed). */
  readonly findings: readonly Finding[];
  /** The gates' verdict; `gate.reported` is what the writers print. */
  readonly gate: GateResult;
  readonly counts: ScanCounts;
  /** Things that limit what could match, and what VEX parsing left out. */
  readonly notes: readonly string[];
}

/**
 * Match a target's components against the advisory database.
 *
 * @example
 * const { store } = await openAdvisoryStore(config, dataDir);
 * const result = await scan(store, await readScanTarget("sbom.cdx.json"), { failOn: "high" });
 * process.stdout.write(renderScan(result, "table"));
 * if (result.gate.failed) process.exitCode = 1;
 */
export async function scan(store: AdvisoryStore, target: ScanTarget, options: ScanOptions = {}): Promise<ScanResult> {
  return (await scanMany(store, [target], options))[0]!;
}

/**
 * Match many targets in one call (the index use case: every SBOM of a fleet): the advisory database is asked once for
 * the union of their packages, alias groups and EPSS/KEV rows, so the cost grows with the number of distinct
 * packages, not with the number of SBOMs. Results are in the targets' order, each as `scan` gives it.
 */
export async function scanMany(store: AdvisoryStore, targets: readonly ScanTarget[], options: ScanOptions = {}): Promise<ScanResult[]> {
  // VEX files first: a typo in a VEX path should fail before the database is read.
  const vex: VexDocument[] = (options.vexFiles ?? []).map((file) => {
    const text = readTextFile(file);
    try {
      return parseVexJson(text);
    } catch (e) {
      if (e instanceof VouchError && e.location.file === undefined) throw new VouchError(e.code, e.message, { cause: e, file });
      throw e;
    }
  });
  vex.push(...(options.vexDocuments ?? []));

  const plans = targets.map((target) => planScan(target.components));
  const results: ScanResult[] = [];
  let status: AdvisoryScanStatus | undefined;
  const scanStatus = async () => (status ??= await store.scanStatus());
  for (const batch of batchesByKeys(plans, options.keysPerBatch ?? KEYS_PER_BATCH)) {
    results.push(...(await scanBatch(store, batch.map((i) => ({ target: targets[i]!, plan: plans[i]! })), vex, options, scanStatus)));
  }
  return results;
}

/**
 * Distinct advisory keys asked for in one round of lookups. A fleet's SBOMs share most of their packages, so one
 * round per few thousand keys keeps the lookups few, while the records and matches in memory at once stay bounded
 * (one round for all of 1,000 SBOMs held every record and match at once: 2.9 GiB, and slower than a loop).
 */
const KEYS_PER_BATCH = 5000;

/** Consecutive runs of target indexes whose plans together name at most `maxKeys` distinct keys (at least one target each). */
function batchesByKeys(plans: readonly ScanPlan[], maxKeys: number): number[][] {
  const batches: number[][] = [];
  let current: number[] = [];
  let keys = new Set<string>();
  plans.forEach((plan, i) => {
    const mine = plan.keys.map((k) => `${k.ecosystem}\u0000${k.name}`);
    const added = mine.filter((k) => !keys.has(k)).length;
    if (current.length > 0 && keys.size + added > maxKeys) {
      batches.push(current);
      current = [];
      keys = new Set();
    }
    current.push(i);
    for (const k of mine) keys.add(k);
  });
  if (current.length > 0) batches.push(current);
  return batches;
}

/** One round of lookups for a batch of targets: the union of their packages, alias groups and EPSS/KEV rows. */
async function scanBatch(
  store: AdvisoryStore,
  batch: readonly { target: ScanTarget; plan: ScanPlan }[],
  vex: readonly VexDocument[],
  options: ScanOptions,
  scanStatus: () => Promise<AdvisoryScanStatus>,
): Promise<ScanResult[]> {
  const union = new Map<string, AdvisoryPackageKey>();
  const keyId = (k: AdvisoryPackageKey) => `${k.ecosystem}\u0000${k.name}`;
  for (const { plan } of batch) for (const key of plan.keys) union.set(keyId(key), key);
  const unionKeys = [...union.values()];
  const found = unionKeys.length > 0 ? await store.findByPackages(unionKeys) : [];
  const recordsByKey = new Map(unionKeys.map((key, i) => [keyId(key), found[i] ?? []]));
  const raws = batch.map(({ plan }) => matchPlan(plan, plan.keys.map((key) => recordsByKey.get(keyId(key)) ?? [])));
  const allRaw = raws.flat();
  const ids = matchedIds(allRaw);
  const aliasGroups = ids.length > 0 ? await store.aliasGroups(ids) : [];
  const cves = cveIds(allRaw, aliasGroups);
  const [epss, kev]: [EpssScore[], KevEntry[]] = cves.length > 0 ? await Promise.all([store.findEpss(cves), store.findKev(cves)]) : [[], []];
  // The status is read only when it matters: the EPSS score date, or telling "nothing found" from "nothing to
  // search" (an empty database must not pass a gate as a clean SBOM would).
  const status = epss.length > 0 || allRaw.length === 0 ? await scanStatus() : undefined;
  if (status !== undefined && !status.holdsRecords) {
    throw new VouchError("INPUT_NOT_FOUND", "the advisory database is empty: import OSV records first (vouch db import PATH…)");
  }
  // Distro advisories carry no CVSS vector: their upstream CVE records (when held) score them.
  const unscored = unscoredCveIds(allRaw);
  const upstream = unscored.length > 0 ? await store.findByIds(unscored) : [];
  const enrichment = { aliasGroups, epss, kev, upstream, ...(status?.feeds.epss?.date !== undefined ? { epssDate: status.feeds.epss.date } : {}) };

  return batch.map(({ target, plan }, i) => {
    let findings = findingsFrom(raws[i]!, enrichment);
    const subject = target.sbom.metadata.root;
    if (vex.length > 0) {
      const products = [subject.purl, subject.bomRef].filter((x): x is string => x !== undefined && x !== "");
      findings = applyVex(findings, vex, { products });
    }
    const gate = evaluateGate(findings, {
      ...(options.failOn !== undefined ? { failOn: options.failOn } : {}),
      ...(options.failOnKev ? { failOnKev: true } : {}),
      ...(options.onlyFixed ? { onlyFixed: true } : {}),
    });
    const notes = [...plan.notes, ...vex.flatMap((d) => d.notes.map((n) => `VEX ${d.id}: ${n}`))];
    return { target: { kind: target.kind, name: target.name }, subject, plan, findings, gate, counts: scanCounts(plan, gate.reported.filter((f) => !isSuppressed(f))), notes };
  });
}

export interface RenderScanOptions {
  /** Table: list findings VEX marks not_affected too. */
  readonly showSuppressed?: boolean;
  /** CycloneDX: the document's time (default now) and serial number (default random). */
  readonly now?: () => Date;
  readonly serialNumber?: string;
}

/** The scan's findings in one of the output formats (what goes to stdout). */
export function renderScan(result: ScanResult, format: ScanOutputFormat, options: RenderScanOptions = {}): string {
  const reported = result.gate.reported;
  switch (format) {
    case "table":
      return renderTable(reported, { showSuppressed: options.showSuppressed ?? false });
    case "json":
      return `${JSON.stringify(toScanJson(result), null, 2)}\n`;
    case "sarif":
      return `${JSON.stringify(toSarif(reported, { toolVersion: VOUCH_VERSION, ...(result.target.kind === "directory" ? {} : { artifactUri: result.target.name }) }), null, 2)}\n`;
    case "cyclonedx-vex": {
      const s = result.subject;
      const bom = toCycloneDxVex(reported, {
        serialNumber: options.serialNumber ?? `urn:uuid:${randomUUID()}`,
        timestamp: (options.now ?? (() => new Date()))().toISOString().replace(/\.\d{3}Z$/, "Z"),
        toolVersion: VOUCH_VERSION,
        subject: {
          name: s.name,
          ...(s.version !== "" ? { version: s.version } : {}),
          ...(s.bomRef !== "" ? { bomRef: s.bomRef } : {}),
          ...(s.purl !== undefined ? { purl: s.purl } : {}),
          type: s.type === "container" ? "container" : "application",
        },
      });
      return `${JSON.stringify(bom, null, 2)}\n`;
    }
  }
}

/** `-o json`: the findings report (src/vuln/report/json.ts) with what was scanned and what could not be. */
export function toScanJson(result: ScanResult) {
  return {
    target: result.target,
    ...toJsonReport(result.gate.reported),
    scan: {
      components: result.counts.components,
      matched: result.counts.matched,
      vulnerable: result.counts.vulnerable,
      unmatched: result.counts.unmatched,
      unmatchedComponents: result.plan.unmatched.map((u) => ({
        name: u.component.name,
        version: u.component.version,
        ...(u.component.bomRef !== undefined ? { bomRef: u.component.bomRef } : {}),
        ...(u.component.purl !== undefined ? { purl: u.component.purl } : u.component.invalidPurl !== undefined ? { purl: u.component.invalidPurl } : {}),
        reason: u.reason,
      })),
      notes: result.notes,
    },
    gate: {
      failed: result.gate.failed,
      failures: result.gate.failures.map((f) => ({ id: f.finding.vulnerability.id, purl: f.finding.component.purl, reason: f.reason })),
    },
  };
}

/** The stderr summary: what was scanned, what could not be and why, findings by severity, suppressed, the gate. */
export function renderScanSummary(result: ScanResult, options: { failOn?: SeverityBucket; failOnKev?: boolean } = {}): string {
  const c = result.counts;
  const reported = result.gate.reported;
  const lines: string[] = [];
  const unmatched = c.unmatched.reduce((n, u) => n + u.count, 0);
  lines.push(
    `scanned ${result.target.name}: ${c.components} component${c.components === 1 ? "" : "s"}, ${c.matched} matched against the advisory database ` +
      `(${c.vulnerable} vulnerable), ${unmatched} unmatched` +
      (unmatched > 0 ? ` (${c.unmatched.map((u) => `${u.count} ${u.reason}`).join("; ")})` : ""),
  );
  const shown = reported.filter((f) => !isSuppressed(f));
  const by = new Map<string, number>();
  for (const f of shown) by.set(f.vulnerability.severity?.bucket ?? "unknown", (by.get(f.vulnerability.severity?.bucket ?? "unknown") ?? 0) + 1);
  const order = [...[...SEVERITY_ORDER].reverse(), "unknown"].filter((b) => (by.get(b) ?? 0) > 0);
  const suppressed = reported.length - shown.length;
  lines.push(
    `findings: ${shown.length}` +
      (order.length > 0 ? ` (${order.map((b) => `${by.get(b)} ${b}`).join(", ")})` : "") +
      `, ${suppressed} suppressed by VEX` +
      (result.findings.length > reported.length ? `, ${result.findings.length - reported.length} without a fix left out (--only-fixed)` : ""),
  );
  for (const n of result.notes) lines.push(`note: ${n}`);
  if (result.gate.failed) {
    const sev = result.gate.failures.filter((f) => f.reason === "severity").length;
    const kev = result.gate.failures.filter((f) => f.reason === "kev").length;
    const parts = [
      ...(sev > 0 ? [`${sev} finding${sev === 1 ? "" : "s"} at or above ${options.failOn ?? "the threshold"} (--fail-on)`] : []),
      ...(kev > 0 ? [`${kev} in CISA's KEV catalog (--fail-on-kev)`] : []),
    ];
    lines.push(`gate failed: ${parts.join("; ")}`);
  }
  return `${lines.join("\n")}\n`;
}
