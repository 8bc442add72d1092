/**
 * The worker-thread entry of EntryCheckPool (entry-checks.ts): it checks each EntryCheckRequest with the same
 * function a log without a pool calls inline, and answers each message of requests with one message of answers, in
 * order. Nothing a submission contains makes this thread throw.
 *
 * Started by file URL: dist/tlog/entry-check-worker.js from the build, or this file under tsx's loader when running
 * from the sources (see spawnEntryCheckWorker).
 */
import { parentPort } from "node:worker_threads";
import { checkEntry, toWireError, type EntryCheckAnswer, type EntryCheckReply, type EntryCheckRequest } from "./entry-checks.js";

const port = parentPort;
if (port === null) throw new Error("entry-check-worker runs only as a worker thread started by EntryCheckPool");

port.on("message", (requests: EntryCheckRequest[]) => {
  const answers = requests.map(({ id, form, input, maxBytes }): EntryCheckAnswer => {
    try {
      return { id, entry: checkEntry(form, input, maxBytes) };
    } catch (error) {
      return { id, error: toWireError(error) };
    }
  });
  try {
    port.postMessage(answers satisfies EntryCheckReply); // about 1 KiB each: copied (a body may sit in Buffer's shared pool, which cannot move)
  } catch {
    // An error whose cause cannot be cloned: the same answers with such causes left out (a cause never reaches an
    // HTTP answer), each checked on its own.
    port.postMessage(answers.map(cloneable) satisfies EntryCheckReply);
  }
});

function cloneable(answer: EntryCheckAnswer): EntryCheckAnswer {
  try {
    structuredClone(answer);
    return answer;
  } catch (err) {
    const { id } = answer;
    if ("error" in answer && "code" in answer.error) return { id, error: { ...answer.error, cause: undefined } };
    return { id, error: { other: new Error(`the check's result cannot be sent back: ${err instanceof Error ? err.message : String(err)}`) } };
  }
}

port.postMessage({ ready: true } satisfies EntryCheckReply);
