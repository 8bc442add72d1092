import { VouchError } from "../../core/errors.js";
import { HASH_SIZE } from "../../core/merkle/index.js";
import { parseCheckpoint, parseSignedNote } from "../../core/note/index.js";

/**
 * What a monitor remembers between runs: the archive of every checkpoint it verified (the audit evidence: each line a
 * checkpoint signed by the log, each consistent with the one before it), and how far it has scanned the log's entries.
 */

/** How a checkpoint came to be trusted. */
export type CheckpointTrust =
  /** The first checkpoint the monitor saw: trusted on first use. */
  | "tofu"
  /** The checkpoint the operator gave the monitor to start from. */
  | "given"
  /** Proven consistent with the archived checkpoint before it. */
  | "consistent";

export interface ArchivedCheckpoint {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  /** The signed note exactly as the log served it. */
  checkpoint: string;
  /** When the monitor verified it (ISO 8601). */
  observedAt: string;
  trust: CheckpointTrust;
}

export interface MonitorState {
  /** The last archived checkpoint: every later one must be consistent with it. */
  latest: ArchivedCheckpoint;
  /** The first entry not yet checked against the watch list. */
  nextIndex: number;
}

/**
 * Where a monitor keeps its state.
 *
 * Contract:
 * - `load` returns what `archive` and `saveCursor` stored, or undefined when nothing was ever archived; it MUST NOT
 *   return a default for damaged state (INPUT_MALFORMED naming the file and line): a monitor that forgot its last
 *   checkpoint would trust the next one on first use, which is how a split view would get past it.
 * - `archive` MUST be durable and append-only when it resolves: archived checkpoints are never rewritten.
 * - `saveCursor` replaces the cursor whole or not at all.
 */
export interface MonitorStateStore {
  /** Where the state lives, for messages (a directory, a file). */
  readonly location: string;
  load(): Promise<MonitorState | undefined>;
  archive(checkpoint: ArchivedCheckpoint): Promise<void>;
  saveCursor(nextIndex: number): Promise<void>;
}

/** The file operations a file-backed state needs, injected (STYLE.md #5); src/api/monitor.ts gives node:fs ones. */
export interface MonitorFiles {
  /** The file's text, or undefined when it does not exist. */
  read(path: string): Promise<string | undefined>;
  /** Appends `text`; durable (flushed) when it resolves. Creates the file (and its directory) when missing. */
  append(path: string, text: string): Promise<void>;
  /** Replaces the file with `text` whole or not at all (temporary file, flush, rename). */
  replace(path: string, text: string): Promise<void>;
}

/**
 * A MonitorStateStore in two files:
 * - `archive`: JSON lines, one per verified checkpoint, in order of size, appended and never rewritten:
 *   {"origin","size","rootHash" (hex),"checkpoint" (the signed note),"observedAt","trust"};
 * - `cursor`: {"nextIndex": N}, replaced after each batch of entries.
 * The archive is read whole and checked line by line on load (each line parses, its note says what the line says,
 * sizes increase, one origin throughout); a damaged line is INPUT_MALFORMED with its file and line number, never
 * skipped.
 *
 * @example
 *   const state = fileMonitorState(files, { archive: "/var/lib/vouch/monitor/checkpoints.jsonl", cursor: "/var/lib/vouch/monitor/cursor.json" });
 */
export function fileMonitorState(files: MonitorFiles, paths: { archive: string; cursor: string }): MonitorStateStore {
  let latest: ArchivedCheckpoint | undefined;
  return {
    location: paths.archive,
    async load() {
      const text = await files.read(paths.archive);
      const archived = text === undefined ? [] : parseArchive(text, paths.archive);
      latest = archived[archived.length - 1];
      const cursorText = await files.read(paths.cursor);
      if (latest === undefined) {
        if (cursorText !== undefined) throw new VouchError("INPUT_MALFORMED", `a cursor exists but the archive ${paths.archive} is missing or empty`, { file: paths.cursor });
        return undefined;
      }
      const nextIndex = cursorText === undefined ? latest.size : parseCursor(cursorText, paths.cursor);
      if (nextIndex > latest.size) {
        throw new VouchError("INPUT_MALFORMED", `cursor: nextIndex ${nextIndex} is beyond the archived checkpoint of size ${latest.size}`, { file: paths.cursor });
      }
      return { latest, nextIndex };
    },
    async archive(checkpoint) {
      if (latest !== undefined && (checkpoint.size <= latest.size || checkpoint.origin !== latest.origin)) {
        // The monitor never does this; the store keeps the archive append-only even if a caller tried.
        throw new VouchError("INPUT_USAGE", `archive: a checkpoint of size ${checkpoint.size} cannot follow size ${latest.size}`);
      }
      await files.append(paths.archive, `${archiveLine(checkpoint)}\n`);
      latest = checkpoint;
    },
    async saveCursor(nextIndex) {
      await files.replace(paths.cursor, `${JSON.stringify({ nextIndex })}\n`);
    },
  };
}

