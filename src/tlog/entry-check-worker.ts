/**
 * The worker-thread entry of EntryCheckPool (entry-checks.ts): it checks each EntryCheckRequest with the same
 * function a log without a pool calls inline, and answers with the canonical entry or the error, in order. Nothing a
 * submission contains makes this thread throw.
 *
 * Started by file URL: dist/tlog/entry-check-worker.js from the build, or this file under tsx's loader when running
 * from the sources (see spawnEntryCheckWorker).
 */
import { parentPort } from "node:worker_threads";
import { checkEntry, toWireError, type EntryCheckReply, type EntryCheckRequest } from "./entry-checks.js";

const port = parentPort;
if (port === null) throw new Error("entry-check-worker runs only as a worker thread started by EntryCheckPool");

port.on("message", ({ id, form, input, maxBytes }: EntryCheckRequest) => {
  let reply: EntryCheckReply;
  try {
    reply = { id, entry: checkEntry(form, input, maxBytes) };
  } catch (error) {
    reply = { id, error: toWireError(error) };
  }
  try {
    port.postMessage(reply); // about 1 KiB: copied (the body may sit in Buffer's shared pool, which cannot move)
  } catch (err) {
    // An error whose cause cannot be cloned: the same error without it (the cause never reaches an HTTP answer).
    const error = "error" in reply && "code" in reply.error ? { ...reply.error, cause: undefined } : { other: new Error(`the check's result cannot be sent back: ${err instanceof Error ? err.message : String(err)}`) };
    port.postMessage({ id, error } satisfies EntryCheckReply);
  }
});

port.postMessage({ ready: true } satisfies EntryCheckReply);
