import { createHash, createPublicKey } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, open, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { VouchError } from "../core/errors.js";
import { decodeBase64Strict, type NoteVerifier } from "../core/note/index.js";
import { parseCertificate } from "../core/x509/index.js";
import {
  alertSink,
  compileWatchList,
  createMonitor,
  defaultSleep,
  fileMonitorState,
  keyFingerprint,
  normalizeFingerprint,
  parseWatchList,
  type FetchLike,
  type LogApi,
  type MonitorFiles,
  type MonitoredLog,
  type RunSummary,
  type Sleep,
  type WatchRule,
} from "../tlog/monitor/index.js";
import { VOUCH_VERSION } from "../version.js";
import { replaceFileDurably } from "../tlog/durable-file.js";
import { readTextFile } from "./files.js";

/**
 * `vouch log monitor`: the effectful shell around src/tlog/monitor. It reads the log key, the watch list and a
 * trusted checkpoint from files, keeps the monitor's state in a directory (checkpoints.jsonl: the archive, the audit
 * evidence; cursor.json: how far entries were scanned), writes alerts as JSON lines to stderr and an optional file,
 * and POSTs them to an optional webhook.
 */

export interface MonitorLogOptions {
  /** The log's base URL. */
  url: string;
  /** Which API to read it through (default "rekor-v1"). */
  api?: LogApi;
  /** The log's checkpoint key: a vkey, or a file holding a PEM public key or a vkey. */
  logKey: string;
  /** The checkpoint origin line; required with a PEM key, else the vkey's name. */
  origin?: string;
  /** Where the archive and cursor live; default defaultMonitorStateDir(dataDir, origin). */
  stateDir?: string;
  /** The data directory (VOUCH_DATA_DIR), for the default state directory. */
  dataDir?: string;
  /** A file holding a signed checkpoint to start from instead of trusting the first one seen. */
  trustCheckpointFile?: string;
  watch?: WatchFlags;
  /** Also append every alert to this file (JSON lines). */
  alertsFile?: string;
  /** Also POST every alert (JSON) to this URL. */
  webhook?: string;
  /** One round, then return (cron, CI); otherwise rounds every `intervalSeconds` until `signal` aborts. */
  once?: boolean;
  intervalSeconds?: number;
  batchSize?: number;
  /** First run only: the first entry to check against the watch list (default: the first checkpoint's size). */
  startIndex?: number;
  maxEntriesPerRound?: number;
  /** Attempts per request to the log and to the webhook (default 3). */
  attempts?: number;
  /** Per-request time limit in milliseconds (default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The outside world, injectable for tests; defaults are the real one. */
  fetch?: FetchLike;
  stderr?: (line: string) => void;
  now?: () => Date;
  sleep?: Sleep;
  files?: MonitorFiles;
  /** Wait before the second attempt of a request (log or webhook), doubled after each failure (default 500 ms; webhook 1 s). */
  backoffMs?: number;
}

/** Watch-list flags: each identity (or identity regexp) is a rule, with the issuer constraints if given. */
export interface WatchFlags {
  /** --watch-identity: subject alternative names, exactly. */
  identities?: string[];
  /** --watch-identity-regexp: anchored regular expressions. */
  identityRegExps?: string[];
  /** --watch-oidc-issuer: narrows every identity rule; alone, watches every certificate from that issuer. */
  issuer?: string;
  /** --watch-oidc-issuer-regexp. */
  issuerRegExp?: string;
  /** --watch-key: SHA-256 fingerprints (hex) of SubjectPublicKeyInfo, or files with a PEM public key or certificate. */
  keys?: string[];
  /** --watch-list: a JSON file of rules (see parseWatchList). */
  file?: string;
}

export interface MonitorLogResult extends RunSummary {
  /** 1 when any alert was raised (the CLI's exit code), else 0. */
  exitCode: 0 | 1;
  /** The checkpoint archive (audit evidence). */
  archive: string;
  /** The state directory used. */
  stateDir: string;
}

