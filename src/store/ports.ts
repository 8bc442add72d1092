import type { OsvRecord } from "../vuln/osv/parse.js";

export type { OsvRecord };

/**
 * Storage ports: the interfaces every driver implements, written as MUST / MUST NOT contracts (after
 * transparency-dev/tessera's lifecycle.go). Services hold these interfaces only; `runtime.ts` picks the driver.
 * One conformance suite (`store/log-store.contract.ts`) runs against every driver.
 */

/**
 * The committed head of a transparency log: what the last published checkpoint commits to.
 * `checkpoint` is the signed note text exactly as served at /checkpoint.
 */
export interface LogHead {
  size: number;
  rootHash: Uint8Array;
  checkpoint: string;
}

/**
 * One log entry's record beside the tree: its leaf hash (the identity used to de-duplicate, and the Rekor v1 UUID in
 * hex) and when it was integrated (Unix seconds; every entry of one batch shares the batch's time).
 */
export interface LogEntryRecord {
  index: number;
  leafHash: Uint8Array;
  integratedTime: number;
  /**
   * Where the entry starts in its entry bundle (the byte offset of its length prefix), when the driver keeps it: a
   * hint that lets a reader fetch one entry of a bundle it has not cached (readBundleRange) instead of the whole
   * bundle. Never trusted: the entry read through it is still hashed against its checked leaf.
   */
  bundleOffset?: number;
}

/**
 * A hash tile (c2sp.org/tlog-tiles) in its latest version: level L, tile index N, and 1..256 hashes of 32 bytes
 * concatenated. Tile (L, N) at width W is the first W hashes of the stored version.
 */
export interface LogTile {
  level: number;
  index: number;
  hashes: Uint8Array;
}

/**
 * An entry bundle (c2sp.org/tlog-tiles "entries" tile) in its latest version: bundle N holds entries 256N..256N+W-1,
 * each a big-endian uint16 length followed by that many bytes.
 */
export interface LogEntryBundle {
  index: number;
  data: Uint8Array;
}

/** One integration step, computed by the sequencer from the current head and a batch of new entries. */
export interface LogAppend {
  /** The head this batch extends. */
  from: { size: number; rootHash: Uint8Array };
  /** The head after the batch (checkpoint already signed). */
  to: LogHead;
  /** Records of the new entries, indexes from.size .. to.size-1 in order. */
  entries: LogEntryRecord[];
  /** Every tile the batch changed, each in full (its new latest version). */
  tiles: LogTile[];
  /** Every entry bundle the batch changed, each in full. */
  bundles: LogEntryBundle[];
}

/**
 * Exclusive right to append, held by at most one process sharing a store (one sequencer at a time, ARCHITECTURE.md).
 * `lost` resolves when the driver learns the lease is gone (connection dropped); the holder MUST stop appending then.
 */
export interface SequencerLease {
  readonly lost: Promise<void>;
  release(): Promise<void>;
}

/**
 * Submissions waiting for the sequencer, shared by every process on one store (SQL drivers): a process without the
 * lease enqueues a checked canonical body and waits for it to appear through `findEntry`; the lease holder takes
 * bodies and integrates them. Nothing is acknowledged until it is in the tree, so a body taken by a sequencer that
 * then dies is simply not acknowledged (its submitter times out and retries; resubmission is de-duplicated).
 *
 * Contract: `take` MUST hand each enqueued body to at most one caller, oldest first, and remove it.
 */
export interface SubmissionQueue {
  enqueue(body: Uint8Array): Promise<void>;
  take(max: number): Promise<Uint8Array[]>;
}

/**
 * Where a transparency log keeps its tree, entries and head.
 *
 * Contract (every driver; checked by store/log-store.contract.ts):
 * - `append` MUST be atomic: when it resolves, the whole batch is durable (survives SIGKILL and power loss as far as
 *   the medium allows) and `readHead` returns `to`; when it rejects, or the process dies before it resolves,
 *   `readHead` keeps returning `from` and no new record is visible through `findEntry` or `readEntries`.
 * - `append` MUST reject with VouchError STORE_CONFLICT, changing nothing, when `from` is not the committed head
 *   (size and root hash). This compare-and-swap keeps the tree append-only even if two sequencers ever race. A store
 *   never appended to has the empty tree as its head (size 0): the sequencer's first append commits its checkpoint.
 * - `readTile` / `readEntryBundle` return the latest stored version. After an interrupted append a stored version MAY
 *   be longer than the committed tree covers (callers truncate to the committed width), but its first hashes or
 *   entries MUST equal the committed ones: a driver MUST NOT expose a torn or partially written tile or bundle.
 * - `findEntry`, `findEntries` and `readEntries` MUST return only entries below the committed size. A driver that
 *   keeps `bundleOffset` MUST return it as appended; one that does not MUST omit it (never guess it).
 * - A driver MUST NOT verify or repair what it reads: hashes are checked above it, against the signed head, so that
 *   tampering in any driver is caught the same way. It MUST return bytes exactly as they were stored.
 * - `tryAcquireSequencer` MUST grant at most one live lease per store across processes; a lease held by a process
 *   that died MUST become available again within seconds.
 */
