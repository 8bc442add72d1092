import { VouchError, isVouchError } from "../../core/errors.js";
import { bytesEqual, leafHash, verifyConsistency } from "../../core/merkle/index.js";
import { quoteUntrusted, type Alert, type AlertDetails, type AlertKind, type CheckpointEvidence } from "./alerts.js";
import { checkpointVerifier, type MonitoredLog, type VerifiedHead } from "./checkpoint.js";
import { HttpClient, LogUnreachableError, type FetchLike, type HttpOptions, type Sleep } from "./http.js";
import type { AlertSink } from "./notify.js";
import { entrySigners } from "./signers.js";
import { rekorV1Source, tilesSource, type LogApi, type LogSource } from "./sources.js";
import type { ArchivedCheckpoint, CheckpointTrust, MonitorState, MonitorStateStore } from "./state.js";
import type { WatchList } from "./watch-list.js";

export interface MonitorOptions {
  /** The log's origin and checkpoint key(s). */
  log: MonitoredLog;
  /** The log's base URL (Rekor v1: the host, e.g. https://rekor.sigstore.dev; tiles: the prefix of /checkpoint). */
  url: string;
  api: LogApi;
  fetch: FetchLike;
  state: MonitorStateStore;
  /** Where alerts go (see alertSink). */
  alert: AlertSink;
  /** Signers to alert on. Without rules, entries are not read at all (the cursor just follows the checkpoints). */
  watch?: WatchList;
  /**
   * A checkpoint (signed note) to start from instead of trusting the first one seen (TOFU). Used only when the state
   * is empty; the first checkpoint read must then be consistent with it.
   */
  trustedCheckpoint?: string;
  /** On the first run, the first entry to check against the watch list (default: the size of the first checkpoint). */
  startIndex?: number;
  /** Entries read and checked per batch; the cursor is saved after each (default 256, one entry bundle). */
  batchSize?: number;
  /** At most this many entries per round (default: all up to the latest checkpoint). */
  maxEntriesPerRound?: number;
  /** Parallel entry requests in Rekor v1 mode (default 8). */
  concurrency?: number;
  /** Retries and time limits of requests to the log. */
  http?: Pick<HttpOptions, "attempts" | "backoffMs" | "timeoutMs" | "userAgent">;
  now?: () => Date;
  sleep?: Sleep;
  /** Stops the monitor: requests in flight are aborted, `run` returns after the current step. */
  signal?: AbortSignal;
}

export interface RoundResult {
  /** Every alert raised this round, in order (webhook failures included). */
  alerts: Alert[];
  /** The latest verified checkpoint after this round, when there is one. */
  checkpoint?: { size: number; rootHash: string };
  /** A new checkpoint was verified and archived. */
  archived: boolean;
  /** Entries checked against the watch list this round: indexes from..to-1. */
  scanned: { from: number; to: number };
  /** Entries whose signer could not be read (a kind vouch does not parse and no PEM in it). */
  unreadable: number;
  /** The round was cut short by the abort signal. */
  stopped: boolean;
}

export interface RunSummary {
  rounds: number;
  alerts: number;
  byKind: Partial<Record<AlertKind, number>>;
  stopped: boolean;
}

export interface RunOptions {
  /** One round, then return (cron, CI). */
  once?: boolean;
  /** Time between the start of one round and the next (default 60 s). */
  intervalMs?: number;
}

export interface Monitor {
  /** One round: read and verify the latest checkpoint, prove it consistent, archive it, scan new entries. */
  round(): Promise<RoundResult>;
  /** Rounds until the abort signal (or one with `once`). */
  run(options?: RunOptions): Promise<RunSummary>;
}

type Step = "extends" | "same" | "alerted" | "stopped";

class Stopped extends Error {}

