import { createHash } from "node:crypto";
import { VouchError } from "../core/errors.js";
import type { IndexStore, ScanFinding, ScanRecord, ScanSeverity, ScanStore } from "../store/ports.js";

/**
 * Vulnerability scan results in the SBOM index: `vouch scan -o json` reports (and CycloneDX VEX/VDR documents with
 * `vulnerabilities`) pushed for an artifact digest, stored as findings rows; and "what is vulnerable where it runs":
 * the findings of the latest scan of each currently deployed digest, grouped by vulnerability.
 */

export interface ScanIngestRequest {
  bytes: Uint8Array;
  service: string;
  /** The artifact scanned; default: the digest the report's target names (`…@sha256:<hex>`). */
  digest?: string;
  by: string;
}

export interface VulnerabilityQuery {
  service?: string;
  environment?: string;
  /** At or above this bucket (grype's --fail-on order). */
  severity?: Exclude<ScanSeverity, "unknown">;
  /** true: only vulnerabilities in CISA's KEV catalog. */
  kev?: boolean;
}

export interface AffectedDeployment {
  service: string;
  environment: string;
  digest: string;
  /** The scan the findings come from. */
  scanId: string;
}

export interface VulnerabilityGroup {
  id: string;
  aliases: string[];
  severity: ScanSeverity;
  score?: number;
  kev: boolean;
  fixedIn: string[];
  /** The vulnerable components (purl with version), sorted. */
  components: { purl: string; name: string; version: string }[];
  /** Where it runs now, sorted by service, environment. */
  deployments: AffectedDeployment[];
}

export interface VulnerabilityReport {
  vulnerabilities: VulnerabilityGroup[];
  /** Current deployments the query covered, and how many of their digests have no scan. */
  deployments: number;
  unscanned: number;
}

export interface ScanService {
  /**
   * Store a scan report for an artifact digest: idempotent (the same report for the same digest is one scan; the
   * first service and token stand). A malformed report is refused with INPUT_MALFORMED naming the field, nothing
   * stored; no digest (neither given nor in the report's target) is INPUT_USAGE.
   */
  ingest(request: ScanIngestRequest): Promise<{ created: boolean; scan: ScanRecord }>;
  /** Findings of the latest scan of every current deployment the query admits; VEX not_affected / fixed left out. */
  vulnerabilities(query?: VulnerabilityQuery): Promise<VulnerabilityReport>;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const SEVERITIES: readonly ScanSeverity[] = ["none", "low", "medium", "high", "critical"];
const VEX_STATUSES = new Set(["not_affected", "affected", "fixed", "under_investigation"]);

export function createScanService(options: { scans: ScanStore; index: IndexStore; clock?: () => Date }): ScanService {
  const clock = options.clock ?? (() => new Date());
  return {
    async ingest(request) {
      const parsed = parseScanDocument(request.bytes);
      const digest = request.digest ?? parsed.digest;
      if (digest === undefined) throw new VouchError("INPUT_USAGE", "name the scanned artifact: a digest parameter (sha256:<64 hex>), or a report whose target names one (image@sha256:…)");
      if (!DIGEST.test(digest)) throw new VouchError("INPUT_MALFORMED", `digest ${digest}: use sha256:<64 lower-case hex digits>`);
      const id = `sha256:${createHash("sha256").update(`${digest}\n`).update(request.bytes).digest("hex")}`;
      const record: ScanRecord = { id, digest, service: request.service, format: parsed.format, findingCount: parsed.findings.length, ingestedAt: clock().toISOString(), ingestedBy: request.by };
      const { record: scan, created } = await options.scans.ingest({ record, findings: parsed.findings, document: request.bytes });
      return { created, scan };
    },

    async vulnerabilities(query = {}) {
      const current = await options.index.listCurrentDeployments({
        ...(query.service !== undefined ? { service: query.service } : {}),
        ...(query.environment !== undefined ? { environment: query.environment } : {}),
      });
      const latest = new Map((await options.scans.latestForDigests(current.map((d) => d.digest))).map((s) => [s.digest, s]));
      const minRank = query.severity === undefined ? -1 : SEVERITIES.indexOf(query.severity);
      const groups = new Map<string, VulnerabilityGroup & { componentKeys: Set<string>; deploymentKeys: Set<string> }>();
      const findingsOf = new Map<string, Promise<ScanFinding[]>>();
      for (const d of current) {
        const scan = latest.get(d.digest);
        if (scan === undefined) continue;
        if (!findingsOf.has(scan.id)) findingsOf.set(scan.id, options.scans.findings(scan.id));
        for (const f of await findingsOf.get(scan.id)!) {
          if (f.vexStatus === "not_affected" || f.vexStatus === "fixed") continue;
          if (SEVERITIES.indexOf(f.severity) < minRank) continue;
          if (query.kev === true && !f.kev) continue;
          let g = groups.get(f.vulnerabilityId);
          if (g === undefined) {
            g = { id: f.vulnerabilityId, aliases: [], severity: f.severity, kev: false, fixedIn: [], components: [], deployments: [], componentKeys: new Set(), deploymentKeys: new Set() };
            groups.set(f.vulnerabilityId, g);
          }
          g.aliases = [...new Set([...g.aliases, ...f.aliases])].sort();
          if (SEVERITIES.indexOf(f.severity) > SEVERITIES.indexOf(g.severity)) g.severity = f.severity;
          if (f.score !== undefined && (g.score === undefined || f.score > g.score)) g.score = f.score;
          g.kev ||= f.kev;
          g.fixedIn = [...new Set([...g.fixedIn, ...f.fixedIn])];
          if (!g.componentKeys.has(f.purl)) {
            g.componentKeys.add(f.purl);
            g.components.push({ purl: f.purl, name: f.name, version: f.version });
          }
          const key = `${d.service}\u0000${d.environment}`;
          if (!g.deploymentKeys.has(key)) {
            g.deploymentKeys.add(key);
            g.deployments.push({ service: d.service, environment: d.environment, digest: d.digest, scanId: scan.id });
          }
        }
      }
      const vulnerabilities = [...groups.values()]
        .map(({ componentKeys: _c, deploymentKeys: _d, ...g }) => ({
          ...g,
          components: g.components.sort((a, b) => cmp(a.purl, b.purl)),
          deployments: g.deployments.sort((a, b) => cmp(a.service, b.service) || cmp(a.environment, b.environment)),
        }))
        // Worst first (KEV before the rest within a bucket), then id: the order a responder works in.
        .sort((a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) || Number(b.kev) - Number(a.kev) || (b.score ?? -1) - (a.score ?? -1) || cmp(a.id, b.id));
      return { vulnerabilities, deployments: current.length, unscanned: current.filter((d) => !latest.has(d.digest)).length };
    },
  };
}

/** A scan document parsed at the edge: its findings, the digest its target names, and what it is. */
export interface ParsedScan {
  format: ScanRecord["format"];
  digest?: string;
  findings: ScanFinding[];
}

/** Parse a `vouch scan -o json` report or a CycloneDX document with `vulnerabilities`; INPUT_MALFORMED naming the field. */
export function parseScanDocument(bytes: Uint8Array): ParsedScan {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    throw new VouchError("INPUT_MALFORMED", `the scan report is not JSON: ${(err as Error).message.split("\n")[0]}`, { cause: err });
  }
  if (!isObject(json)) throw new VouchError("INPUT_MALFORMED", "the scan report is not a JSON object");
  if (json.bomFormat === "CycloneDX") return parseCycloneDx(json);
  if (!Array.isArray(json.findings)) throw new VouchError("INPUT_MALFORMED", "the scan report has no findings array (expected `vouch scan -o json` output or a CycloneDX VEX/VDR document)");
  const target = json.target;
  const digest = isObject(target) && typeof target.name === "string" ? /@(sha256:[0-9a-f]{64})$/.exec(target.name)?.[1] : undefined;
  const findings = json.findings.map((f, i) => vouchFinding(f, `findings[${i}]`));
  return { format: "vouch-json", ...(digest !== undefined ? { digest } : {}), findings };
}