export interface LogStore {
  /** The committed head, or undefined for a log that was never appended to. */
  readHead(): Promise<LogHead | undefined>;
  readTile(level: number, index: number): Promise<Uint8Array | undefined>;
  readEntryBundle(index: number): Promise<Uint8Array | undefined>;
  /** The committed entry whose leaf hash this is, if any (de-duplication, lookup by Rekor UUID). */
  findEntry(leafHash: Uint8Array): Promise<LogEntryRecord | undefined>;
  /**
   * findEntry for many leaf hashes at once (the sequencer's de-duplication of a whole burst of submissions): the
   * answer MUST have one element per hash, in order, each what findEntry would answer for it. A database driver
   * SHOULD answer in one round trip: one query per submission was a fifth of the log's main thread on PostgreSQL.
   */
  findEntries(leafHashes: readonly Uint8Array[]): Promise<(LogEntryRecord | undefined)[]>;
  /** Committed entry records from `index`, at most `count` of them, in index order. */
  readEntries(index: number, count: number): Promise<LogEntryRecord[]>;
  /**
   * Optional, for drivers where a whole bundle is costly to fetch (a database): bytes [start, end) of the stored entry
   * bundle `index` (to its end when `end` is undefined, fewer when it is shorter), exactly as readEntryBundle would
   * return them; undefined when there is no such bundle. Drivers that keep `bundleOffset` SHOULD offer it.
   */
  readBundleRange?(index: number, start: number, end?: number): Promise<Uint8Array | undefined>;
  append(batch: LogAppend): Promise<void>;
  /** The sequencer lease, or undefined when another live process holds it. */
  tryAcquireSequencer(): Promise<SequencerLease | undefined>;
  /** Present when several processes can share this store (SQLite, PostgreSQL); the filesystem driver has one process. */
  readonly queue?: SubmissionQueue;
  close(): Promise<void>;
}

/**
 * One package an advisory lookup asks about: the OSV ecosystem NAME without its suffix ("Debian", not "Debian:12";
 * "Maven", not "Maven:https://…") and the package name normalised as src/vuln/osv/ecosystems.ts normalises it (what
 * `OsvPackage.normalizedName` holds). Release and repository suffixes are the matcher's business: a lookup returns
 * the records for every release, and the matcher keeps the affected entries of the component's release.
 */
export interface AdvisoryPackageKey {
  ecosystem: string;
  name: string;
}

/** One row of FIRST's EPSS CSV (https://www.first.org/epss/data_stats): probabilities in [0, 1]. */
export interface EpssScore {
  cve: string;
  epss: number;
  percentile: number;
}

/** The EPSS feed as one import replaces it: the CSV's comment line, and its rows (streamed). */
export interface EpssFeed {
  modelVersion: string;
  /** RFC 3339, from the `score_date:` of the CSV's comment line. */
  scoreDate: string;
  rows: Iterable<EpssScore> | AsyncIterable<EpssScore>;
}

/**
 * One entry of CISA's Known Exploited Vulnerabilities catalog
 * (https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities_schema.json), fields as CISA names them.
 */
export interface KevEntry {
  cveID: string;
  vendorProject: string;
  product: string;
  vulnerabilityName: string;
  /** YYYY-MM-DD */
  dateAdded: string;
  shortDescription: string;
  requiredAction: string;
  /** YYYY-MM-DD */
  dueDate: string;
  /** "Known" or "Unknown" */
  knownRansomwareCampaignUse: string;
  notes: string;
  cwes: string[];
}

export interface KevCatalog {
  catalogVersion: string;
  /** RFC 3339 */
  dateReleased: string;
  entries: KevEntry[];
}

/**
 * What one import writes, all or nothing. `importedAt` is the caller's clock (RFC 3339), recorded per feed present.
 * `records` is streamed: the driver consumes it inside its transaction, so a source that throws part-way (a corrupt
 * zip, an unreadable file) rolls the whole import back.
 */
export interface AdvisoryImport {
  importedAt: string;
  records?: Iterable<OsvRecord> | AsyncIterable<OsvRecord>;
  /**
   * Fingerprints of the source entries this import read in full (zip entries: name → CRC-32 and sizes), asked for
   * after `records` is consumed and stored with them, so the next import can skip an entry that has not changed
   * (AdvisoryStore.entryFingerprints) without inflating or parsing it.
   */
  entries?: () => Iterable<SourceEntryFingerprint>;
  epss?: EpssFeed;
  kev?: KevCatalog;
}

/** One source entry as it was last imported: its name in its container and a fingerprint of its bytes. */
export interface SourceEntryFingerprint {
  name: string;
  fingerprint: string;
}

/** What an import did to the OSV records it was given. */
export interface AdvisoryImportCounts {
  /** Ids the store did not hold. */
  inserted: number;
  /** Stored records replaced by a copy with a later `modified`. */
  updated: number;
  /** Copies whose `modified` equals the stored one's (a re-import). */
  unchanged: number;
  /** Copies older than the stored one: ignored. */
  older: number;
  /** Rows of the EPSS and KEV feeds written (absent when the import had none). */
  epssRows?: number;
  kevEntries?: number;
}

export interface AdvisoryFeedStatus {
  /** When the last import that carried this feed committed (the caller's clock, RFC 3339). */
  importedAt: string;
  /** EPSS: model_version and score_date; KEV: catalogVersion and dateReleased. */
  version?: string;
  date?: string;
  /** EPSS rows / KEV entries held. */
  count?: number;
}

export interface AdvisoryStatus {
  /** Every record held, withdrawn ones included. */
  records: number;
  withdrawn: number;
  /** Records (not withdrawn) per ecosystem name, sorted by name; a record affecting two ecosystems counts in both. */
  ecosystems: { ecosystem: string; records: number }[];
  /** The latest `modified` of any record held (RFC 3339, UTC), undefined when there is none. */
  newestModified?: string;
  feeds: { osv?: AdvisoryFeedStatus; epss?: AdvisoryFeedStatus; kev?: AdvisoryFeedStatus };
}

/** AdvisoryStore.scanStatus: what a scan needs from the status, without counting. */
export interface AdvisoryScanStatus {
  holdsRecords: boolean;
  feeds: AdvisoryStatus["feeds"];
}