/**
 * A transparency-log monitor (issue 4, "Monitor and witness"). Each round:
 * 1. reads the latest checkpoint and verifies its signature with the configured key before anything else
 *    (bad-signature, bad-checkpoint);
 * 2. compares it with the last archived checkpoint: smaller is `shrunk`; the same size with another root, or a larger
 *    one whose consistency proof (Rekor's, or one computed from tiles) does not verify, is `inconsistent` (a split
 *    view: the log showed two histories). A checkpoint that passes is appended to the archive: the audit evidence.
 *    With nothing archived, the first checkpoint is trusted on first use unless one was given;
 * 3. reads the entries added since the cursor in bounded batches, each proven to be in the verified tree (bad-entry
 *    otherwise), and alerts on every signer the watch list matches (`unexpected-signer`).
 * A log that cannot be reached after retries is `unreachable`. An alert never advances the state: the next round
 * raises it again as long as the log keeps misbehaving.
 *
 * @throws VouchError INPUT_USAGE / INPUT_MALFORMED for an unusable configuration (keys, a given checkpoint); rounds
 *   throw INPUT_MALFORMED for damaged state (the archive, the cursor).
 * @example
 *   const monitor = createMonitor({
 *     log: { origin: "log.example.com/vouch", keys: [vkey] }, url: "https://log.example.com", api: "tiles",
 *     fetch, state: fileMonitorState(files, paths), alert: alertSink({ lines: [writeStderr], now }), watch,
 *   });
 *   const { alerts } = await monitor.round();
 */
