import { createHash } from "node:crypto";
import { statSync, watch, type FSWatcher } from "node:fs";
import { dirname } from "node:path";
import type { FastifyInstance, FastifyServerOptions } from "fastify";
import type { Server as HttpsServer } from "node:https";
import { VouchError } from "../core/errors.js";
import { parseVexJson } from "../vuln/vex/detect.js";
import type { PolicyEngine } from "../policy/decision.js";
import type { ImagePolicy } from "../policy/model/types.js";
import { buildApp } from "../server/app.js";
import { listeningUrl } from "../server/listen.js";
import { readBytesFile } from "./files.js";
import { loadPolicies, policyFiles } from "./policy.js";

/**
 * `vouch admission serve`: the admission webhooks alone, over HTTPS, with the policies of a file or directory
 * reloaded when they change. A broken edit never empties the policy set: the last good set stays in force and the
 * reason is logged (Kyverno keeps serving the previous policy version too). The serving certificate is re-read when
 * its files change, so cert-manager's renewals take effect without a restart.
 */

export interface AdmissionServeOptions {
  /** A policy file or a directory of `*.yaml` policies. */
  policyPath: string;
  host: string;
  port: number;
  tlsCert: string;
  tlsKey: string;
  /** Builds the engine over the first policy set (src/api/policy-engine.ts createPolicyEngine). */
  createEngine: (policies: readonly ImagePolicy[]) => PolicyEngine | Promise<PolicyEngine>;
  /** Re-read the files this often even without a file event (network file systems send none). Default 10 s; 0: never. */
  pollMs?: number;
  logger?: FastifyServerOptions["logger"];
}

export type ReloadOutcome =
  | { readonly outcome: "unchanged" }
  | { readonly outcome: "reloaded"; readonly policies: number }
  | { readonly outcome: "rejected"; readonly reason: string; readonly keeping: number };

export interface RunningAdmissionServer {
  url: string;
  app: FastifyInstance;
  engine: PolicyEngine;
  /** Re-reads the policy and certificate files now (what a file change triggers). */
  reload(): ReloadOutcome;
  close(): Promise<void>;
}

/** The fingerprint of a set of files: their names and bytes. Unreadable files count as changed content. */
function fingerprint(files: readonly string[]): string {
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(file).update("\0");
    try {
      hash.update(readBytesFile(file));
    } catch (error) {
      hash.update(`unreadable: ${(error as Error).message}`);
    }
    hash.update("\0");
  }
  return hash.digest("hex");
}

/**
 * The policies of a file or directory, read as `vouch policy validate` reads them (policyFiles): `*.yaml` files,
 * hidden entries skipped, so a ConfigMap mounted as a directory (kubelet's `..data/` copies) counts each policy once.
 */
export function loadPolicyPath(path: string): ImagePolicy[] {
  return loadPolicies([path]);
}

function policyFilesOrNone(path: string): string[] {
  try {
    return policyFiles([path]);
  } catch {
    return [];
  }
}

/**
 * The deployment's VEX documents for vulnerability rules (vouch.yaml `admission.vex`), read and parsed once at start
 * so that a broken file stops the start instead of failing every vulnerability rule later. The bytes are what the
 * engine hands evaluation (PolicyEngineOptions.vex).
 *
 * @throws VouchError INPUT_NOT_FOUND / INPUT_UNREADABLE for a file that cannot be read, INPUT_MALFORMED /
 *   INPUT_UNSUPPORTED_FORMAT for one that is not OpenVEX or CycloneDX VEX; each naming the file.
 */
