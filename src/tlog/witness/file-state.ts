import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { replaceFileDurably } from "../durable-file.js";
import { VouchError } from "../../core/errors.js";
import { decodeBase64Strict, encodeBase64, parseCheckpoint, parseSignedNote } from "../../core/note/index.js";
import type { WitnessCheckpoint, WitnessStateStore } from "./state.js";

/**
 * A WitnessStateStore in a directory: one JSON file per log origin, `<hex SHA-256(origin)>.json` (origins are
 * arbitrary text: hashing keeps every one a distinct, safe file name), holding {origin, size, rootHash, note}.
 *
 * Each update is written whole or not at all: a temporary file in the same directory, fsynced, renamed over the old
 * file, then the directory fsynced so the rename itself survives a crash. Reads check that the file is the origin's
 * and that its note says the same size and root, so a damaged or swapped file is an error (STORE_CORRUPT), never a
 * silent reset to "nothing cosigned" (which would let the witness be rolled back).
 *
 * Atomicity of compareAndSet holds within one process (updates of one origin are serialised); one witness process
 * owns the directory.
 *
 * @example
 *   const witness = createWitness({ cosigner, logs, state: fileWitnessState(join(dataDir, "witness")) });
 */
export function fileWitnessState(directory: string): WitnessStateStore {
  const queues = new Map<string, Promise<unknown>>();
  const fileOf = (origin: string) => join(directory, `${createHash("sha256").update(origin).digest("hex")}.json`);

  // Runs `task` after every earlier task for the same origin, so a read-compare-write is never interleaved.
  const serialised = <T>(origin: string, task: () => Promise<T>): Promise<T> => {
    const previous = queues.get(origin) ?? Promise.resolve();
    const run = previous.then(task, task);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    queues.set(origin, settled);
    void settled.then(() => {
      if (queues.get(origin) === settled) queues.delete(origin);
    });
    return run;
  };

  return {
    get: (origin) => readState(fileOf(origin), origin),
    compareAndSet: (origin, oldSize, next) =>
      serialised(origin, async () => {
        const file = fileOf(origin);
        const current = await readState(file, origin);
        if ((current?.size ?? 0) !== oldSize) return false;
        const record: StateFile = { origin, size: next.size, rootHash: encodeBase64(next.rootHash), note: next.note };
        await writeAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
        return true;
      }),
  };
}

interface StateFile {
  origin: string;
  size: number;
  rootHash: string;
  note: string;
}

async function readState(file: string, origin: string): Promise<WitnessCheckpoint | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new VouchError("STORE_UNAVAILABLE", `witness state ${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? "error"})`, { cause: error });
  }
  const corrupt = (why: string, cause?: unknown) =>
    new VouchError("STORE_CORRUPT", `witness state ${file}: ${why}`, cause === undefined ? undefined : { cause });
  let record: Partial<Record<keyof StateFile, unknown>>;
  try {
    record = JSON.parse(text) as typeof record;
  } catch (error) {
    throw corrupt("not JSON", error);
  }
  if (record === null || typeof record !== "object") throw corrupt("not a JSON object");
  if (record.origin !== origin) throw corrupt(`holds origin ${JSON.stringify(record.origin)}, expected ${JSON.stringify(origin)}`);
  const size = record.size;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) throw corrupt("size is not a tree size");
  const rootHash = typeof record.rootHash === "string" ? decodeBase64Strict(record.rootHash) : undefined;
  if (rootHash === undefined || rootHash.length !== 32) throw corrupt("rootHash is not a base64 SHA-256 hash");
  if (typeof record.note !== "string") throw corrupt("note is not a string");
  // The note is what the log signed: it must say what the record says.
  try {
    const checkpoint = parseCheckpoint(parseSignedNote(record.note).text);
    if (checkpoint.origin !== origin || checkpoint.size !== BigInt(size) || encodeBase64(checkpoint.rootHash) !== record.rootHash) {
      throw corrupt("the stored note is not the checkpoint the record describes");
    }
  } catch (error) {
    if (error instanceof VouchError && error.code === "STORE_CORRUPT") throw error;
    throw corrupt("the stored note does not parse", error);
  }
  return { size, rootHash, note: record.note };
}

async function writeAtomic(file: string, data: string): Promise<void> {
  try {
    await replaceFileDurably(file, data, 0o600);
  } catch (error) {
    throw new VouchError("STORE_UNAVAILABLE", `witness state ${file}: cannot write (${(error as NodeJS.ErrnoException).code ?? "error"})`, { cause: error });
  }
}