/**
 * The advisory database: OSV records indexed by package, with the EPSS and KEV feeds that enrich findings.
 *
 * Contract (every driver; checked by store/advisory-store.contract.ts):
 * - `import` MUST be atomic: when it resolves, every record, EPSS row, KEV entry and feed time it was given is
 *   stored; when it rejects (the driver fails, or `records` / `epss.rows` throws part-way), the store MUST read as
 *   before the call, records, feeds and status alike.
 * - A record MUST replace the stored record of its id only when its `modified` is strictly later (instants compared,
 *   not strings: `…T00:00:00Z` and `…T01:00:00+01:00` are the same). An equal or older copy MUST NOT change what is
 *   stored, so re-importing a feed, or importing an old export after a new one, changes nothing. Within one import,
 *   copies of one id are taken in order by the same rule.
 * - `epss` and `kev`, when given, MUST replace the stored feed wholesale: a CVE absent from the new feed is gone.
 *   An import without them MUST leave the stored feed as it was.
 * - `findByPackages` MUST return, for each key in order, every stored record that is not withdrawn and has an
 *   affected package of that ecosystem name and normalised name (any release or repository suffix), each record once
 *   per key, sorted by id. It MUST NOT return withdrawn records. It takes thousands of keys in one call.
 * - `findById` MUST return the record with that id and every record listing it among its aliases, withdrawn ones
 *   included (a lookup by id asks about the record, not about a match), sorted by id.
 * - `entryFingerprints` MUST return every entry fingerprint stored by committed imports (name → fingerprint, the
 *   latest for each name); `import` MUST store its `entries` in the same transaction as its records.
 * - `findByIds` MUST return the records whose id is one of those given (not those naming them as aliases), each
 *   once, sorted by id, and MUST NOT return withdrawn records (it serves scans, e.g. a distro advisory's upstream
 *   CVE record for its severity). Ids not held are simply missing. It takes thousands of ids in one call.
 * - `aliasGroups` MUST return, for the ids given, the groups of ids joined by the `aliases` of records that are not
 *   withdrawn (record id ↔ each alias, transitively): every id given is in exactly one group, groups are disjoint,
 *   each is sorted, groups are sorted by their first id. An id no record names is a group of its own.
 * - `findEpss` / `findKev` MUST return the stored rows for the CVE ids given (absent ids are simply missing).
 * - A driver MUST return records exactly as they were imported (deep-equal), and MUST NOT interpret them beyond
 *   what indexing needs (ecosystem and name of affected packages, aliases, modified, withdrawn). A driver MAY hand
 *   the same record object to several calls (a cache keyed by id and `modified`, which together name one content:
 *   see the replacement rule above); callers MUST NOT mutate returned records.
 * - `scanStatus` MUST agree with `status` (holdsRecords iff records - withdrawn > 0; the same feeds) and MUST NOT
 *   cost time that grows with the number of records (it is asked on every scan).
 */
export interface AdvisoryStore {
  import(batch: AdvisoryImport): Promise<AdvisoryImportCounts>;
  /** Cheap enough for every scan: whether any record that is not withdrawn is held, and the feeds' status. */
  scanStatus(): Promise<AdvisoryScanStatus>;
  findByPackages(keys: readonly AdvisoryPackageKey[]): Promise<OsvRecord[][]>;
  findById(id: string): Promise<OsvRecord[]>;
  findByIds(ids: readonly string[]): Promise<OsvRecord[]>;
  entryFingerprints(): Promise<ReadonlyMap<string, string>>;
  aliasGroups(ids: readonly string[]): Promise<string[][]>;
  findEpss(cves: readonly string[]): Promise<EpssScore[]>;
  findKev(cves: readonly string[]): Promise<KevEntry[]>;
  status(): Promise<AdvisoryStatus>;
  close(): Promise<void>;
}

// ---- The SBOM index (issue 9: SBOMs, deployments, impact lookups) ----

/**
 * A component's package URL as the index looks it up: type, namespace ("" when the purl has none) and name,
 * normalised per purl type above the store (src/sbom-index/keys.ts), so that two spellings of one package are one key.
 */
export interface IndexPurlKey {
  type: string;
  namespace: string;
  name: string;
}

/** The OSV package a component is (src/vuln/osv/purl.ts mapPurl): what an advisory lookup joins on. */
export interface IndexOsvKey {
  /** OSV ecosystem name without suffix ("Debian", "Maven"). */
  ecosystem: string;
  /** Normalised as OSV names it; the source package for OS packages. */
  name: string;
  /** The release an OS package belongs to ("12", "v3.19"). */
  release?: string;
  /** The version advisories speak of (the source package's for OS packages, when it differs). */
  version?: string;
}

/** One component of an indexed SBOM, keys computed above the store. */
export interface IndexComponent {
  name: string;
  /** Absent when the SBOM pins none. */
  version?: string;
  purl?: string;
  /** The purl's version, when it has one that differs from `version` (what version queries compare). */
  purlVersion?: string;
  /** Present exactly when `purl` is a valid package URL. */
  purlKey?: IndexPurlKey;
  /** Present when the purl names an OSV ecosystem. */
  osvKey?: IndexOsvKey;
  /** Declared licences, as one SPDX-like expression or text. */
  license?: string;
}

/** An indexed SBOM, as stored. */
export interface IndexSbom {
  /** sha256 of the document's bytes: `sha256:<64 hex>`. */
  id: string;
  service: string;
  version?: string;
  /** The artifact the SBOM describes (`sha256:<64 hex>`). */
  digest?: string;
  format: "spdx" | "cyclonedx";
  specVersion: string;
  components: number;
  withoutPurl: number;
  /** RFC 3339 (the caller's clock). */
  ingestedAt: string;
  ingestedBy: string;
}

/**
 * One SBOM to index. `components` is streamed: the driver consumes it inside its transaction, so a source that throws
 * part-way leaves nothing stored.
 */
export interface IndexSbomWrite {
  sbom: IndexSbom;
  /** The document exactly as received (kept for the SBOM diff; compressed by the store). */
  document: Uint8Array;
  components: Iterable<IndexComponent> | AsyncIterable<IndexComponent>;
}