/**
 * Runs the monitor. Alerts are reported, not thrown: the result says how many (exit 1 when any).
 *
 * @throws VouchError INPUT_USAGE / INPUT_NOT_FOUND / INPUT_MALFORMED (exit 2) for unusable flags, key, watch list,
 *   trusted checkpoint, or a damaged archive or cursor.
 * @example
 *   const { exitCode } = await monitorLog({ url: "http://127.0.0.1:8080", api: "tiles", logKey: "log.pub", origin: "log.example.com/vouch", stateDir, once: true });
 */
export async function monitorLog(options: MonitorLogOptions): Promise<MonitorLogResult> {
  const log = loadLogKey(options.logKey, options.origin);
  const rules = watchRules(options.watch ?? {});
  const files = options.files ?? nodeMonitorFiles;
  const fetch = options.fetch ?? (globalThis.fetch as FetchLike);
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? defaultSleep;
  const stderr = options.stderr ?? ((line: string) => void process.stderr.write(`${line}\n`));
  if (options.stateDir === undefined && options.dataDir === undefined) throw new VouchError("INPUT_USAGE", "the monitor needs a state directory (--state-dir) or a data directory");
  const stateDir = options.stateDir ?? defaultMonitorStateDir(options.dataDir!, log.origin);
  const archive = join(stateDir, "checkpoints.jsonl");
  const lines: ((line: string) => void | Promise<void>)[] = [stderr];
  if (options.alertsFile !== undefined) {
    const file = options.alertsFile;
    lines.push((line) => files.append(file, `${line}\n`));
  }
  if (options.webhook !== undefined) checkHttpUrl(options.webhook, "--webhook");
  checkHttpUrl(options.url, "the log URL");
  if (options.intervalSeconds !== undefined && !(options.intervalSeconds > 0)) throw new VouchError("INPUT_USAGE", "--interval must be a positive number of seconds");

  const monitor = createMonitor({
    log,
    url: options.url,
    api: options.api ?? "rekor-v1",
    fetch,
    state: fileMonitorState(files, { archive, cursor: join(stateDir, "cursor.json") }),
    alert: alertSink({
      lines,
      now,
      ...(options.webhook === undefined
        ? {}
        : { webhook: { url: options.webhook, fetch, sleep, attempts: options.attempts, backoffMs: options.backoffMs } }),
    }),
    watch: compileWatchList(rules),
    trustedCheckpoint: options.trustCheckpointFile === undefined ? undefined : readTextFile(options.trustCheckpointFile),
    startIndex: options.startIndex,
    batchSize: options.batchSize,
    maxEntriesPerRound: options.maxEntriesPerRound,
    http: { attempts: options.attempts, backoffMs: options.backoffMs, timeoutMs: options.timeoutMs, userAgent: `vouch/${VOUCH_VERSION} (log monitor)` },
    now,
    sleep,
    signal: options.signal,
  });
  const summary = await monitor.run({ once: options.once, intervalMs: (options.intervalSeconds ?? 60) * 1000 });
  return { ...summary, exitCode: summary.alerts > 0 ? 1 : 0, archive, stateDir };
}

/** `<dataDir>/monitor/<first 16 hex of SHA-256(origin)>`: one state directory per log, whatever its origin says. */
export function defaultMonitorStateDir(dataDir: string, origin: string): string {
  return join(dataDir, "monitor", createHash("sha256").update(origin).digest("hex").slice(0, 16));
}

const VKEY = /^[^\s+]+\+[0-9a-fA-F]{8}\+\S+$/;

/**
 * The log's origin and checkpoint key from `--log-key` and `--origin`. A PEM public key verifies signature lines
 * named after the origin (as vouch's log and Rekor v1 write them: Rekor's origin and key name are both
 * "<host> - <tree ID>"), with the key's natural algorithm.
 *
 * @throws VouchError INPUT_USAGE (a PEM key without --origin), INPUT_NOT_FOUND, INPUT_MALFORMED.
 */
