/**
 * The shapes of the read endpoints the dashboard (web/, issue 11) needs beyond issue 9's: every one is a public HTTP
 * API answer (read scope, JSON schema in src/server/routes/index/, in /openapi.json), never a dashboard-only backdoor.
 * web/ imports these types (type-only); the server builds them in src/sbom-index/.
 */
import type { AttestationRecord, DecisionEvent, DecisionSource, ScanFinding } from "../store/ports.js";

/** `GET /api/v1/decisions?allowed=&pending=&source=&since=&until=&limit=&cursor=`: policy decision events, newest first. */
export interface DecisionPage {
  /** Newest first (time, then id, descending); each event exactly as recorded (its Decision JSON whole). */
  events: DecisionEvent[];
  /** Opaque: pass as `cursor` for the next (older) page; absent on the last page. */
  next?: string;
}

export interface DecisionListQuery {
  allowed?: boolean;
  /** true: only events decided by an outage action or in audit mode and not re-verified yet (reconciliation pending). */
  pending?: boolean;
  source?: DecisionSource;
  since?: string;
  until?: string;
  /** Default 50, at most 500. */
  limit?: number;
  cursor?: string;
}

/** `GET /api/v1/attestations?verified=&digest=&limit=&cursor=`: stored attestations, newest ingest first. */
export interface AttestationPage {
  attestations: AttestationRecord[];
  next?: string;
}

/** `GET /api/v1/attestations/{id}`: one attestation with its log entries' inclusion proofs as the bundle carries them. */
export interface AttestationDetail {
  record: AttestationRecord;
  /** One per record.logEntries, same order. */
  logEntries: AttestationLogEntryDetail[];
}

export interface AttestationLogEntryDetail {
  logId: string;
  logIndex: string;
  integratedTime?: string;
  /** The entry's kind/version (`hashedrekord` 0.0.1, `dsse` 0.0.1). */
  kind?: string;
  /** RFC 6962 leaf hash of the canonicalized body, lower-case hex. */
  leafHash?: string;
  /** The inclusion proof the bundle carries (absent: the bundle has only a SET). */
  inclusionProof?: {
    logIndex: string;
    treeSize: string;
    /** Lower-case hex. */
    rootHash: string;
    /** Lower-case hex, leaf to root. */
    hashes: string[];
    /** The signed checkpoint (C2SP signed note) the proof is against. */
    checkpoint?: string;
  };
  /** True when this entry is in this server's own transparency log (then `/api/v1/log/entries?logIndex=` answers it too). */
  ownLog: boolean;
}

/** `GET /api/v1/services`: every service the index knows, for navigation. Sorted by name. */
export interface ServiceList {
  services: ServiceSummary[];
}

export interface ServiceSummary {
  name: string;
  /** Its team from index.teams, when one lists it. */
  team?: string;
  /** Its SBOMs' releases, newest ingest first. */
  releases: ReleaseSummary[];
  /** Where it runs now (current deployment per environment). */
  deployments: { environment: string; digest: string; at: string }[];
}

export interface ReleaseSummary {
  /** The SBOM's id (sha256 of its bytes). */
  sbomId: string;
  version?: string;
  digest?: string;
  format: string;
  components: number;
  ingestedAt: string;
}

/** `GET /api/v1/artifacts/{digest}`: what the index knows of one artifact, for the forensics page. */
export interface ArtifactSummary {
  digest: string;
  /** Services whose SBOMs or deployments name this digest, sorted. */
  services: string[];
  /** SBOMs of this digest, newest ingest first. */
  sboms: (ReleaseSummary & { service: string })[];
  /**
   * Per SBOM above (same order where present): the release of the same service ingested just before it (by ingest
   * time), so the page can ask `GET /api/v1/services/{service}/diff?from=<previous.sbomId>&to=<sbomId>`.
   */
  previous: { sbomId: string; previous?: ReleaseSummary }[];
  /** Every deployment of the digest (history), newest first, with whether it is still current. */
  deployments: { service: string; environment: string; at: string; current: boolean; source?: string }[];
  /** The latest scan of the digest's findings, with VEX state; absent when it was never scanned. */
  vulnerabilities?: { scanId: string; ingestedAt: string; findings: ScanFinding[] };
  /** Attestations whose subjects include the digest (verified or not), newest ingest first. */
  attestations: AttestationRecord[];
}

/** `GET /api/v1/sboms/{id}/components?q=&offset=&limit=`: an SBOM's components, searchable, for the SBOM table. */
export interface ComponentPage {
  sbomId: string;
  /** Components matching `q` (case-insensitive substring of name, version, purl or license), before paging. */
  total: number;
  offset: number;
  components: ComponentRow[];
}

export interface ComponentRow {
  name: string;
  version?: string;
  purl?: string;
  type?: string;
  /** SPDX expressions (or the declared text). */
  licenses: string[];
  /** sha256 hex when the SBOM records one. */
  sha256?: string;
}

/** SLO targets drawn on the executive view's charts: `index.slo` in vouch.yaml; `GET /api/v1/slis` answers them as `targets`. */
export interface SloTargets {
  /** Ratios in [0, 1]. Defaults: 0.95, 0.9, 0.9, 0.8; deny rate at most 0.05. */
  signedDeploymentRatio: number;
  sbomCoverage: number;
  sbomAlignment: number;
  provenanceCompleteness: number;
  /** A ceiling, not a floor. */
  denyRate: number;
}

/** `GET /api/v1/keys`: key-management health from the signers the index has seen and the key revocation list. */
export interface KeyHealthReport {
  at: string;
  /** index.keys.rotateAfterDays (default 90) and warnBeforeDays (default 14). */
  rotateAfterDays: number;
  warnBeforeDays: number;
  keys: KeyHealth[];
}

export interface KeyHealth {
  /** Keyed: `sha256:<hex>` of the SPKI; keyless: the certificate identity. */
  identity: string;
  issuer?: string;
  kind: "key" | "certificate";
  firstSeen: string;
  lastSeen: string;
  signatures: number;
  artifacts: number;
  services: string[];
  /** Whole days since firstSeen (keys only: a keyless certificate lives minutes and never rotates). */
  ageDays?: number;
  /** "ok" | "rotate-soon" (within warnBeforeDays of rotateAfterDays) | "rotate-now" (past it) | "revoked". */
  status: "ok" | "rotate-soon" | "rotate-now" | "revoked";
  /** From the revocation list (`vouch key revoke`). */
  revoked?: { compromisedAt: string; reason: string };
  /**
   * Revoked keys only: current deployments whose digest carries a verified signature by this key ("revoked keys still
   * in use"); `afterCompromise` when that signature's trusted time is at or after compromisedAt (it must not be trusted).
   */
  inUse: { service: string; environment: string; digest: string; signedAt?: string; afterCompromise: boolean }[];
}
