/**
 * The worker-thread entry of createVerifier (verify-many.ts). It loads the trusted root and its trust material once,
 * at start, then answers each VerifyWorkerRequest with a VerifyWorkerReply for as long as it lives. Every failure of
 * a request is an outcome; nothing a bundle contains makes this thread throw.
 *
 * Started by file URL: dist/api/verify-worker.js from the build, or src/api/verify-worker.ts under tsx's loader
 * when running from the sources (see spawnVerifyWorker).
 */
import { parentPort, workerData } from "node:worker_threads";
import { publicGoodTrustedRoot } from "../bundle/trusted-root.js";
import { createVerifyContext, executeRequest, type VerificationOutcome, type VerifyWorkerData, type VerifyWorkerReply, type VerifyWorkerRequest } from "./verify-many.js";

const port = parentPort;
if (port === null) throw new Error("verify-worker runs only as a worker thread started by createVerifier()");

const data = workerData as VerifyWorkerData;
const context = createVerifyContext(data.trustedRoot ?? publicGoodTrustedRoot());

port.on("message", ({ id, request }: VerifyWorkerRequest) => {
  const outcome = executeRequest(context, request);
  try {
    port.postMessage({ id, outcome } satisfies VerifyWorkerReply);
  } catch (err) {
    const internal: VerificationOutcome = { ok: false, code: "INTERNAL", message: `the result cannot be sent back: ${err instanceof Error ? err.message : String(err)}` };
    port.postMessage({ id, outcome: internal } satisfies VerifyWorkerReply);
  }
});
