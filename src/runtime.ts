import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import type * as AjvModule from "ajv";
import type { ValidateFunction } from "ajv";
import envPaths from "env-paths";
import type * as YamlModule from "yaml";
import { VouchError } from "./core/errors.js";
import type { AdvisoryStore, AttestationStore, DecisionStore, IndexStore, LogStore, ScanStore, TokenStore } from "./store/ports.js";
import { ISSUERS_SCHEMA, type IssuerConfig } from "./ca/identity/config.js";

// yaml and ajv are ~135 modules, loaded only when there is a config file to read: every CLI verb imports this
// file, and most runs have none (start-up time matters for a CLI). Both are CommonJS under Node, so require keeps
// loadConfig synchronous.
const requireCjs = createRequire(import.meta.url);

/**
 * The composition root: where configuration, the data directory and (in later issues) store drivers are
 * chosen. Library code never reads process.env or picks paths itself; the CLI asks this file.
 */

export type Env = Readonly<Record<string, string | undefined>>;

/** Local state (keys, the advisory DB, the server's store, the log): --data-dir, else VOUCH_DATA_DIR, else the platform's user data dir. */
export function resolveDataDir(flag: string | undefined, env: Env = process.env): string {
  if (flag) return resolve(flag);
  if (env.VOUCH_DATA_DIR) return resolve(env.VOUCH_DATA_DIR);
  return envPaths("vouch", { suffix: "" }).data;
}

export interface VouchConfig {
  sbom?: {
    /** Globs left out of every `vouch sbom` run. */
    exclude?: string[];
    /** Largest file a cataloger reads, in bytes. */
    maxFileBytes?: number;
    /** Organisations the SBOM data is from (NTIA author), unless --author is given. */
    authors?: string[];
  };
  log?: LogConfig;
  /** The keyless CA `vouch serve` runs once `vouch ca init` has created it. */
  ca?: {
    /** OIDC issuers whose tokens the CA accepts (src/ca/identity/config.ts). */
    issuers?: IssuerConfig[];
  };
  /** The deployment's URL as clients reach it: written into trusted_root.json and signing_config.json. */
  url?: string;
  /** The SBOM index `vouch serve` runs (issue 9). */
  index?: IndexConfig;
  /** Kubernetes admission (issue 10): `vouch serve` mounts the webhooks when `policies` is set. */
  admission?: AdmissionConfig;
  /** The dashboard (issue 11): `vouch serve` serves the built web app at `/` unless `enabled` is false. */
  dashboard?: { enabled?: boolean };
}

/** The `admission:` section of vouch.yaml (`vouch serve`; `vouch admission serve` takes its flags first). */
export interface AdmissionConfig {
  /** A policy file or a directory of them; reloaded when they change. */
  policies?: string;
  /** An image no policy covers: deny (default, as policy-controller), warn, or allow. */
  noMatch?: "deny" | "warn" | "allow";
  /** The default trusted root for keyless authorities without their own (default: Sigstore's public-good root). */
  trustedRoot?: string;
  /**
   * OpenVEX / CycloneDX VEX files for vulnerability rules (read at start). The advisory database is the deployment's
   * own, as `vouch scan` opens it (DATABASE_URL, else the data directory's), opened when a vulnerability rule needs it.
   */
  vex?: string[];
  /** Re-decide, this often, the recorded decisions an outage action took once the registry is back (`90s`, `5m`, `1h`). Default: never. */
  reconcileEvery?: string;
  /** How long verdicts are reused: allowed images (default 5m), denied or warned ones (30s), a tag's digest (30s). */
  cache?: { positiveTtl?: string; negativeTtl?: string; resolveTtl?: string };
}

