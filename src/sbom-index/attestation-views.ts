import { parseBundle } from "../bundle/parse.js";
import type { TlogEntry } from "../bundle/types.js";
import { VouchError } from "../core/errors.js";
import { leafHash } from "../core/merkle/hash.js";
import type { AttestationListFilter, AttestationLogEntry, AttestationRecord, AttestationStore } from "../store/ports.js";
import type { AttestationDetail, AttestationLogEntryDetail, AttestationPage } from "./views.js";

/**
 * The stored attestations as the dashboard reads them: `GET /api/v1/attestations?verified=&digest=&limit=&cursor=`
 * (newest ingest first: the on-call view's verification failures are `verified=false`) and `GET
 * /api/v1/attestations/{id}`, each log entry with what the stored bundle carries to check its inclusion: the entry's
 * kind, its RFC 6962 leaf hash, the inclusion proof and the checkpoint it is against.
 *
 * The proof is answered as the bundle carries it, not re-verified here: the dashboard recomputes it in the browser
 * (RFC 6962 §2.1.1) against the checkpoint's root, and for this server's own log (`ownLog`) the log's
 * `/api/v1/log/entries?logIndex=` gives the same entry from the log itself. The stored bundle was parsed when it was
 * ingested; it is parsed again here through the same edge parser (src/bundle), never trusted as well-formed.
 */

export interface AttestationListQuery {
  verified?: boolean;
  digest?: string;
  /** Default 50, at most 500. */
  limit?: number;
  cursor?: string;
}

export interface AttestationViews {
  list(query?: AttestationListQuery): Promise<AttestationPage>;
  /**
   * INPUT_NOT_FOUND for an id the store does not hold. `ownLogId`: this server's transparency log id (lower-case hex),
   * when it runs one.
   */
  detail(id: string, ownLogId?: string): Promise<AttestationDetail>;
}

export const DEFAULT_ATTESTATION_PAGE = 50;
export const MAX_ATTESTATION_PAGE = 500;

/**
 * @example
 *   const views = createAttestationViews(store);
 *   const failures = await views.list({ verified: false, limit: 20 });
 *   const detail = await views.detail(failures.attestations[0].id, ownLogIdHex);
 */
export function createAttestationViews(store: Pick<AttestationStore, "list" | "find" | "readDocument">): AttestationViews {
  return {
    async list(query: AttestationListQuery = {}): Promise<AttestationPage> {
      const limit = query.limit ?? DEFAULT_ATTESTATION_PAGE;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ATTESTATION_PAGE) throw new VouchError("INPUT_USAGE", `limit is a whole number from 1 to ${MAX_ATTESTATION_PAGE}, not ${String(limit)}`);
      const filter: AttestationListFilter = { limit };
      if (query.verified !== undefined) filter.verified = query.verified;
      if (query.digest !== undefined) filter.digest = query.digest;
      if (query.cursor !== undefined) filter.cursor = query.cursor;
      const page = await store.list(filter);
      return page.next === undefined ? { attestations: page.attestations } : { attestations: page.attestations, next: page.next };
    },

    async detail(id: string, ownLogId?: string): Promise<AttestationDetail> {
      const record = await store.find(id);
      if (record === undefined) throw new VouchError("INPUT_NOT_FOUND", `no attestation ${id} in the index`);
      const entries = record.logEntries.length === 0 ? [] : bundleEntries(record, await store.readDocument(id));
      const own = ownLogId?.toLowerCase();
      return { record, logEntries: record.logEntries.map((e, i) => logEntryDetail(e, matching(entries, e, i), own)) };
    },
  };
}

/** The bundle's log entries; none when the document is a bare envelope or no longer parses (the record still answers). */
function bundleEntries(record: AttestationRecord, document: Uint8Array | undefined): TlogEntry[] {
  if (record.kind !== "bundle" || document === undefined) return [];
  try {
    return parseBundle(new TextDecoder().decode(document)).tlogEntries;
  } catch {
    return [];
  }
}

/** The bundle entry a record entry came from: the same position when its log id and index agree, else by them. */
function matching(entries: readonly TlogEntry[], entry: AttestationLogEntry, position: number): TlogEntry | undefined {
  const same = (t: TlogEntry | undefined) => t !== undefined && hex(t.logId) === entry.logId.toLowerCase() && t.logIndex.toString() === entry.logIndex;
  const at = entries[position];
  return same(at) ? at : entries.find(same);
}

function logEntryDetail(entry: AttestationLogEntry, tlog: TlogEntry | undefined, ownLogId: string | undefined): AttestationLogEntryDetail {
  const out: AttestationLogEntryDetail = {
    logId: entry.logId,
    logIndex: entry.logIndex,
    ...(entry.integratedTime === undefined ? {} : { integratedTime: entry.integratedTime }),
    ownLog: ownLogId !== undefined && entry.logId.toLowerCase() === ownLogId,
  };
  if (tlog === undefined) return out;
  out.kind = `${tlog.kind} ${tlog.kindVersion}`;
  out.leafHash = hex(leafHash(tlog.canonicalizedBody));
  const proof = tlog.inclusionProof;
  if (proof !== undefined) {
    out.inclusionProof = {
      logIndex: proof.logIndex.toString(),
      treeSize: proof.treeSize.toString(),
      rootHash: hex(proof.rootHash),
      hashes: proof.hashes.map(hex),
      ...(proof.checkpoint === "" ? {} : { checkpoint: proof.checkpoint }),
    };
  }
  return out;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
