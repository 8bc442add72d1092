import { join } from "node:path";
import type { FastifyInstance, FastifyServerOptions } from "fastify";
import { buildApp } from "../server/app.js";
import { listeningUrl, urlHost } from "../server/listen.js";
import type { AppDeps } from "../server/app.js";
import type { LogStore } from "../store/ports.js";
import type { PolicyEngine } from "../policy/decision.js";
import { watchPolicies } from "./admission-serve.js";
import { writeFileAtomic } from "./files.js";
import { startKeylessServices, type KeylessOptions, type KeylessServices } from "./keyless-services.js";
import { loadOrCreateLogKey, type LogKeyAlgorithm } from "./log-key.js";
import { LogService, type LogServiceOptions } from "./log-service.js";

export interface ServeOptions {
  host: string;
  port: number;
  /** The log's directory in the data dir (its key lives here). */
  logDir: string;
  store: LogStore;
  /** The log's public URL (log.url); its host names the log's checkpoints. Default: http://<host>:<port>. */
  publicUrl?: string;
  origin?: string;
  keyAlgorithm?: LogKeyAlgorithm;
  maxBatch?: number;
  maxDelayMs?: number;
  maxEntryBytes?: number;
  /** Witnesses that cosign the log's checkpoints (src/tlog/witnessing.ts). */
  witnessing?: LogServiceOptions["witnessing"];
  logger?: FastifyServerOptions["logger"];
  /**
   * The keyless services (`vouch serve`; `vouch log serve` runs the log alone): TSA, CT log, and the CA when one was
   * created. Their files live in `dataDir`, which also records the URL the server listens on (server.json).
   */
  keyless?: Omit<KeylessOptions, "publicUrl">;
  /**
   * The SBOM index and its API tokens (`vouch serve`). The server owns them from here: it closes both on close, and
   * when it fails to start.
   */
  index?: NonNullable<AppDeps["index"]>;
  /**
   * The admission webhooks (`vouch serve` with admission.policies): the engine, owned by the server from here (closed
   * with it), and the policy path it keeps the engine's policies in step with.
   */
  admission?: { engine: PolicyEngine; policyPath: string };
  /** The dashboard at `/` (`vouch serve` unless dashboard.enabled is false): the built web app (default dist/web). */
  dashboard?: NonNullable<AppDeps["dashboard"]>;
  /** How long close waits for requests in flight before it cuts their connections (default 10 s). */
  drainMs?: number;
}

/**
 * A client that stops reading an answer, or never finishes sending a body, keeps its request in flight; without a
 * deadline, SIGTERM would wait for Node's request timeout (5 minutes), and an orchestrator would SIGKILL the server
 * first, losing the batch the sequencer has in flight. After the deadline those connections are cut and the rest of
 * the shutdown (sequencer, stores) runs.
 */
const DEFAULT_DRAIN_MS = 10_000;

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  logService: LogService;
  keyless?: KeylessServices;
  /** Stops taking connections, lets requests and the batch in flight finish, then closes the store. */
  close(): Promise<void>;
}

/** Where `vouch serve` records the URL it serves on. */
export function serverRecordFile(dataDir: string): string {
  return join(dataDir, "server.json");
}

/** The log key file inside a log directory. */
export function logKeyFile(logDir: string): string {
  return join(logDir, "log-key.pem");
}

/**
 * `vouch serve` / `vouch log serve`: the transparency log (its key created on first start) behind the HTTP API,
 * listening on host:port.
 *
 * @example
 *   const server = await startServer({ host: "127.0.0.1", port: 8080, logDir, store });
 *   console.log(server.url);
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const privateKey = loadOrCreateLogKey(logKeyFile(options.logDir), options.keyAlgorithm);
  const publicUrl = options.publicUrl ?? `http://${urlHost(options.host)}:${options.port}`;
  const logService = await LogService.start({
    store: options.store,
    privateKey,
    name: new URL(publicUrl).hostname.replace(/^\[|\]$/g, ""),
    origin: options.origin,
    maxBatch: options.maxBatch,
    maxDelayMs: options.maxDelayMs,
    maxEntryBytes: options.maxEntryBytes,
    witnessing: options.witnessing,
  });
  let app: FastifyInstance;
  let keyless: KeylessServices | undefined;
  try {
    keyless = options.keyless ? await startKeylessServices({ ...options.keyless, publicUrl }) : undefined;
    app = await buildApp({
      log: logService.log,
      logger: options.logger,
      ...keyless?.deps,
      ...(options.index ? { index: options.index } : {}),
      ...(options.admission ? { admission: { engine: options.admission.engine } } : {}),
      ...(options.dashboard ? { dashboard: options.dashboard } : {}),
    });
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await keyless?.close();
    await closeIndex(options.index);
    await options.admission?.engine.close().catch(() => undefined);
    await logService.close();
    throw error;
  }
  const url = listeningUrl(app, options.host, options.port);
  // `vouch trust export` names this URL in trusted_root.json and signing_config.json unless told another.
  if (options.keyless) writeFileAtomic(serverRecordFile(options.keyless.dataDir), `${JSON.stringify({ url: options.publicUrl ?? url }, null, 2)}\n`);
  const policyWatch = options.admission ? watchPolicies({ policyPath: options.admission.policyPath, engine: options.admission.engine, log: app.log }) : undefined;
  return {
    url,
    app,
    logService,
    keyless,
    close: async () => {
      policyWatch?.close();
      const deadline = setTimeout(() => app.server.closeAllConnections(), options.drainMs ?? DEFAULT_DRAIN_MS);
      try {
        await app.close();
      } finally {
        clearTimeout(deadline);
      }
      await options.admission?.engine.close().catch(() => undefined);
      await keyless?.close();
      await closeIndex(options.index);
      await logService.close();
    },
  };
}

async function closeIndex(index: ServeOptions["index"]): Promise<void> {
  if (index === undefined) return;
  await index.service.close().catch(() => undefined);
  await index.tokens.close().catch(() => undefined);
}