/** One deployment event. `id` is derived by the caller from the event's content (idempotency). */
export interface IndexDeployment {
  id: string;
  service: string;
  environment: string;
  digest: string;
  /** RFC 3339: when it was deployed. */
  deployedAt: string;
  source: string;
  by: string;
  /** RFC 3339: when the index learned of it (the caller's clock). */
  recordedAt: string;
}

/** Exactly one key: a purl key, a lower-cased component name, or OSV packages (any of them). */
export type IndexComponentLookup = { purl: IndexPurlKey } | { nameLower: string } | { osv: readonly Pick<IndexOsvKey, "ecosystem" | "name">[] };

/**
 * What the components of a lookup's hits carry: "all" (the default) every field stored; "impact" only what an impact
 * answer reads (name, version, purl, purlVersion, purlKey), so that the purl lookup reads one covering index and
 * never the table rows (no osvKey, no license).
 */
export type IndexComponentFields = "all" | "impact";

/** A component found by a lookup, with the SBOM it is in. */
export interface IndexComponentHit {
  sbom: Pick<IndexSbom, "id" | "service" | "version" | "digest">;
  component: IndexComponent;
}

/** The current deployment of a (service, environment): the latest event by deployedAt (ties: the greater id). */
export interface IndexCurrentDeployment {
  service: string;
  environment: string;
  digest: string;
  deployedAt: string;
  deploymentId: string;
}

/** IndexStore.listSboms: each given field narrows the answer. */
export interface IndexSbomFilter {
  services?: readonly string[];
  version?: string;
  digests?: readonly string[];
  /** SBOM ids (`sha256:<hex>` of the document): what a provenance's byproducts name. */
  ids?: readonly string[];
}

/** IndexStore.listDeployments: each given field narrows the answer. */
export interface IndexDeploymentFilter {
  service?: string;
  environment?: string;
  /** Only events deploying one of these artifact digests (an empty list admits nothing). */
  digests?: readonly string[];
  /** RFC 3339: only events deployed at or before this instant. */
  until?: string;
}

/**
 * IndexStore.deploymentSbomFacts: which deployments. Without `history`, the current deployment of every
 * (service, environment) the filter admits; with it, every deployment event deployed in [since, until] (instants).
 */
export interface IndexDeploymentFactsFilter {
  service?: string;
  environment?: string;
  history?: { since?: string; until?: string };
}

/**
 * A deployment with what the index holds of SBOMs for it (the SLIs' facts, aggregated by the store so that a
 * summary never reads every SBOM). Times are ingestedAt as `findSbom` presents them; "at or before" compares
 * instants to the millisecond (as JavaScript's Date does), not the stored nanoseconds.
 */
export interface IndexDeploymentSbomFacts {
  service: string;
  environment: string;
  digest: string;
  deployedAt: string;
  /** The event's id (current deployments: the current event's). */
  deploymentId: string;
  /** The first ingestedAt of an SBOM of this digest; absent when the digest has none. */
  digestFirstSbomAt?: string;
  /** The latest ingestedAt of an SBOM of this digest at or before deployedAt; absent when none was. */
  digestSbomAtDeploy?: string;
  /** The first ingestedAt of an SBOM of this service (any release, any digest); absent when it has none. */
  serviceFirstSbomAt?: string;
}

/**
 * The SBOM index: SBOMs with their components, and deployments, for impact lookups
 * (component → SBOM → artifact digest → current deployments).
 *
 * Contract (every driver; checked by store/index-store.contract.ts):
 * - `ingestSbom` MUST be atomic: when it resolves, the SBOM, its document and every component are stored; when it
 *   rejects (the driver fails, or `components` throws part-way), nothing of it is stored and the same SBOM can be
 *   ingested again.
 * - `ingestSbom` MUST be idempotent by `sbom.id`: when the id is stored (or being stored by a concurrent call that
 *   commits), it MUST store nothing more and answer `created: false` with the stored SBOM, so that concurrent
 *   identical ingests leave one SBOM and one copy of its components, and every caller gets the same record.
 * - `findSbom` / `readDocument` MUST return the stored SBOM / the document's bytes exactly as given, or undefined.
 * - `ingestDeployment` MUST be idempotent by `id` (a stored id: `created: false`, nothing changes) and MUST keep, per
 *   (service, environment), the current deployment: the event with the latest `deployedAt` (instants compared, not
 *   strings), ties broken by the greater id, whatever the order events arrive in. Timestamps that are not RFC 3339
 *   MUST be refused with INPUT_MALFORMED, storing nothing.
 * - `findComponents` MUST return every stored component whose key equals the lookup's exactly (purl key: type,
 *   namespace and name; `nameLower`: the name lower-cased with String.prototype.toLowerCase; osv: ecosystem and
 *   name of any key given), with its SBOM, ordered by SBOM id then position in the SBOM. Values are data: SQL-
 *   significant characters (`'`, `%`, `_`, `\`, `;`) MUST match only themselves.
 *   With `fields: "impact"` each component MUST carry exactly its name, version, purl, purlVersion and purlKey (those
 *   it has), the same hits in the same order. Hits are read-only: their `sbom` and `component` objects MAY be shared
 *   between hits and between answers (a popular package's thousands of hits share a few SBOM and version records), so
 *   a driver MUST freeze them (with their purlKey / osvKey) and callers MUST NOT change them.
 * - `currentDeployments` MUST return the current deployment of every (service, environment) whose current
 *   deployment names one of the digests given, sorted by service, environment.
 * - `currentDeploymentScopes` MUST return the distinct services and the distinct environments of those same current
 *   deployments (what `currentDeployments` returns for the digests), each list sorted by code units.
 * - `listSboms` MUST return every stored SBOM the filter admits (each given field narrows: service among `services`,
 *   `version` equal, digest among `digests`, id among `ids`; an empty list admits nothing), sorted by ingestedAt
 *   (instants) then id.
 * - `listDeployments` MUST return every stored deployment event the filter admits (`service` / `environment` equal,
 *   digest among `digests`, `until`: deployedAt at or before it, instants compared), sorted by deployedAt then id (the order `current`
 *   follows), with deployedAt and recordedAt as `findSbom` presents timestamps.
 * - `listCurrentDeployments` MUST return the current deployment of every (service, environment) the filter admits,
 *   sorted by service, environment.
 * - `deploymentSbomFacts` MUST return one row per deployment the filter admits (the current ones sorted by service,
 *   environment; with `history`, every event in the window sorted by deployedAt then id, as `listDeployments`), each
 *   with the SBOM facts of its digest and its service as stored when it is called: the same answer as computing them
 *   from `listSboms`, and MUST NOT read SBOM documents or components.
 * - Reads MUST NOT wait for a write in progress longer than the database makes them (SQLite WAL, PostgreSQL MVCC)
 *   and MUST see a write whole or not at all.
 */
