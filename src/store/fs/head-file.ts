import { VouchError } from "../../core/errors.js";
import type { LogHead } from "../ports.js";

/**
 * The head record: the commit point of the filesystem driver. Replacing this one small file (by rename) is what
 * makes an append visible, so it carries everything LogHead holds — the size, the root hash and the checkpoint text —
 * and nothing else decides what is committed. JSON, so an operator can read it.
 */

export function encodeHead(head: LogHead): string {
  return `${JSON.stringify({ size: head.size, rootHash: Buffer.from(head.rootHash).toString("hex"), checkpoint: head.checkpoint })}\n`;
}

/** Parses a stored head record. Stored bytes are not trusted to be well formed: anything else is STORE_CORRUPT. */
export function parseHead(text: string, file: string): LogHead {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new VouchError("STORE_CORRUPT", "the log's head record is not JSON", { file, cause: err });
  }
  const { size, rootHash, checkpoint } = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  if (!Number.isSafeInteger(size) || (size as number) < 0) throw corrupt(file, "size");
  if (typeof rootHash !== "string" || !/^[0-9a-f]{64}$/.test(rootHash)) throw corrupt(file, "rootHash");
  if (typeof checkpoint !== "string") throw corrupt(file, "checkpoint");
  return { size: size as number, rootHash: new Uint8Array(Buffer.from(rootHash, "hex")), checkpoint };
}

function corrupt(file: string, field: string): VouchError {
  return new VouchError("STORE_CORRUPT", `the log's head record has no valid "${field}"`, { file });
}