/** The `index:` section of vouch.yaml. */
export interface IndexConfig {
  /** Impact queries without a token (writes always need one). Default false. */
  anonymousRead?: boolean;
  /** Largest SBOM a push may send, in bytes (default 64 MiB); beyond it the server answers 413. */
  maxSbomBytes?: number;
  /** Most components one SBOM may have (default 500,000); beyond it the server answers 413, storing nothing. */
  maxComponents?: number;
  /** Teams for the SLIs: team → its services (a service belongs to one team). */
  teams?: Record<string, string[]>;
  /** CI identity tokens (issuers from ca.issuers) and the scopes each identity gets. */
  oidc?: {
    audience?: string;
    identities: { issuer: string; subject: string; scopes: ("ingest" | "read" | "admin")[] }[];
  };
  /**
   * What attestations pushed to the index are verified against, besides this deployment's own CA, log and TSA
   * (when it runs them): a trusted_root.json (e.g. Sigstore's public-good root) and PEM public keys (keyed signing).
   */
  trust?: { trustedRoot?: string; keys?: string[] };
  /** SLO targets drawn on the dashboard's SLI charts (ratios in [0, 1]; denyRate a ceiling). Defaults 0.95, 0.9, 0.9, 0.8, 0.05. */
  slo?: { signedDeploymentRatio?: number; sbomCoverage?: number; sbomAlignment?: number; provenanceCompleteness?: number; denyRate?: number };
  /** Key health (GET /api/v1/keys): a signing key is due for rotation after rotateAfterDays (default 90), flagged warnBeforeDays (14) before. */
  keys?: { rotateAfterDays?: number; warnBeforeDays?: number };
}

/** The `log:` section of vouch.yaml: the transparency log `vouch serve` and `vouch log serve` run. */
export interface LogConfig {
  /** Where the tree lives: "filesystem" (default, tlog-tiles files in the data dir), "sqlite", or "postgres" (DATABASE_URL). */
  store?: "filesystem" | "sqlite" | "postgres";
  /** Checkpoint origin line and note key name (default: derived from the log key). */
  origin?: string;
  /** The log's URL as clients reach it (trusted_root.json baseUrl). */
  url?: string;
  keyAlgorithm?: "ecdsa-p256" | "ed25519";
  maxBatch?: number;
  maxDelayMs?: number;
  maxEntryBytes?: number;
}

/** A duration in vouch.yaml: a whole number of milliseconds, seconds, minutes or hours (`500ms`, `30s`, `5m`, `1h`). */
const DURATION_PATTERN = "^[0-9]{1,9}(ms|s|m|h)$";

