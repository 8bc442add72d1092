import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import { resolveDataDir } from "../../runtime.js";
import { out } from "../io.js";
import { collect, wholeNumber, type GlobalOptions } from "../options.js";

interface MonitorFlags {
  url: string;
  api: string;
  logKey: string;
  origin?: string;
  stateDir?: string;
  trustCheckpoint?: string;
  startIndex?: string;
  watchIdentity: string[];
  watchIdentityRegexp: string[];
  watchOidcIssuer?: string;
  watchOidcIssuerRegexp?: string;
  watchKey: string[];
  watchList?: string;
  alertsFile?: string;
  webhook?: string;
  once?: boolean;
  interval: string;
  batchSize?: string;
  maxEntriesPerRound?: string;
  attempts?: string;
  timeout?: string;
}

/**
 * `vouch log monitor`: follows a log (vouch's or any Rekor v1 / tlog-tiles log), proves every checkpoint consistent
 * with the last one archived, and alerts on a split view, a shrinking log or a watched signer (like rekor-monitor).
 * Exit 1 when it alerted, 2 on unusable input.
 */
export function registerMonitor(parent: Command, globals: () => GlobalOptions): void {
  parent
    .command("monitor")
    .description("follow a transparency log: verify consistency, archive checkpoints, alert on split views and watched signers")
    .requiredOption("--url <url>", "the log's base URL")
    .requiredOption("--log-key <vkey|file>", "the log's checkpoint key: a note verifier key, or a file with a PEM public key or a vkey")
    .option("--api <api>", "rekor-v1 or tiles", "rekor-v1")
    .option("--origin <origin>", "the checkpoint origin (required with a PEM key; default: the vkey's name)")
    .option("--state-dir <dir>", "archive and cursor (default: DATA/monitor/<origin hash>)")
    .option("--trust-checkpoint <file>", "a signed checkpoint to start from instead of trusting the first one seen")
    .option("--start-index <n>", "first run: the first entry to check against the watch list")
    .option("--watch-identity <san>", "alert on entries signed by this certificate identity (repeatable)", collect, [])
    .option("--watch-identity-regexp <re>", "the same, an anchored regular expression (repeatable)", collect, [])
    .option("--watch-oidc-issuer <url>", "narrow identity rules to this OIDC issuer; alone, watch every certificate from it")
    .option("--watch-oidc-issuer-regexp <re>", "the same, an anchored regular expression")
    .option("--watch-key <sha256|file>", "alert on entries signed by this key: SPKI SHA-256 hex, or a PEM key or certificate file (repeatable)", collect, [])
    .option("--watch-list <file>", "a JSON file of watch rules")
    .option("--alerts-file <file>", "also append alerts to this file (JSON lines)")
    .option("--webhook <url>", "also POST each alert (JSON) here")
    .option("--once", "one round, then exit (cron, CI)")
    .option("--interval <seconds>", "seconds between rounds", "60")
    .option("--batch-size <n>", "entries fetched per request")
    .option("--max-entries-per-round <n>", "entries checked per round at most")
    .option("--attempts <n>", "attempts per request")
    .option("--timeout <ms>", "time limit per request")
    .action(async (flags: MonitorFlags) => {
      if (flags.api !== "rekor-v1" && flags.api !== "tiles") throw new VouchError("INPUT_USAGE", `--api ${flags.api}: use rekor-v1 or tiles`);
      const { monitorLog } = await import("../../public/monitor.js");
      const controller = new AbortController();
      const abort = () => controller.abort();
      process.once("SIGINT", abort);
      process.once("SIGTERM", abort);
      try {
        const result = await monitorLog({
          url: flags.url,
          api: flags.api,
          logKey: flags.logKey,
          origin: flags.origin,
          stateDir: flags.stateDir,
          dataDir: resolveDataDir(globals().dataDir),
          trustCheckpointFile: flags.trustCheckpoint,
          startIndex: optionalCount(flags.startIndex, "--start-index"),
          watch: {
            identities: flags.watchIdentity,
            identityRegExps: flags.watchIdentityRegexp,
            issuer: flags.watchOidcIssuer,
            issuerRegExp: flags.watchOidcIssuerRegexp,
            keys: flags.watchKey,
            file: flags.watchList,
          },
          alertsFile: flags.alertsFile,
          webhook: flags.webhook,
          once: flags.once === true,
          intervalSeconds: optionalCount(flags.interval, "--interval"),
          batchSize: optionalCount(flags.batchSize, "--batch-size"),
          maxEntriesPerRound: optionalCount(flags.maxEntriesPerRound, "--max-entries-per-round"),
          attempts: optionalCount(flags.attempts, "--attempts"),
          timeoutMs: optionalCount(flags.timeout, "--timeout"),
          signal: controller.signal,
        });
        out(`${result.rounds} round(s), ${result.alerts} alert(s); checkpoints archived in ${result.archive}\n`);
        process.exitCode = result.exitCode;
      } finally {
        process.off("SIGINT", abort);
        process.off("SIGTERM", abort);
      }
    });
}

function optionalCount(value: string | undefined, flag: string): number | undefined {
  return value === undefined ? undefined : wholeNumber(value, flag);
}