export function loadLogKey(ref: string, origin?: string): MonitoredLog {
  let text = ref;
  let file: string | undefined;
  if (existsSync(ref) || !VKEY.test(ref)) {
    file = ref;
    text = readTextFile(ref);
  }
  const trimmed = text.trim();
  if (trimmed.includes("-----BEGIN")) {
    if (origin === undefined) throw new VouchError("INPUT_USAGE", "a PEM log key needs --origin (the log's checkpoint origin line)");
    return { origin, keys: [pemVerifier(trimmed, origin, file)] };
  }
  if (!VKEY.test(trimmed)) throw new VouchError("INPUT_MALFORMED", "not a PEM public key or a verifier key (<name>+<key ID>+<key>)", { file });
  return { origin: origin ?? trimmed.slice(0, trimmed.indexOf("+")), keys: [trimmed] };
}

function pemVerifier(pem: string, origin: string, file: string | undefined): NoteVerifier {
  let der: Uint8Array;
  try {
    der = new Uint8Array(createPublicKey(pem).export({ type: "spki", format: "der" }));
  } catch (error) {
    throw new VouchError("INPUT_MALFORMED", "not a PEM public key", { file, cause: error });
  }
  return { name: origin, publicKeyDer: der, keyDetails: "" };
}

/**
 * The watch rules the flags describe.
 * @throws VouchError INPUT_USAGE for an unusable value (a bad regexp or fingerprint), INPUT_* for unreadable files.
 */
export function watchRules(flags: WatchFlags): WatchRule[] {
  const issuer = {
    ...(flags.issuer === undefined ? {} : { issuer: flags.issuer }),
    ...(flags.issuerRegExp === undefined ? {} : { issuerRegExp: flags.issuerRegExp }),
  };
  const rules: WatchRule[] = [
    ...(flags.identities ?? []).map((identity) => ({ identity, ...issuer })),
    ...(flags.identityRegExps ?? []).map((identityRegExp) => ({ identityRegExp, ...issuer })),
  ];
  if (rules.length === 0 && Object.keys(issuer).length > 0) rules.push({ ...issuer });
  for (const key of flags.keys ?? []) rules.push({ keyFingerprint: fingerprintOf(key) });
  if (flags.file !== undefined) rules.push(...parseWatchList(readTextFile(flags.file), flags.file));
  compileWatchList(rules);
  return rules;
}

/** A fingerprint given as hex, or the fingerprint of the key in a PEM public key or certificate file. */
function fingerprintOf(ref: string): string {
  const direct = normalizeFingerprint(ref);
  if (direct !== undefined && !existsSync(ref)) return direct;
  const pem = readTextFile(ref);
  const cert = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  try {
    if (cert !== null) {
      const der = decodeBase64Strict(cert[1]!.replace(/\s+/g, ""));
      if (der === undefined) throw new Error("the certificate is not base64");
      return keyFingerprint(parseCertificate(der).publicKeyDer);
    }
    return keyFingerprint(new Uint8Array(createPublicKey(pem).export({ type: "spki", format: "der" })));
  } catch (error) {
    throw new VouchError("INPUT_MALFORMED", "--watch-key: not a SHA-256 fingerprint, PEM public key or certificate", { file: ref, cause: error });
  }
}

function checkHttpUrl(url: string, what: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new VouchError("INPUT_USAGE", `${what} is not a URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new VouchError("INPUT_USAGE", `${what} must be an http(s) URL`);
}

/** MonitorFiles over node:fs: appends are flushed, replacements atomic (temporary file, fsync, rename, fsync dir). */
export const nodeMonitorFiles: MonitorFiles = {
  async read(path) {
    try {
      return await readFile(path, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return undefined;
      throw new VouchError("INPUT_UNREADABLE", `cannot read (${code ?? "error"})`, { file: path, cause: error });
    }
  },
  async append(path, text) {
    try {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const handle = await open(path, "a", 0o644);
      try {
        await handle.writeFile(text, "utf8");
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw new VouchError("INPUT_UNREADABLE", `cannot append (${(error as NodeJS.ErrnoException).code ?? "error"})`, { file: path, cause: error });
    }
  },
  async replace(path, text) {
    try {
      await replaceFileDurably(path, text, 0o644);
    } catch (error) {
      throw new VouchError("INPUT_UNREADABLE", `cannot write (${(error as NodeJS.ErrnoException).code ?? "error"})`, { file: path, cause: error });
    }
  },
};