/** An in-memory MonitorStateStore (tests, and `--once` runs that should not remember anything: none should). */
export function memoryMonitorState(): MonitorStateStore & { readonly archived: readonly ArchivedCheckpoint[] } {
  const archived: ArchivedCheckpoint[] = [];
  let nextIndex = 0;
  return {
    location: "memory",
    archived,
    load: async () => {
      const latest = archived[archived.length - 1];
      return latest === undefined ? undefined : { latest, nextIndex };
    },
    archive: async (checkpoint) => {
      archived.push(checkpoint);
    },
    saveCursor: async (next) => {
      nextIndex = next;
    },
  };
}

export function archiveLine(c: ArchivedCheckpoint): string {
  return JSON.stringify({
    origin: c.origin,
    size: c.size,
    rootHash: Buffer.from(c.rootHash).toString("hex"),
    checkpoint: c.checkpoint,
    observedAt: c.observedAt,
    trust: c.trust,
  });
}

const TRUST = new Set<string>(["tofu", "given", "consistent"]);
const FIELDS = ["origin", "size", "rootHash", "checkpoint", "observedAt", "trust"];

/**
 * Parses a checkpoint archive (JSON lines). Signatures are not checked here: the monitor checks the latest one
 * against the configured key before it relies on it.
 *
 * @throws VouchError INPUT_MALFORMED with the file and 1-based line of the first damaged line.
 */
export function parseArchive(text: string, file?: string): ArchivedCheckpoint[] {
  const out: ArchivedCheckpoint[] = [];
  if (text === "") return out;
  // Every line ends in a newline: a last line without one was cut short by a crash or an edit.
  const lines = text.split("\n");
  const tail = lines.pop();
  lines.forEach((line, i) => {
    const fail = (why: string, cause?: unknown) =>
      new VouchError("INPUT_MALFORMED", `checkpoint archive: ${why}`, { file, line: i + 1, ...(cause === undefined ? {} : { cause }) });
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw fail("not a JSON line", error);
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw fail("not a JSON object");
    const record = json as Record<string, unknown>;
    for (const key of Object.keys(record)) if (!FIELDS.includes(key)) throw fail(`unknown field ${JSON.stringify(key)}`);
    const { origin, size, rootHash, checkpoint, observedAt, trust } = record;
    if (typeof origin !== "string" || origin === "") throw fail("origin is not a string");
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) throw fail("size is not a tree size");
    if (typeof rootHash !== "string" || !/^[0-9a-f]{64}$/.test(rootHash)) throw fail("rootHash is not a hex SHA-256 hash");
    if (typeof checkpoint !== "string") throw fail("checkpoint is not a string");
    if (typeof observedAt !== "string" || Number.isNaN(Date.parse(observedAt))) throw fail("observedAt is not a time");
    if (typeof trust !== "string" || !TRUST.has(trust)) throw fail(`trust is not one of ${[...TRUST].join(", ")}`);
    let parsed;
    try {
      parsed = parseCheckpoint(parseSignedNote(checkpoint).text);
    } catch (error) {
      throw fail(`the archived checkpoint does not parse: ${error instanceof Error ? error.message : String(error)}`, error);
    }
    if (parsed.origin !== origin || parsed.size !== BigInt(size) || parsed.rootHash.length !== HASH_SIZE || Buffer.from(parsed.rootHash).toString("hex") !== rootHash) {
      throw fail("the archived checkpoint is not the one the line describes (origin, size or root hash differ)");
    }
    const previous = out[out.length - 1];
    if (previous !== undefined) {
      if (origin !== previous.origin) throw fail(`origin ${JSON.stringify(origin)} differs from the lines before (${JSON.stringify(previous.origin)})`);
      if (size <= previous.size) throw fail(`size ${size} does not increase (the line before has ${previous.size})`);
    }
    out.push({ origin, size, rootHash: new Uint8Array(Buffer.from(rootHash, "hex")), checkpoint, observedAt, trust: trust as CheckpointTrust });
  });
  if (tail !== "") {
    throw new VouchError("INPUT_MALFORMED", "checkpoint archive: the last line is incomplete (no newline): the file was cut short or edited", {
      file,
      line: lines.length + 1,
    });
  }
  return out;
}

function parseCursor(text: string, file: string): number {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new VouchError("INPUT_MALFORMED", "cursor: not JSON", { file, cause: error });
  }
  const next = typeof json === "object" && json !== null ? (json as Record<string, unknown>).nextIndex : undefined;
  if (typeof next !== "number" || !Number.isSafeInteger(next) || next < 0) throw new VouchError("INPUT_MALFORMED", "cursor: nextIndex is not an entry index", { file });
  return next;
}