function vouchFinding(f: unknown, at: string): ScanFinding {
  if (!isObject(f)) throw malformed(at, "is not an object");
  const v = f.vulnerability;
  const c = f.component;
  if (!isObject(v)) throw malformed(`${at}.vulnerability`, "is not an object");
  if (!isObject(c)) throw malformed(`${at}.component`, "is not an object");
  const out: ScanFinding = {
    vulnerabilityId: str(v.id, `${at}.vulnerability.id`),
    aliases: strings(v.aliases ?? [], `${at}.vulnerability.aliases`),
    purl: str(c.purl, `${at}.component.purl`),
    name: str(c.name, `${at}.component.name`),
    version: str(c.version, `${at}.component.version`, true),
    severity: "unknown",
    fixedIn: strings(v.fixedIn ?? [], `${at}.vulnerability.fixedIn`),
    kev: v.kev !== undefined && v.kev !== null,
  };
  if (v.severity !== undefined) {
    if (!isObject(v.severity)) throw malformed(`${at}.vulnerability.severity`, "is not an object");
    out.severity = bucket(v.severity.bucket, `${at}.vulnerability.severity.bucket`);
    if (v.severity.score !== undefined) out.score = score(v.severity.score, `${at}.vulnerability.severity.score`);
  }
  if (f.vex !== undefined) {
    if (!isObject(f.vex) || typeof f.vex.status !== "string" || !VEX_STATUSES.has(f.vex.status)) throw malformed(`${at}.vex.status`, "is not a VEX status");
    out.vexStatus = f.vex.status as NonNullable<ScanFinding["vexStatus"]>;
  }
  return out;
}