/** Milliseconds of a duration that matched DURATION_PATTERN (`5m` → 300000). */
export function durationMs(text: string): number {
  const m = /^([0-9]{1,9})(ms|s|m|h)$/.exec(text);
  if (m === null) throw new VouchError("INPUT_MALFORMED", `${JSON.stringify(text)} is not a duration such as 500ms, 30s, 5m or 1h`);
  return Number(m[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
}

/** JSON schema of vouch.yaml; later issues add their sections here. */
export const CONFIG_SCHEMA = {
  $id: "https://vouch.dev/schema/config.json",
  type: "object",
  additionalProperties: false,
  properties: {
    sbom: {
      type: "object",
      additionalProperties: false,
      properties: {
        exclude: { type: "array", items: { type: "string", minLength: 1 } },
        maxFileBytes: { type: "integer", minimum: 1 },
        authors: { type: "array", items: { type: "string", minLength: 1 } },
      },
    },
    url: { type: "string", pattern: "^https?://" },
    ca: {
      type: "object",
      additionalProperties: false,
      properties: { issuers: ISSUERS_SCHEMA },
    },
    index: {
      type: "object",
      additionalProperties: false,
      properties: {
        anonymousRead: { type: "boolean" },
        trust: {
          type: "object",
          additionalProperties: false,
          properties: {
            trustedRoot: { type: "string", minLength: 1 },
            keys: { type: "array", items: { type: "string", minLength: 1 } },
          },
        },
        maxSbomBytes: { type: "integer", minimum: 1024, maximum: 4294967296 },
        slo: {
          type: "object",
          additionalProperties: false,
          properties: Object.fromEntries(
            ["signedDeploymentRatio", "sbomCoverage", "sbomAlignment", "provenanceCompleteness", "denyRate"].map((k) => [k, { type: "number", minimum: 0, maximum: 1 }]),
          ),
        },
        keys: {
          type: "object",
          additionalProperties: false,
          properties: {
            rotateAfterDays: { type: "integer", minimum: 1, maximum: 36500 },
            warnBeforeDays: { type: "integer", minimum: 0, maximum: 36500 },
          },
        },
        maxComponents: { type: "integer", minimum: 1, maximum: 100000000 },
        teams: {
          type: "object",
          propertyNames: { minLength: 1, maxLength: 200 },
          additionalProperties: { type: "array", items: { type: "string", minLength: 1, maxLength: 200 }, uniqueItems: true },
        },
        oidc: {
          type: "object",
          additionalProperties: false,
          required: ["identities"],
          properties: {
            audience: { type: "string", minLength: 1 },
            identities: {
              type: "array",
              items: {
                type: "object",
                additionalProperties: false,
                required: ["issuer", "subject", "scopes"],
                properties: {
                  issuer: { type: "string", pattern: "^https?://" },
                  subject: { type: "string", minLength: 1 },
                  scopes: { type: "array", minItems: 1, items: { enum: ["ingest", "read", "admin"] } },
                },
              },
            },
          },
        },
      },
    },
    admission: {
      type: "object",
      additionalProperties: false,
      properties: {
        policies: { type: "string", minLength: 1 },
        noMatch: { enum: ["deny", "warn", "allow"] },
        trustedRoot: { type: "string", minLength: 1 },
        vex: { type: "array", items: { type: "string", minLength: 1 } },
        reconcileEvery: { type: "string", pattern: DURATION_PATTERN },
        cache: {
          type: "object",
          additionalProperties: false,
          properties: {
            positiveTtl: { type: "string", pattern: DURATION_PATTERN },
            negativeTtl: { type: "string", pattern: DURATION_PATTERN },
            resolveTtl: { type: "string", pattern: DURATION_PATTERN },
          },
        },
      },
    },
    dashboard: {
      type: "object",
      additionalProperties: false,
      properties: { enabled: { type: "boolean" } },
    },
    log: {
      type: "object",
      additionalProperties: false,
      properties: {
        store: { enum: ["filesystem", "sqlite", "postgres"] },
        origin: { type: "string", minLength: 1, pattern: "^[^\\s+]+$" },
        url: { type: "string", pattern: "^https?://" },
        keyAlgorithm: { enum: ["ecdsa-p256", "ed25519"] },
        maxBatch: { type: "integer", minimum: 1, maximum: 65536 },
        maxDelayMs: { type: "integer", minimum: 0, maximum: 60000 },
        maxEntryBytes: { type: "integer", minimum: 1024, maximum: 16777216 },
      },
    },
  },
} as const;

// Compiled on first use, for the same reason.
let validateConfig: ValidateFunction<VouchConfig> | undefined;

/** --config FILE, else VOUCH_CONFIG, else no file (defaults). A bad file is an input error naming the field. */
export function loadConfig(flag: string | undefined, env: Env = process.env): VouchConfig {
  const path = flag ?? env.VOUCH_CONFIG;
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new VouchError("INPUT_NOT_FOUND", `cannot read config (${(err as NodeJS.ErrnoException).code ?? "error"})`, { file: path });
  }
  const { parse: parseYaml, YAMLParseError } = requireCjs("yaml") as typeof YamlModule;
  let data: unknown;
  try {
    data = parseYaml(text) ?? {};
  } catch (err) {
    const line = err instanceof YAMLParseError ? err.linePos?.[0]?.line : undefined;
    throw new VouchError("INPUT_MALFORMED", `invalid YAML: ${(err as Error).message.split("\n")[0]}`, { file: path, line });
  }
  const { Ajv } = requireCjs("ajv") as typeof AjvModule;
  validateConfig ??= new Ajv({ allErrors: true }).compile<VouchConfig>(CONFIG_SCHEMA);
  if (!validateConfig(data)) {
    const e = validateConfig.errors?.[0];
    throw new VouchError("INPUT_MALFORMED", `invalid config at ${e?.instancePath || "/"}: ${e?.message ?? "invalid"}`, { file: path });
  }
  return data;
}

/** Where the log keeps its files and key inside the data directory. */
export function logDir(dataDir: string): string {
  return join(dataDir, "log");
}

/**
 * Opens the log's store: PostgreSQL when DATABASE_URL is set (or `log.store: postgres`), else SQLite or the
 * filesystem (default) in the data directory. The only place a driver is picked (ARCHITECTURE.md); drivers are
 * imported here on demand so that verbs without a log never load Kysely, pg or better-sqlite3.
 */
export async function openLogStore(config: VouchConfig, dataDir: string, env: Env = process.env): Promise<{ store: LogStore; description: string }> {
  return openTreeStore(config, env, { dir: logDir(dataDir), sqliteFile: "log.sqlite" });
}

/** The advisory database's SQLite file inside the data directory. */
export function advisoryDbFile(dataDir: string): string {
  return join(dataDir, "advisories.sqlite");
}

/**
 * Opens the advisory database (`vouch db`, `vouch scan`): PostgreSQL when DATABASE_URL is set (its `advisory_*`
 * tables beside the log's), else SQLite in the data directory. Drivers are imported on demand, as for the log.
 */
export async function openAdvisoryStore(_config: VouchConfig, dataDir: string, env: Env = process.env): Promise<{ store: AdvisoryStore; description: string }> {
  const url = env.DATABASE_URL;
  if (url) {
    const { openPostgresAdvisoryStore } = await import("./store/postgres/advisory-store.js");
    return { store: await openPostgresAdvisoryStore(url), description: `PostgreSQL (${redactUrl(url)})` };
  }
  const file = advisoryDbFile(dataDir);
  const { openSqliteAdvisoryStore } = await import("./store/sqlite/advisory-store.js");
  return { store: await openSqliteAdvisoryStore(file), description: `SQLite (${file})` };
}

/** The API tokens' SQLite file inside the data directory: the SBOM index's file (the tokens guard the index). */
export function tokenDbFile(dataDir: string): string {
  return join(dataDir, "index.sqlite");
}

/**
 * Opens the API token store (`vouch token`, and `vouch serve`'s index auth): PostgreSQL when DATABASE_URL is set
 * (its `index_tokens` table), else SQLite in the data directory. Drivers are imported on demand, as for the log.
 */
export async function openTokenStore(_config: VouchConfig, dataDir: string, env: Env = process.env): Promise<{ store: TokenStore; description: string }> {
  const url = env.DATABASE_URL;
  if (url) {
    const { openPostgresTokenStore } = await import("./store/postgres/token-store.js");
    return { store: await openPostgresTokenStore(url), description: `PostgreSQL (${redactUrl(url)})` };
  }
  const file = tokenDbFile(dataDir);
  const { openSqliteTokenStore } = await import("./store/sqlite/token-store.js");
  return { store: await openSqliteTokenStore(file), description: `SQLite (${file})` };
}

/** The SBOM index's SQLite file inside the data directory. */
export function indexDbFile(dataDir: string): string {
  return join(dataDir, "index.sqlite");
}

/**
 * Opens the SBOM index (`vouch serve`'s index routes): PostgreSQL when DATABASE_URL is set (its `sboms`,
 * `sbom_components`, `deployments` tables beside the others, migrations in `vouch_index_migration`), else SQLite in
 * the data directory. Drivers are imported on demand, as for the log.
 */
export async function openIndexStore(_config: VouchConfig, dataDir: string, env: Env = process.env): Promise<{ store: IndexStore; description: string }> {
  const url = env.DATABASE_URL;
  if (url) {
    const { openPostgresIndexStore } = await import("./store/postgres/index-store.js");
    return { store: await openPostgresIndexStore(url), description: `PostgreSQL (${redactUrl(url)})` };
  }
  const file = indexDbFile(dataDir);
  const { openSqliteIndexStore } = await import("./store/sqlite/index-store.js");
  return { store: await openSqliteIndexStore(file), description: `SQLite (${file})` };
}

/**
 * Opens the attestation store (`vouch serve`'s attestations and provenance routes): PostgreSQL when DATABASE_URL is
 * set (its `attestations` tables beside the index's, migrations in `vouch_attestation_migration`), else SQLite in the
 * index's file in the data directory.
 */
export async function openAttestationStore(_config: VouchConfig, dataDir: string, env: Env = process.env): Promise<{ store: AttestationStore; description: string }> {
  const url = env.DATABASE_URL;
  if (url) {
    const { openPostgresAttestationStore } = await import("./store/postgres/attestation-store.js");
    return { store: await openPostgresAttestationStore(url), description: `PostgreSQL (${redactUrl(url)})` };
  }
  const file = indexDbFile(dataDir);
  const { openSqliteAttestationStore } = await import("./store/sqlite/attestation-store.js");
  return { store: await openSqliteAttestationStore(file), description: `SQLite (${file})` };
}

/**
 * Opens the scan store (`vouch serve`'s scans and vulnerabilities routes): PostgreSQL when DATABASE_URL is set (its
 * `scans` tables beside the index's, migrations in `vouch_scan_migration`), else SQLite in the index's file.
 */
export async function openScanStore(_config: VouchConfig, dataDir: string, env: Env = process.env): Promise<{ store: ScanStore; description: string }> {
  const url = env.DATABASE_URL;
  if (url) {
    const { openPostgresScanStore } = await import("./store/postgres/scan-store.js");
    return { store: await openPostgresScanStore(url), description: `PostgreSQL (${redactUrl(url)})` };
  }
  const file = indexDbFile(dataDir);
  const { openSqliteScanStore } = await import("./store/sqlite/scan-store.js");
  return { store: await openSqliteScanStore(file), description: `SQLite (${file})` };
}

/**
 * Opens the policy decision store (admission and `vouch policy eval` record decisions; `vouch admission reconcile`
 * re-decides them): PostgreSQL when DATABASE_URL is set (its `policy_decisions` table, migrations in
 * `vouch_decision_migration`), else SQLite in the index's file in the data directory.
 */
export async function openDecisionStore(_config: VouchConfig, dataDir: string, env: Env = process.env): Promise<{ store: DecisionStore; description: string }> {
  const url = env.DATABASE_URL;
  if (url) {
    const { openPostgresDecisionStore } = await import("./store/postgres/decision-store.js");
    return { store: await openPostgresDecisionStore(url), description: `PostgreSQL (${redactUrl(url)})` };
  }
  const file = indexDbFile(dataDir);
  const { openSqliteDecisionStore } = await import("./store/sqlite/decision-store.js");
  return { store: await openSqliteDecisionStore(file), description: `SQLite (${file})` };
}

/** Where one tree lives: its directory in the data dir, its SQLite file there, its PostgreSQL schema. */
interface TreePlace {
  dir: string;
  sqliteFile: string;
  /** PostgreSQL schema (default: the connection's, for the transparency log). */
  schema?: string;
}

async function openTreeStore(config: VouchConfig, env: Env, place: TreePlace): Promise<{ store: LogStore; description: string }> {
  const kind = config.log?.store ?? (env.DATABASE_URL ? "postgres" : "filesystem");
  switch (kind) {
    case "postgres": {
      const url = env.DATABASE_URL;
      if (!url) throw new VouchError("INPUT_USAGE", "log.store is postgres but DATABASE_URL is not set");
      const { openPostgresLogStore } = await import("./store/postgres/log-store.js");
      const where = place.schema ? `, schema ${place.schema}` : "";
      return { store: await openPostgresLogStore(url, { schema: place.schema }), description: `PostgreSQL (${redactUrl(url)}${where})` };
    }
    case "sqlite": {
      const file = join(place.dir, place.sqliteFile);
      const { openSqliteLogStore } = await import("./store/sqlite/log-store.js");
      return { store: await openSqliteLogStore(file), description: `SQLite (${file})` };
    }
    default: {
      const dir = join(place.dir, "tiles");
      const { openFsLogStore } = await import("./store/fs/log-store.js");
      return { store: await openFsLogStore(dir), description: `files (${dir})` };
    }
  }
}

/**
 * Keyless signing's service URLs from vouch.yaml: a `url` names a vouch deployment, whose CA (Fulcio v2), log (Rekor
 * v1) and TSA all live there. Flags and --signing-config take precedence (src/sign/keyless/services.ts).
 */
export function keylessServiceDefaults(config: VouchConfig): { caUrl?: string; tlog?: { url: string; majorApiVersion: 1 }[]; tsaUrls?: string[] } {
  const url = config.url?.replace(/\/+$/, "");
  if (url === undefined) return {};
  return { caUrl: url, tlog: [{ url, majorApiVersion: 1 }], tsaUrls: [`${url}/api/v1/timestamp`] };
}

/** Where the CT log keeps its key and tree inside the data directory. */
export function ctDataDir(dataDir: string): string {
  return join(dataDir, "ct");
}

/**
 * Opens the certificate transparency log's store: the same kind as the transparency log's (log.store), kept apart
 * from it (its own directory, SQLite file, or PostgreSQL schema "ct"), since it is a tree of its own.
 */
export async function openCtLogStore(config: VouchConfig, dataDir: string, env: Env = process.env): Promise<LogStore> {
  return (await openTreeStore(config, env, { dir: ctDataDir(dataDir), sqliteFile: "ct.sqlite", schema: "ct" })).store;
}

/** A connection string without its password, for logs. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres";
  }
}