export function createMonitor(options: MonitorOptions): Monitor {
  const verifier = checkpointVerifier(options.log);
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? defaultSleep;
  const signal = options.signal;
  const batchSize = positive(options.batchSize ?? 256, "batchSize");
  const maxEntries = options.maxEntriesPerRound === undefined ? Number.POSITIVE_INFINITY : positive(options.maxEntriesPerRound, "maxEntriesPerRound");
  if (options.startIndex !== undefined && !(Number.isSafeInteger(options.startIndex) && options.startIndex >= 0)) {
    throw new VouchError("INPUT_USAGE", `startIndex ${options.startIndex} is not an entry index`);
  }
  const http = new HttpClient({ fetch: options.fetch, sleep, signal, ...options.http });
  const source: LogSource =
    options.api === "tiles" ? tilesSource(http, options.url) : rekorV1Source(http, options.url, verifier, { concurrency: options.concurrency });
  const origin = verifier.origin;
  let given: VerifiedHead | undefined;
  if (options.trustedCheckpoint !== undefined) {
    const checked = verifier.check(options.trustedCheckpoint);
    if (!checked.ok) throw new VouchError("INPUT_MALFORMED", `the given checkpoint: ${checked.message}`);
    given = checked.head;
  }
  let state: MonitorState | undefined;
  let loaded = false;

  const loadState = async (): Promise<MonitorState | undefined> => {
    if (loaded) return state;
    const stored = await options.state.load();
    if (stored !== undefined) {
      // The archive is the monitor's memory of what the log committed to: if its latest line is not a checkpoint of
      // this log signed by this key, continuing would compare the log with something it never said.
      const checked = verifier.check(stored.latest.checkpoint);
      if (!checked.ok) {
        throw new VouchError("INPUT_MALFORMED", `the archived checkpoint of size ${stored.latest.size} is not this log's (${checked.message}): wrong --origin or key, or an edited archive`, {
          file: options.state.location,
        });
      }
    }
    state = stored;
    loaded = true;
    return state;
  };

  async function round(): Promise<RoundResult> {
    const alerts: Alert[] = [];
    const result: RoundResult = { alerts, archived: false, scanned: { from: 0, to: 0 }, unreadable: 0, stopped: false };
    const raise = async (details: AlertDetails) => {
      const alert = { ...details, at: now().toISOString(), log: origin, url: source.url } as Alert;
      alerts.push(alert, ...(await options.alert(alert)));
    };
    try {
      const stored = await loadState();
      const seen = await latest(raise);
      if (seen !== undefined) {
        if (stored === undefined) await firstRound(seen, raise, result);
        else {
          const step = await extend(headOf(stored.latest), seen, raise);
          if (step === "stopped") throw new Stopped();
          if (step === "extends") {
            await archive(seen, "consistent");
            result.archived = true;
          }
          if (step !== "alerted") await scan(raise, result);
        }
      }
    } catch (error) {
      if (!(error instanceof Stopped) && !signal?.aborted) throw error;
      result.stopped = true;
    }
    if (state !== undefined) result.checkpoint = { size: state.latest.size, rootHash: hex(state.latest.rootHash) };
    return result;
  }

  /** The latest checkpoint, verified; undefined when an alert was raised instead. */
  async function latest(raise: (d: AlertDetails) => Promise<void>): Promise<VerifiedHead | undefined> {
    let text: string;
    try {
      text = await source.latestCheckpoint();
    } catch (error) {
      const failure = classify(error);
      if (failure.stopped) throw new Stopped();
      if (failure.unreachable) await raise(unreachable(failure));
      else await raise({ kind: "bad-checkpoint", checkpoint: "", message: `the log's checkpoint could not be read: ${failure.message}` });
      return undefined;
    }
    const checked = verifier.check(text);
    if (!checked.ok) {
      await raise({ kind: checked.kind, checkpoint: quoteUntrusted(text), message: checked.message });
      return undefined;
    }
    return checked.head;
  }

  async function firstRound(seen: VerifiedHead, raise: (d: AlertDetails) => Promise<void>, result: RoundResult): Promise<void> {
    let start: VerifiedHead = seen;
    if (given !== undefined) {
      const step = await extend(given, seen, raise);
      if (step === "stopped") throw new Stopped();
      if (step === "alerted") return;
      await archive(given, "given");
      start = given;
      if (step === "extends") await archive(seen, "consistent");
    } else {
      await archive(seen, "tofu");
    }
    result.archived = true;
    const nextIndex = Math.min(options.startIndex ?? start.size, state!.latest.size);
    state = { latest: state!.latest, nextIndex };
    await options.state.saveCursor(nextIndex);
    await scan(raise, result);
  }

  /** Step 2: does `seen` extend `stored`? Raises the alert when it does not. */
  async function extend(stored: VerifiedHead, seen: VerifiedHead, raise: (d: AlertDetails) => Promise<void>): Promise<Step> {
    const evidence = { stored: evidenceOf(stored), seen: evidenceOf(seen) };
    if (seen.size < stored.size) {
      await raise({ kind: "shrunk", ...evidence, message: `the log signed a tree of size ${seen.size}, smaller than the size ${stored.size} it signed before` });
      return "alerted";
    }
    if (seen.size === stored.size) {
      if (bytesEqual(seen.rootHash, stored.rootHash)) return "same";
      await raise({ kind: "inconsistent", ...evidence, message: `the log signed two different root hashes for tree size ${seen.size}: a split view` });
      return "alerted";
    }
    // Every tree extends the empty one (RFC 9162 §2.1.4: nothing to prove from size 0).
    if (stored.size === 0) return "extends";
    let proof: Uint8Array[];
    try {
      proof = await source.consistencyProof(stored, seen);
    } catch (error) {
      const failure = classify(error);
      if (failure.stopped) return "stopped";
      if (failure.unreachable) await raise(unreachable(failure));
      else await raise({ kind: "inconsistent", ...evidence, message: `the log cannot prove size ${seen.size} extends size ${stored.size}: ${failure.message}` });
      return "alerted";
    }
    const check = verifyConsistency(BigInt(stored.size), BigInt(seen.size), proof, stored.rootHash, seen.rootHash);
    if (!check.ok) {
      await raise({
        kind: "inconsistent",
        ...evidence,
        proof: proof.map(hex),
        message: `the consistency proof from size ${stored.size} to ${seen.size} does not verify: ${check.reason} (a split view)`,
      });
      return "alerted";
    }
    return "extends";
  }

  async function archive(head: VerifiedHead, trust: CheckpointTrust): Promise<void> {
    const record: ArchivedCheckpoint = { origin, size: head.size, rootHash: head.rootHash, checkpoint: head.checkpoint, observedAt: now().toISOString(), trust };
    await options.state.archive(record);
    state = { latest: record, nextIndex: state?.nextIndex ?? head.size };
  }

  /** Step 3: entries nextIndex..latest, in batches, against the watch list. */
  async function scan(raise: (d: AlertDetails) => Promise<void>, result: RoundResult): Promise<void> {
    const current = state!;
    const head = headOf(current.latest);
    let next = current.nextIndex;
    result.scanned = { from: next, to: next };
    if (options.watch === undefined || options.watch.size === 0) {
      // Nothing to look for: reading entries would only cost the log bandwidth.
      if (next < head.size) await saveCursor(head.size);
      return;
    }
    const end = Math.min(head.size, next + maxEntries);
    while (next < end) {
      if (signal?.aborted) throw new Stopped();
      // Batches end on multiples of batchSize, so that with 256 each reads one entry bundle of a tiles log.
      const batchEnd = Math.min(end, (Math.floor(next / batchSize) + 1) * batchSize);
      let bodies: Uint8Array[];
      try {
        bodies = await source.entries(next, batchEnd - next, head);
      } catch (error) {
        const failure = classify(error);
        if (failure.stopped) throw new Stopped();
        if (failure.unreachable) await raise(unreachable(failure));
        else await raise({ kind: "bad-entry", logIndex: next, message: `entries ${next}..${batchEnd - 1} are not proven to be in the tree of size ${head.size}: ${failure.message}` });
        return;
      }
      for (let i = 0; i < bodies.length; i++) {
        const logIndex = next + i;
        const body = bodies[i]!;
        const { signers } = entrySigners(body);
        if (signers.length === 0) result.unreadable++;
        for (const signer of signers) {
          for (const match of options.watch.match(signer)) {
            const who = signer.identities.length > 0 ? signer.identities.join(", ") : `key ${signer.keyFingerprint}`;
            await raise({
              kind: "unexpected-signer",
              logIndex,
              leafHash: hex(leafHash(body)),
              rule: match.rule,
              signer,
              message: `entry ${logIndex} is signed by ${who}, which the watch rule ${JSON.stringify(match.rule)} matches`,
            });
          }
        }
      }
      next = batchEnd;
      result.scanned.to = next;
      await saveCursor(next);
    }
  }

  async function saveCursor(nextIndex: number): Promise<void> {
    await options.state.saveCursor(nextIndex);
    state = { latest: state!.latest, nextIndex };
  }

  function classify(error: unknown): { stopped: boolean; unreachable: boolean; message: string; request?: string; attempts?: number } {
    if (signal?.aborted) return { stopped: true, unreachable: false, message: "stopped" };
    if (error instanceof LogUnreachableError) return { stopped: false, unreachable: true, message: error.message, request: error.request, attempts: error.attempts };
    if (isVouchError(error)) return { stopped: false, unreachable: error.code === "LOG_UNAVAILABLE", message: error.message };
    throw error;
  }

  function unreachable(failure: { message: string; request?: string; attempts?: number }): AlertDetails {
    return { kind: "unreachable", request: failure.request ?? source.url, attempts: failure.attempts ?? 1, message: `the log is unreachable: ${failure.message}` };
  }

  async function run(runOptions: RunOptions = {}): Promise<RunSummary> {
    const intervalMs = runOptions.intervalMs ?? 60_000;
    const summary: RunSummary = { rounds: 0, alerts: 0, byKind: {}, stopped: false };
    while (!signal?.aborted) {
      const started = now().getTime();
      const result = await round();
      summary.rounds++;
      summary.alerts += result.alerts.length;
      for (const alert of result.alerts) summary.byKind[alert.kind] = (summary.byKind[alert.kind] ?? 0) + 1;
      if (result.stopped || runOptions.once) break;
      await sleep(Math.max(0, intervalMs - (now().getTime() - started)), signal);
    }
    summary.stopped = signal?.aborted ?? false;
    return summary;
  }

  return { round, run };
}

function headOf(c: ArchivedCheckpoint): VerifiedHead {
  return { size: c.size, rootHash: c.rootHash, checkpoint: c.checkpoint };
}

function evidenceOf(head: VerifiedHead): CheckpointEvidence {
  return { size: head.size, rootHash: hex(head.rootHash), checkpoint: head.checkpoint };
}

function positive(value: number, name: string): number {
  if (!(Number.isSafeInteger(value) && value > 0)) throw new VouchError("INPUT_USAGE", `${name} ${value} is not a positive integer`);
  return value;
}

/** Real time: resolves after `ms`, or at once when `signal` aborts. */
export const defaultSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}
