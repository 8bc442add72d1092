import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import { loadConfig, logDir, openLogStore, resolveDataDir } from "../../runtime.js";
import { err, out } from "../io.js";
import type { GlobalOptions } from "../options.js";

interface ServeFlags {
  port: string;
  host: string;
}

/**
 * `vouch serve` (everything this vouch runs; today the transparency log) and `vouch log serve` (the log alone):
 * the same server, listening until SIGINT/SIGTERM, then draining requests and the batch in flight.
 */
export function registerServe(parent: Command, globals: () => GlobalOptions, name: string, description: string): void {
  parent
    .command(name)
    .description(description)
    .option("--port <port>", "TCP port (0: any free port)", "8080")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .action(async (flags: ServeFlags) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new VouchError("INPUT_USAGE", `--port ${flags.port}: not a TCP port`);
      const config = loadConfig(globals().config);
      const dataDir = resolveDataDir(globals().dataDir);
      const { store, description: storeDescription } = await openLogStore(config, dataDir);
      const { startServer } = await import("../../public/log.js");
      const log = config.log ?? {};
      const server = await startServer({
        host: flags.host,
        port,
        logDir: logDir(dataDir),
        store,
        publicUrl: log.url,
        origin: log.origin,
        keyAlgorithm: log.keyAlgorithm,
        maxBatch: log.maxBatch,
        maxDelayMs: log.maxDelayMs,
        maxEntryBytes: log.maxEntryBytes,
        logger: process.env.VOUCH_LOG_LEVEL ? { level: process.env.VOUCH_LOG_LEVEL } : false,
      }).catch(async (error: unknown) => {
        await store.close().catch(() => {});
        throw error;
      });
      const signer = server.logService.log.signer;
      out(`vouch serving on ${server.url}\n`);
      out(`  transparency log ${signer.origin} (Rekor v1 API at ${server.url}/api/v1/log, tiles at ${server.url}/checkpoint)\n`);
      out(`  log ID ${Buffer.from(signer.logId).toString("hex")}, store: ${storeDescription}\n`);
      out(`  ${server.logService.sequencing ? "sequencing" : "serving reads; another process holds the sequencer lease"}\n`);
      await untilSignal();
      err("vouch: shutting down\n");
      await server.close();
    });
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
