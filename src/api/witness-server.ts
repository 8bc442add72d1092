import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { createCosigner, parseVerifierKey } from "../core/note/index.js";
import { VouchError } from "../core/errors.js";
import { listeningUrl } from "../server/listen.js";
import { errorHandler } from "../server/plugins/errors.js";
import { healthRoutes } from "../server/routes/health/index.js";
import { witnessRoutes } from "../server/routes/witness/index.js";
import { createWitness, fileWitnessState, type WitnessedLog } from "../tlog/witness/index.js";
import { loadOrCreateLogKey } from "./log-key.js";

export interface WitnessServerOptions {
  host: string;
  port: number;
  /** The witness's directory in the data dir: its Ed25519 key and the checkpoints it cosigned. */
  dir: string;
  /** The cosigner key name (SHOULD be a schema-less URL naming the witness, e.g. witness.example.com). */
  name: string;
  /** Logs to witness: "VKEY" (origin = the vkey's name) or "ORIGIN=VKEY". */
  logs: string[];
}

export interface RunningWitness {
  url: string;
  /** The witness's verifier key: give it to the log (--witness) and to verifiers (--witness-key). */
  vkey: string;
  close(): Promise<void>;
}

/**
 * `vouch log witness`: a c2sp.org/tlog-witness that checks consistency and cosigns checkpoints of the logs it is
 * told about (POST /add-checkpoint). Its key is created on first start; its state (the latest checkpoint cosigned
 * per log) survives restarts, so it never cosigns a checkpoint inconsistent with one it cosigned before.
 */
export async function startWitnessServer(options: WitnessServerOptions): Promise<RunningWitness> {
  if (options.logs.length === 0) throw new VouchError("INPUT_USAGE", "name at least one log to witness: --log VKEY or --log ORIGIN=VKEY");
  const logs: WitnessedLog[] = options.logs.map(parseWitnessedLog);
  const privateKey = loadOrCreateLogKey(join(options.dir, "witness-key.pem"), "ed25519");
  const cosigner = createCosigner({ name: options.name, privateKey });
  const witness = createWitness({ cosigner, logs, state: fileWitnessState(join(options.dir, "state")) });
  const app: FastifyInstance = Fastify({ logger: false, return503OnClosing: true });
  app.setErrorHandler(errorHandler);
  await app.register(healthRoutes, { ready: async () => true });
  await app.register(witnessRoutes, { witness });
  await app.listen({ host: options.host, port: options.port });
  return { url: listeningUrl(app, options.host, options.port), vkey: cosigner.formatVerifierKey(), close: () => app.close() };
}

function parseWitnessedLog(spec: string): WitnessedLog {
  // A vkey has no "=" (base64 padding aside, which appears only at its end); "origin=vkey" splits at the first "=".
  const split = spec.indexOf("=");
  const looksLikeOrigin = split > 0 && !spec.slice(0, split).includes("+");
  const vkey = looksLikeOrigin ? spec.slice(split + 1) : spec;
  const parsed = parseVerifierKey(vkey);
  return { origin: looksLikeOrigin ? spec.slice(0, split) : parsed.name, keys: [vkey] };
}