export interface IndexStore {
  ingestSbom(write: IndexSbomWrite): Promise<{ sbom: IndexSbom; created: boolean }>;
  findSbom(id: string): Promise<IndexSbom | undefined>;
  readDocument(id: string): Promise<Uint8Array | undefined>;
  ingestDeployment(deployment: IndexDeployment): Promise<{ created: boolean }>;
  findComponents(lookup: IndexComponentLookup, options?: { fields?: IndexComponentFields }): Promise<IndexComponentHit[]>;
  currentDeployments(digests: readonly string[]): Promise<IndexCurrentDeployment[]>;
  /** Where the digests run, without the rows: an impact answer's services and environments over every hit. */
  currentDeploymentScopes(digests: readonly string[]): Promise<{ services: string[]; environments: string[] }>;
  /** SBOMs by service / release / artifact digest, without their documents (SLIs, SBOM diff between releases). */
  listSboms(filter?: IndexSbomFilter): Promise<IndexSbom[]>;
  /** Deployment history (SLIs over time, the provenance graph). */
  listDeployments(filter?: IndexDeploymentFilter): Promise<IndexDeployment[]>;
  /** What runs where now, by service / environment (SLIs). */
  listCurrentDeployments(filter?: { service?: string; environment?: string }): Promise<IndexCurrentDeployment[]>;
  /** Deployments with their SBOM facts, aggregated in the store (the SLI summary). */
  deploymentSbomFacts(filter?: IndexDeploymentFactsFilter): Promise<IndexDeploymentSbomFacts[]>;
  /** Resolves when the store answers a trivial query (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

// ---- API tokens (issue 9: the SBOM index's bearer tokens) ----

/** What a token may do: `ingest` writes (SBOMs, deployments), `read` queries, `admin` everything. */
export type TokenScope = "ingest" | "read" | "admin";

/** A token as stored: never the token itself, only the SHA-256 of its full text. */
export interface TokenRecord {
  /** Public id (the part of the token before its secret), recorded as `by` on every write the token makes. */
  id: string;
  name?: string;
  /** Sorted, without duplicates. */
  scopes: TokenScope[];
  /** RFC 3339 */
  createdAt: string;
  /** RFC 3339; absent: never expires. */
  expiresAt?: string;
  /** RFC 3339; set once, by the first revoke. */
  revokedAt?: string;
}

/** A token as stored, with its hash (for the caller's constant-time comparison). */
export interface StoredToken extends TokenRecord {
  /** SHA-256 of the token's full text. */
  hash: Uint8Array;
}

/**
 * API tokens: created by `vouch token create`, checked on every request to the index API.
 *
 * Contract (every driver; checked by store/token-store.contract.ts):
 * - `create` MUST store the token whole or not at all, and MUST refuse (STORE_CONFLICT) an id already stored,
 *   leaving the stored token unchanged. A driver MUST NOT store anything from which the token's text can be recovered
 *   (it is given only the hash).
 * - `find` MUST return the token with that id, revoked and expired ones included (the caller decides), with the
 *   hash exactly as created; undefined for an unknown id. A token created or revoked by another process (the CLI
 *   beside a running server) MUST be seen by the next `find`: drivers MUST NOT cache.
 * - `list` MUST return every token, revoked ones included, without hashes, sorted by createdAt then id.
 * - `revoke` MUST set revokedAt the first time and MUST NOT change it after (revoking twice answers the first
 *   revocation); it returns undefined for an unknown id and changes nothing.
 * - Values (ids, names) MUST be stored and compared as exact strings: SQL-significant characters are data.
 */
export interface TokenStore {
  create(token: StoredToken): Promise<void>;
  find(id: string): Promise<StoredToken | undefined>;
  list(): Promise<TokenRecord[]>;
  revoke(id: string, at: string): Promise<TokenRecord | undefined>;
  close(): Promise<void>;
}

// ---- Attestations (issue 9 wave 2: Sigstore bundles and DSSE envelopes, verified on ingest; the provenance graph) ----

/** One in-toto subject (or the artifact a message signature covers): its name and its sha256 digest. */
export interface AttestationSubject {
  /** "" when the statement names none (a message signature's artifact). */
  name: string;
  /**
   * `sha256:<64 hex>`, lower case; a subject without a sha256 is keyed by its sha512 (npm provenance) or sha384, in
   * the same `<algorithm>:<hex>` form. Subjects with none of these are not stored.
   */
  digest: string;
}

/**
 * Who signed. Keyless: the certificate's subject alternative name and the OIDC issuer of its Fulcio extension;
 * keyed: the key's id (`sha256:<hex>` of its SubjectPublicKeyInfo DER, as `vouch` prints it) and no issuer.
 */
export interface AttestationSigner {
  kind: "certificate" | "key";
  identity: string;
  issuer?: string;
}

/** A transparency-log entry the attestation carries (verified or not, as its record says). */
export interface AttestationLogEntry {
  /** The log's id, lower-case hex (SHA-256 of its public key). */
  logId: string;
  /** Decimal string: log indexes can exceed 2^53. */
  logIndex: string;
  /** RFC 3339; absent when the entry carries none (Rekor v2). */
  integratedTime?: string;
}

/**
 * What a verified SLSA provenance statement (v1, or v0.2 mapped onto v1's names) says about how its subjects were
 * built, extracted above the store (src/sbom-index/provenance.ts).
 *
 * `complete` is true exactly when builder.id, buildType, externalParameters (non-empty), at least one
 * resolvedDependency with a commit digest (gitCommit / sha1 / sha256 of the source) and the run's invocationId are all
 * present (v0.2: builder.id, buildType, invocation.configSource with a commit digest, invocation.parameters or
 * configSource.entryPoint, and metadata.buildInvocationId).
 */
export interface ProvenanceFacts {
  predicateType: string;
  builderId?: string;
  buildType?: string;
  /** The source repository, as the provenance names it (`git+https://github.com/o/r@refs/heads/main` → `https://github.com/o/r`). */
  sourceRepo?: string;
  /** The source commit, lower-case hex. */
  sourceCommit?: string;
  invocationId?: string;
  /**
   * Other outputs of the run that SLSA v1 names in `runDetails.byproducts` with a sha256 digest (the SBOM the build
   * made, as `vouch provenance --sbom` names it): sorted by digest then name, without duplicates; absent when none.
   */
  byproducts?: ProvenanceByproduct[];
  complete: boolean;
}

/** One byproduct of a build run (ProvenanceFacts.byproducts). */
export interface ProvenanceByproduct {
  /** `sha256:<64 lower-case hex>`: for an SBOM, the index's id of that SBOM (the sha256 of its bytes). */
  digest: string;
  /** The name the provenance gives it (a file name, usually), when it gives one. */
  name?: string;
}

/** An ingested attestation, as stored. */
export interface AttestationRecord {
  /** sha256 of the ingested document's bytes: `sha256:<64 hex>` (the idempotency key). */
  id: string;
  /** What was ingested: a Sigstore bundle, or a bare DSSE envelope. */
  kind: "bundle" | "dsse";
  /** The bundle's media type (bundles only). */
  mediaType?: string;
  /** The DSSE payload type, when the content is an envelope. */
  payloadType?: string;
  /** The in-toto statement's predicate type; absent for message signatures and non-in-toto payloads. */
  predicateType?: string;
  /** Sorted by digest then name, without duplicates. */
  subjects: AttestationSubject[];
  /** The signer the verification established; when unverified, what the material claims (a certificate's SAN), if anything. */
  signer?: AttestationSigner;
  verified: boolean;
  /** Why it is not verified (the verifier's refusal, coded: `VERIFY_CHAIN: ...`); absent when verified. */
  reason?: string;
  /** In bundle order. */
  logEntries: AttestationLogEntry[];
  /** RFC 3339: the earliest trusted signing time (verified log time or timestamp), when there is one. */
  signedAt?: string;
  /** Present for SLSA provenance statements. Facts of an unverified statement are stored but never answered by the reads below. */
  provenance?: ProvenanceFacts;
  /** RFC 3339 (the caller's clock). */
  ingestedAt: string;
  ingestedBy: string;
}

/** One attestation to store: its record, the document exactly as received, and the statement's predicate (JSON). */
export interface AttestationWrite {
  record: AttestationRecord;
  document: Uint8Array;
  /** The in-toto statement's predicate (kept for the provenance graph); absent when there is none. */
  predicate?: unknown;
}

/** A verified signer of one subject digest (AttestationStore.signerIdentities). */
export interface SignerIdentityRow {
  digest: string;
  identity: string;
  issuer?: string;
  /** RFC 3339: the earliest signedAt (else ingestedAt) of a verified attestation by this signer over this digest. */
  firstSeen: string;
  /** How many verified attestations by this signer cover this digest (key usage). */
  signatures: number;
}

/** A verified signer over all it signed (AttestationStore.signers): key health. */
export interface SignerRow {
  kind: "certificate" | "key";
  identity: string;
  issuer?: string;
  /** RFC 3339: the earliest / latest signedAt (else ingestedAt) of a verified attestation by this signer. */
  firstSeen: string;
  lastSeen: string;
  /** Verified attestations by this signer (each once, however many subjects it has). */
  signatures: number;
}

/** Verified provenance facts about one subject digest (AttestationStore.provenanceFacts). */
export interface ProvenanceFactsRow extends ProvenanceFacts {
  digest: string;
  /** The attestation they come from. */
  attestationId: string;
}

/** AttestationStore.list: each given field narrows the answer. */
export interface AttestationListFilter {
  verified?: boolean;
  /** Only attestations with this subject digest. */
  digest?: string;
  /** Most records one page holds (default 50, at most 500). */
  limit?: number;
  /** The `next` of the previous page. */
  cursor?: string;
}

/**
 * Attestations: Sigstore bundles and DSSE envelopes, verified on ingest above the store (the verifier decides; the
 * store keeps what it was told), for the provenance graph and the supply-chain SLIs.
 *
 * Contract (every driver; checked by store/attestation-store.contract.ts):
 * - `ingest` MUST be atomic (the record, its subjects, log entries, provenance facts and document, or nothing) and
 *   idempotent by `record.id`: a stored id (or one a concurrent call commits) stores nothing more and answers
 *   `created: false` with the stored record.
 * - A record MUST be stored with `verified` exactly as given: a driver MUST NOT turn an unverified record into a
 *   verified one (re-ingesting the same bytes answers the first record, whatever the second caller claims).
 * - `find` / `readDocument` / `readPredicate` MUST return the record / bytes / predicate exactly as given, or undefined.
 * - `forDigests` MUST return every stored attestation (verified or not) with a subject among the digests, sorted by
 *   ingestedAt then id, each once.
 * - `signedDigests` MUST return the given digests that are the subject of at least one VERIFIED attestation or
 *   signature. Unverified ones MUST NOT count.
 * - `signerIdentities` MUST return one row per (subject digest, identity, issuer) over VERIFIED attestations only,
 *   sorted by digest, identity, issuer; with `since`, only rows whose firstSeen is at or after it (instants compared).
 * - `signers` MUST return one row per (kind, identity, issuer) over VERIFIED attestations with a signer only, sorted
 *   by identity, issuer, kind, with the first and last signedAt (else ingestedAt; instants compared) and the count.
 * - `provenanceFacts` MUST return the facts of every VERIFIED attestation carrying provenance with a subject among
 *   the digests, one row per (digest, attestation), sorted by digest then attestation id.
 * - A database made before a migration MUST be upgraded in place on open: every record stays, and facts a new
 *   migration adds (provenance byproducts) MUST be read from the stored predicates of the records already held.
 * - `bySourceCommit` / `bySigner` MUST return the VERIFIED attestations whose provenance names that commit (exact,
 *   lower-case hex; a prefix of at least 7 hex characters also matches) / whose signer identity equals it (and the
 *   issuer, when given), sorted by ingestedAt then id.
 * - `list` MUST return the records the filter admits (`verified` equal, a subject equal to `digest`) newest ingest
 *   first (ingestedAt descending, instants compared, then id descending), each exactly once across the pages a cursor
 *   walks, even when attestations are ingested between two pages; `next` is absent on the last page. A malformed
 *   cursor MUST be refused with INPUT_MALFORMED.
 * - Values are data: SQL-significant characters (`'`, `%`, `_`, `\`, `;`) MUST match only themselves.
 * - Reads MUST see a write whole or not at all.
 */
export interface AttestationStore {
  ingest(write: AttestationWrite): Promise<{ record: AttestationRecord; created: boolean }>;
  find(id: string): Promise<AttestationRecord | undefined>;
  readDocument(id: string): Promise<Uint8Array | undefined>;
  readPredicate(id: string): Promise<unknown>;
  forDigests(digests: readonly string[]): Promise<AttestationRecord[]>;
  signedDigests(digests: readonly string[]): Promise<Set<string>>;
  signerIdentities(filter?: { since?: string }): Promise<SignerIdentityRow[]>;
  signers(): Promise<SignerRow[]>;
  provenanceFacts(digests: readonly string[]): Promise<ProvenanceFactsRow[]>;
  bySourceCommit(commit: string): Promise<AttestationRecord[]>;
  bySigner(identity: string, issuer?: string): Promise<AttestationRecord[]>;
  /** Stored attestations, newest ingest first, a page at a time (the dashboard's verification failures). */
  list(filter?: AttestationListFilter): Promise<{ attestations: AttestationRecord[]; next?: string }>;
  /** Resolves when the store answers a trivial query (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

// ---- Vulnerability scan results (issue 9: `vouch scan -o json` reports and CycloneDX VEX/VDR pushed to the index) ----

/** Severity buckets as `vouch scan` reports them; `unknown` when no severity could be scored. */
export type ScanSeverity = "critical" | "high" | "medium" | "low" | "none" | "unknown";

/** One finding of a stored scan: one vulnerability on one component. */
export interface ScanFinding {
  /** The preferred id (GHSA-…, CVE-…, DSA-…). */
  vulnerabilityId: string;
  /** Every other id of the same vulnerability, sorted, without duplicates. */
  aliases: string[];
  /** The component's purl as the report names it (with its version). */
  purl: string;
  name: string;
  version: string;
  severity: ScanSeverity;
  /** The worst CVSS base score, when one was scored. */
  score?: number;
  /** Versions that fix it, lowest first as the report gives them. */
  fixedIn: string[];
  /** In CISA's Known Exploited Vulnerabilities catalog. */
  kev: boolean;
  /** The VEX status the scan applied, when a statement covered the finding. */
  vexStatus?: "not_affected" | "affected" | "fixed" | "under_investigation";
}

/** A stored scan: one report about one artifact digest. */
export interface ScanRecord {
  /** `sha256:<hex>` of the artifact digest, a newline and the document's bytes (the idempotency key). */
  id: string;
  /** The artifact scanned: `sha256:<64 hex>`. */
  digest: string;
  service: string;
  /** What was pushed: vouch's JSON report, or a CycloneDX VEX/VDR document. */
  format: "vouch-json" | "cyclonedx";
  findingCount: number;
  /** RFC 3339 (the caller's clock). */
  ingestedAt: string;
  ingestedBy: string;
}

export interface ScanWrite {
  record: ScanRecord;
  findings: readonly ScanFinding[];
  /** The document exactly as received. */
  document: Uint8Array;
}

/**
 * Vulnerability scan results: what a scanner found in an artifact, as rows, for "which running services have
 * CVE-…" over the latest scan of each deployed digest.
 *
 * Contract (every driver; checked by store/scan-store.contract.ts):
 * - `ingest` MUST be atomic (the record, every finding and the document, or nothing) and idempotent by `record.id`:
 *   a stored id (or one a concurrent call commits) stores nothing more and answers `created: false` with the stored
 *   record, whatever the second caller's service, time or token.
 * - `find` / `readDocument` MUST return the record / the bytes exactly as given, or undefined; `findings` MUST return
 *   the scan's findings exactly as given, in the order given (empty for an unknown id).
 * - `latestForDigests` MUST return, for each given digest with at least one stored scan, the scan with the latest
 *   ingestedAt (instants compared, not strings), ties broken by the greater id; sorted by digest. Digests without a
 *   scan are left out; an empty list answers nothing.
 * - Timestamps that are not RFC 3339 MUST be refused with INPUT_MALFORMED, storing nothing.
 * - Values are data: SQL-significant characters (`'`, `%`, `_`, `\`, `;`) MUST be stored and matched as themselves.
 * - Reads MUST see a write whole or not at all.
 */
export interface ScanStore {
  ingest(write: ScanWrite): Promise<{ record: ScanRecord; created: boolean }>;
  find(id: string): Promise<ScanRecord | undefined>;
  findings(id: string): Promise<ScanFinding[]>;
  readDocument(id: string): Promise<Uint8Array | undefined>;
  latestForDigests(digests: readonly string[]): Promise<ScanRecord[]>;
  /** Resolves when the store answers a trivial query (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Who asked for a policy decision (policy/decision.ts DecideRequest.source). */
export type DecisionSource = "admission" | "cli" | "reconcile";

/** One policy decision as recorded: what was decided about which resource, and the Decision itself (JSON). */
export interface DecisionEvent {
  /** Unique; chosen by the caller (a UUID). */
  id: string;
  /** RFC 3339: when the decision was taken (the Decision's decidedAt). */
  time: string;
  source: DecisionSource;
  /** The resource decided on; `labels` as the policies' resource selectors saw them (a re-decision needs them). */
  resource: { kind: string; namespace?: string; name?: string; labels?: Readonly<Record<string, string>> };
  /** The AdmissionReview uid, for admission decisions. */
  uid?: string;
  operation?: string;
  allowed: boolean;
  /** Decided by an outage action (or in audit mode) and to be re-decided when the dependency is back. */
  needsReconciliation: boolean;
  /** The Decision (policy/decision.ts), as plain JSON. */
  decision: Readonly<Record<string, unknown>>;
  /** For a reconciliation: the id of the event it re-decided. */
  reconciles?: string;
  /** Set by markReconciled: when, and the id of the event that re-decided this one. */
  reconciled?: { at: string; by: string };
}

/** DecisionStore.list: each given field narrows the answer. */
export interface DecisionFilter {
  /** time >= since (instants compared). */
  since?: string;
  /** time < until. */
  until?: string;
  allowed?: boolean;
  /** Only events of this source. */
  source?: DecisionSource;
  needsReconciliation?: boolean;
  /** true: only events that need reconciliation and are not reconciled yet; false: only the others. */
  pending?: boolean;
  /** Most events one page holds (default 100, at most 1000). */
  limit?: number;
  /** The `next` of the previous page (of a list in the same order). */
  cursor?: string;
  /** "asc" (default): oldest first; "desc": newest first (the on-call view's recent denies). */
  order?: "asc" | "desc";
}

/** DecisionStore.counts over a window: the deny-rate SLI reads these. */
export interface DecisionCounts {
  total: number;
  allowed: number;
  denied: number;
  needsReconciliation: number;
  /** needsReconciliation and not yet reconciled. */
  pending: number;
}

/**
 * Policy decisions as events (admission, CLI gate, reconciliation), for auditors, the deny-rate SLI and
 * `vouch admission reconcile`.
 *
 * Contract (every driver; checked by store/decision-store.contract.ts):
 * - `record` MUST store the event whole or not at all, and MUST refuse (STORE_CONFLICT) an id already stored, leaving
 *   the stored event unchanged. A time that is not RFC 3339 MUST be refused with INPUT_MALFORMED, storing nothing.
 *   Once `record` resolves, the event is stored (every later read, from any process, sees it).
 * - `recordBatch` MUST store each event whose id is new whole (as `record` would) and MUST leave an id already stored
 *   (or repeated within the batch: the first one is stored) unchanged, naming it in `conflicts`; one conflict MUST NOT
 *   keep the others out. A time or source that `record` refuses MUST refuse the whole batch with INPUT_MALFORMED,
 *   storing nothing. Once it resolves, the stored events are seen by every later read.
 * - `find` MUST return the event exactly as recorded (the decision JSON deep-equal), with `reconciled` once set, or
 *   undefined.
 * - `list` MUST return the events the filter admits ordered by time (instants compared, not strings), then id
 *   (both descending with `order: "desc"`), each exactly once across the pages a cursor walks, even when events are
 *   recorded between two pages; `next` is absent on the last page. A malformed cursor, or one a list in the other
 *   order gave, MUST be refused with INPUT_MALFORMED.
 * - `markReconciled` MUST set `reconciled` the first time and MUST NOT change it after (answering the event with the
 *   first one); an unknown id answers undefined and changes nothing.
 * - `counts` MUST count exactly the events with since <= time < until (and of `source`, when given).
 * - Values are data: SQL-significant characters (`'`, `%`, `_`, `\`, `;`) MUST be stored and matched as themselves.
 * - Drivers MUST NOT cache: what another process records is seen by the next read.
 */
export interface DecisionStore {
  record(event: DecisionEvent): Promise<void>;
  /**
   * Many events in one write (one transaction, one statement per few hundred rows): what the policy engine's
   * background writer uses, so that recording costs the store one commit per batch instead of one per decision.
   */
  recordBatch(events: readonly DecisionEvent[]): Promise<{ conflicts: string[] }>;
  find(id: string): Promise<DecisionEvent | undefined>;
  list(filter?: DecisionFilter): Promise<{ events: DecisionEvent[]; next?: string }>;
  markReconciled(id: string, outcome: { at: string; by: string }): Promise<DecisionEvent | undefined>;
  /** `source`: only events of that source (the deny-rate SLI counts admission decisions, not re-checks or CI gates). */
  counts(window: { since: string; until: string; source?: DecisionEvent["source"] }): Promise<DecisionCounts>;
  close(): Promise<void>;
}
