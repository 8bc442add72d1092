import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import { loadConfig, logDir, resolveDataDir } from "../../runtime.js";
import { out } from "../io.js";
import type { GlobalOptions } from "../options.js";

interface ExportFlags {
  out: string;
  url?: string;
  logUrl?: string;
}

/**
 * `vouch trust export --out DIR`: DIR/trusted_root.json (log, CT log, CA and TSA keys and chains) and
 * DIR/signing_config.json (the CA, log and TSA URLs) for Sigstore clients (cosign, sigstore-js, sigstore-go, vouch).
 */
export function registerTrust(program: Command, globals: () => GlobalOptions): void {
  const trust = program.command("trust").description("trust material for clients of this vouch").exitOverride();
  trust
    .command("export")
    .description("write DIR/trusted_root.json and DIR/signing_config.json for this vouch deployment")
    .requiredOption("--out <dir>", "directory to write the files into")
    .option("--url <url>", "the deployment's URL as clients reach it (default: url in vouch.yaml, else the URL vouch serve recorded)")
    .option("--log-url <url>", "the same as --url (kept for `vouch log serve` deployments)")
    .action(async (flags: ExportFlags) => {
      const config = loadConfig(globals().config);
      const dataDir = resolveDataDir(globals().dataDir);
      const { exportTrust, keyFileCreated, loadOrCreateLogKey, logKeyFile, serverRecordFile, keylessTrust } = await import("../../public/log.js");
      const keyFile = logKeyFile(logDir(dataDir));
      if (!existsSync(keyFile)) {
        throw new VouchError("INPUT_NOT_FOUND", `no log key in ${dataDir}: start the server once (vouch serve) to create it`);
      }
      const baseUrl = (flags.url ?? flags.logUrl ?? config.url ?? config.log?.url ?? recordedUrl(serverRecordFile(dataDir)))?.replace(/\/+$/, "");
      if (baseUrl === undefined) throw new VouchError("INPUT_USAGE", "no URL for this deployment: pass --url BASE (or set url in vouch.yaml, or start vouch serve once)");
      if (!/^https?:\/\//.test(baseUrl)) throw new VouchError("INPUT_USAGE", `--url ${baseUrl}: not an http(s) URL`);
      const files = exportTrust({
        outDir: flags.out,
        log: { baseUrl, privateKey: loadOrCreateLogKey(keyFile), validFrom: keyFileCreated(keyFile) },
        ...keylessTrust(dataDir, baseUrl),
      });
      out(`Wrote ${files.trustedRoot}\nWrote ${files.signingConfig}\n`);
    });
}

/** The URL `vouch serve` recorded in the data directory, if it ever ran there. */
function recordedUrl(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const url = (JSON.parse(readFileSync(file, "utf8")) as { url?: unknown }).url;
    return typeof url === "string" ? url : undefined;
  } catch {
    throw new VouchError("INPUT_MALFORMED", "not JSON", { file });
  }
}
