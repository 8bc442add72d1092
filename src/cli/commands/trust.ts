import { existsSync } from "node:fs";
import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import { loadConfig, logDir, resolveDataDir } from "../../runtime.js";
import { out } from "../io.js";
import type { GlobalOptions } from "../options.js";

interface ExportFlags {
  out: string;
  logUrl?: string;
}

/** `vouch trust export --out DIR`: DIR/trusted_root.json for Sigstore clients (cosign, sigstore-js, sigstore-go, vouch). */
export function registerTrust(program: Command, globals: () => GlobalOptions): void {
  const trust = program.command("trust").description("trust material for clients of this vouch").exitOverride();
  trust
    .command("export")
    .description("write DIR/trusted_root.json with this vouch's transparency log key")
    .requiredOption("--out <dir>", "directory to write trusted_root.json into")
    .option("--log-url <url>", "the log's URL as clients reach it (default: log.url in vouch.yaml, else http://127.0.0.1:8080)")
    .action(async (flags: ExportFlags) => {
      const config = loadConfig(globals().config);
      const dataDir = resolveDataDir(globals().dataDir);
      const { exportTrust, keyFileCreated, loadOrCreateLogKey, logKeyFile } = await import("../../public/log.js");
      const keyFile = logKeyFile(logDir(dataDir));
      if (!existsSync(keyFile)) {
        throw new VouchError("INPUT_NOT_FOUND", `no log key in ${dataDir}: start the log once (vouch serve) to create it`);
      }
      const baseUrl = flags.logUrl ?? config.log?.url ?? "http://127.0.0.1:8080";
      if (!/^https?:\/\//.test(baseUrl)) throw new VouchError("INPUT_USAGE", `--log-url ${baseUrl}: not an http(s) URL`);
      const files = exportTrust({
        outDir: flags.out,
        log: { baseUrl, privateKey: loadOrCreateLogKey(keyFile), validFrom: keyFileCreated(keyFile) },
      });
      out(`Wrote ${files.trustedRoot}\nWrote ${files.signingConfig}\n`);
    });
}