/** CycloneDX VEX/VDR: each vulnerability × each `affects` ref resolved to a component purl. */
function parseCycloneDx(bom: Record<string, unknown>): ParsedScan {
  if (!Array.isArray(bom.vulnerabilities)) throw malformed("vulnerabilities", "is missing: a CycloneDX document without vulnerabilities is an SBOM (POST /api/v1/sboms)");
  const byRef = new Map<string, { purl: string; name: string; version: string }>();
  const collect = (list: unknown, at: string) => {
    if (list === undefined) return;
    if (!Array.isArray(list)) throw malformed(at, "is not an array");
    list.forEach((c, i) => {
      if (!isObject(c)) throw malformed(`${at}[${i}]`, "is not an object");
      if (typeof c.purl === "string") {
        const entry = { purl: c.purl, name: typeof c.name === "string" ? c.name : c.purl, version: typeof c.version === "string" ? c.version : (/@([^?#]+)/.exec(c.purl)?.[1] ?? "") };
        byRef.set(typeof c["bom-ref"] === "string" ? c["bom-ref"] : c.purl, entry);
        byRef.set(c.purl, entry);
      }
      collect(c.components, `${at}[${i}].components`);
    });
  };
  collect(bom.components, "components");
  const metadata = isObject(bom.metadata) ? bom.metadata : {};
  const subject = isObject(metadata.component) ? metadata.component : {};
  const hashes = Array.isArray(subject.hashes) ? subject.hashes : [];
  const sha = hashes.find((h): h is { alg: string; content: string } => isObject(h) && h.alg === "SHA-256" && typeof h.content === "string");
  const digest = sha !== undefined && /^[0-9a-f]{64}$/.test(sha.content.toLowerCase()) ? `sha256:${sha.content.toLowerCase()}` : undefined;
  const findings: ScanFinding[] = [];
  bom.vulnerabilities.forEach((v, i) => {
    const at = `vulnerabilities[${i}]`;
    if (!isObject(v)) throw malformed(at, "is not an object");
    const id = str(v.id, `${at}.id`);
    const ratings = Array.isArray(v.ratings) ? v.ratings.filter(isObject) : [];
    let severity: ScanSeverity = "unknown";
    let best: number | undefined;
    for (const r of ratings) {
      if (typeof r.severity === "string" && (SEVERITIES as readonly string[]).includes(r.severity) && SEVERITIES.indexOf(r.severity as ScanSeverity) > SEVERITIES.indexOf(severity)) severity = r.severity as ScanSeverity;
      if (typeof r.score === "number" && (best === undefined || r.score > best)) best = r.score;
    }
    const refs = Array.isArray(v.references) ? v.references.filter(isObject).map((r) => r.id).filter((x): x is string => typeof x === "string") : [];
    const analysis = isObject(v.analysis) ? v.analysis : {};
    const vexStatus = cdxState(analysis.state);
    const kev = Array.isArray(v.properties) && v.properties.some((p) => isObject(p) && typeof p.name === "string" && /kev/i.test(p.name) && p.value !== "false");
    if (!Array.isArray(v.affects) || v.affects.length === 0) throw malformed(`${at}.affects`, "names no component");
    v.affects.forEach((a, j) => {
      const ref = isObject(a) && typeof a.ref === "string" ? a.ref : undefined;
      if (ref === undefined) throw malformed(`${at}.affects[${j}].ref`, "is not a string");
      const c = byRef.get(ref) ?? (ref.startsWith("pkg:") ? { purl: ref, name: ref, version: /@([^?#]+)/.exec(ref)?.[1] ?? "" } : undefined);
      if (c === undefined) throw malformed(`${at}.affects[${j}].ref`, `${ref} names no component with a purl in the document`);
      findings.push({
        vulnerabilityId: id,
        aliases: [...new Set(refs.filter((r) => r !== id))].sort(),
        ...c,
        severity,
        ...(best !== undefined ? { score: best } : {}),
        fixedIn: [],
        kev,
        ...(vexStatus !== undefined ? { vexStatus } : {}),
      });
    });
  });
  return { format: "cyclonedx", ...(digest !== undefined ? { digest } : {}), findings };
}

function cdxState(state: unknown): ScanFinding["vexStatus"] {
  switch (state) {
    case "not_affected":
    case "false_positive":
      return "not_affected";
    case "resolved":
    case "resolved_with_pedigree":
      return "fixed";
    case "exploitable":
      return "affected";
    case "in_triage":
      return "under_investigation";
    default:
      return undefined;
  }
}

function bucket(value: unknown, at: string): ScanSeverity {
  if (value === undefined) return "unknown";
  if (typeof value !== "string" || !(SEVERITIES as readonly string[]).includes(value)) throw malformed(at, `is not one of ${SEVERITIES.join(", ")}`);
  return value as ScanSeverity;
}

function score(value: unknown, at: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 10) throw malformed(at, "is not a score between 0 and 10");
  return value;
}

function str(value: unknown, at: string, emptyOk = false): string {
  if (typeof value !== "string" || (!emptyOk && value === "")) throw malformed(at, "is not a non-empty string");
  return value;
}

function strings(value: unknown, at: string): string[] {
  if (!Array.isArray(value) || value.some((x) => typeof x !== "string")) throw malformed(at, "is not an array of strings");
  return value as string[];
}

function malformed(at: string, why: string): VouchError {
  return new VouchError("INPUT_MALFORMED", `the scan report's ${at} ${why}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