export function readVexFiles(files: readonly string[]): Uint8Array[] {
  return files.map((file) => {
    const bytes = readBytesFile(file);
    try {
      parseVexJson(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch (error) {
      if (error instanceof VouchError) throw new VouchError(error.code, error.message, { file, cause: error });
      throw new VouchError("INPUT_MALFORMED", `not UTF-8 text (${(error as Error).message})`, { file, cause: error });
    }
    return bytes;
  });
}

function readTls(options: Pick<AdmissionServeOptions, "tlsCert" | "tlsKey">): { cert: Buffer; key: Buffer } {
  return { cert: Buffer.from(readBytesFile(options.tlsCert)), key: Buffer.from(readBytesFile(options.tlsKey)) };
}

/**
 * Starts the webhook server. The first policy load must succeed (a webhook with no policies would deny every
 * image, or admit every one); later loads that fail keep the previous set.
 *
 * @example
 *   const server = await startAdmissionServer({ policyPath: "policies/", host: "0.0.0.0", port: 8443, tlsCert, tlsKey, createEngine: (policies) => createPolicyEngine({ policies }) });
 */
export async function startAdmissionServer(options: AdmissionServeOptions): Promise<RunningAdmissionServer> {
  const tls = readTls(options);
  const policies = loadPolicyPath(options.policyPath);
  const engine = await options.createEngine(policies);
  let app: FastifyInstance;
  try {
    app = await buildApp({ admission: { engine }, https: tls, logger: options.logger ?? false });
    // Fastify does not know the server factory made an HTTPS server: its start-up line would say http://.
    await app.listen({ host: options.host, port: options.port, listenTextResolver: (address) => `Server listening at ${address.replace(/^http:/, "https:")}` });
  } catch (error) {
    await engine.close().catch(() => undefined);
    throw error;
  }
  const watcher = watchPolicies({
    policyPath: options.policyPath,
    engine,
    log: app.log,
    pollMs: options.pollMs,
    tls: { cert: options.tlsCert, key: options.tlsKey, apply: (pair) => (app.server as unknown as HttpsServer).setSecureContext(pair) },
  });

  return {
    url: listeningUrl(app, options.host, options.port).replace(/^http:/, "https:"),
    app,
    engine,
    reload: watcher.reload,
    close: async () => {
      watcher.close();
      await app.close();
      await engine.close();
    },
  };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Where the watcher reports: pino's shape (Fastify's app.log), or anything with these three methods. */
export interface WatchLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface WatchPoliciesOptions {
  policyPath: string;
  /** Its policies are swapped (setPolicies) on every good reload. */
  engine: PolicyEngine;
  log: WatchLog;
  /** Re-read the files this often even without a file event (network file systems send none). Default 10 s; 0: never. */
  pollMs?: number;
  /** A serving certificate to re-read too, and how to put a new pair into service. */
  tls?: { cert: string; key: string; apply(pair: { cert: Buffer; key: Buffer }): void };
}

/**
 * Keeps an engine's policies in step with their files (`vouch admission serve`, and `vouch serve` with
 * admission.policies): the files are watched and polled; a change that parses replaces the set, one that does not
 * keeps the last good set and is logged once with the reason. The engine already holds the first set.
 */
export function watchPolicies(options: WatchPoliciesOptions): { reload(): ReloadOutcome; close(): void } {
  const { engine, log, tls } = options;
  let policyPrint = fingerprint(policyFilesOrNone(options.policyPath));
  let tlsPrint = tls === undefined ? "" : fingerprint([tls.cert, tls.key]);

  const reload = (): ReloadOutcome => {
    if (tls !== undefined) {
      const tlsNow = fingerprint([tls.cert, tls.key]);
      if (tlsNow !== tlsPrint) {
        try {
          tls.apply(readTls({ tlsCert: tls.cert, tlsKey: tls.key }));
          tlsPrint = tlsNow;
          log.info({ cert: tls.cert }, "serving certificate reloaded");
        } catch (error) {
          // A half-written pair (the key renewed before the certificate) fails here; the next event completes it.
          log.warn({ err: error }, "serving certificate not reloaded, keeping the previous one");
        }
      }
    }
    const printNow = fingerprint(policyFilesOrNone(options.policyPath));
    if (printNow === policyPrint) return { outcome: "unchanged" };
    const keeping = engine.policies().length;
    // Remember this content whatever happens: a broken edit is reported once, not on every poll, and a fix is a change again.
    policyPrint = printNow;
    try {
      const next = loadPolicyPath(options.policyPath);
      engine.setPolicies(next);
      log.info({ policies: next.map((p) => p.name) }, "policies reloaded");
      return { outcome: "reloaded", policies: next.length };
    } catch (error) {
      const reason = error instanceof VouchError ? error.describe() : (error as Error).message;
      log.error({ reason, keeping }, "policy reload failed; the previous policies stay in force");
      return { outcome: "rejected", reason, keeping };
    }
  };

  // Watch the directory (a file's parent for a file): editors and Kubernetes' ConfigMap updates replace files by
  // renaming, which a watch on the file itself would lose after the first change.
  const dirs = new Set([isDirectory(options.policyPath) ? options.policyPath : dirname(options.policyPath), ...(tls !== undefined ? [dirname(tls.cert), dirname(tls.key)] : [])]);
  let timer: NodeJS.Timeout | undefined;
  const soon = () => {
    clearTimeout(timer);
    // Coalesce the burst of events one save or ConfigMap swap makes.
    timer = setTimeout(reload, 100);
  };
  const watchers: FSWatcher[] = [];
  for (const dir of dirs) {
    try {
      watchers.push(watch(dir, { persistent: false }, soon).on("error", () => undefined));
    } catch (error) {
      log.warn({ dir, err: error }, "cannot watch for changes; relying on polling");
    }
  }
  const pollMs = options.pollMs ?? 10_000;
  const poll = pollMs > 0 ? setInterval(reload, pollMs).unref() : undefined;
  return {
    reload,
    close: () => {
      clearTimeout(timer);
      if (poll !== undefined) clearInterval(poll);
      for (const w of watchers) w.close();
    },
  };
}
