import { join } from "node:path";
import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import { loadConfig, logDir, openAdvisoryStore, openAttestationStore, openCtLogStore, openDecisionStore, openIndexStore, openLogStore, openScanStore, openTokenStore, resolveDataDir, type VouchConfig } from "../../runtime.js";
import { err, out } from "../io.js";
import { collect, tcpPort, wholeNumber, type GlobalOptions } from "../options.js";

interface ServeFlags {
  port: string;
  host: string;
  witness: string[];
  witnessThreshold?: string;
  witnessWait?: string;
}

/**
 * `vouch serve` (everything this vouch runs; today the transparency log) and `vouch log serve` (the log alone):
 * the same server, listening until SIGINT/SIGTERM, then draining requests and the batch in flight.
 */
export function registerServe(parent: Command, globals: () => GlobalOptions, name: string, description: string, keyless: boolean): void {
  parent
    .command(name)
    .description(description)
    .option("--port <port>", "TCP port (0: any free port)", "8080")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--witness <url=vkey>", "a tlog witness to cosign checkpoints: its add-checkpoint URL prefix and verifier key (repeatable)", collect, [])
    .option("--witness-threshold <n>", "cosignatures a checkpoint should carry (default: all witnesses)")
    .option("--witness-wait <ms>", "how long a submission's answer waits for a cosigned checkpoint", "0")
    .action(async (flags: ServeFlags) => {
      const port = tcpPort(flags.port);
      const config = loadConfig(globals().config);
      const dataDir = resolveDataDir(globals().dataDir);
      const { store, description: storeDescription } = await openLogStore(config, dataDir);
      const { startServer, terminalPrompt } = await import("../../public/log.js");
      const ctStore = keyless ? await openCtLogStore(config, dataDir).catch(async (error: unknown) => {
        await store.close().catch(() => {});
        throw error;
      }) : undefined;
      // The SBOM index is part of `vouch serve` (not of `vouch log serve`), on the same defaults: the data directory, or DATABASE_URL.
      const index = keyless ? await openIndex(config, dataDir).catch(async (error: unknown) => {
        await ctStore?.close().catch(() => {});
        await store.close().catch(() => {});
        throw error;
      }) : undefined;
      // The admission webhooks are part of `vouch serve` when vouch.yaml names their policies (admission.policies).
      const admission = keyless && config.admission?.policies !== undefined
        ? await (async () => {
          const { openAdmissionEngine } = await import("./admission-engine.js");
          const opened = await openAdmissionEngine(config, dataDir);
          return { engine: opened.createEngine(opened.policies), policyPath: opened.policyPath, noMatch: opened.noMatch };
        })().catch(async (error: unknown) => {
          await index?.deps.service.close().catch(() => {});
          await index?.deps.tokens.close().catch(() => {});
          await ctStore?.close().catch(() => {});
          await store.close().catch(() => {});
          throw error;
        })
        : undefined;
      const log = config.log ?? {};
      const witnessing = flags.witness.length === 0 ? undefined : {
        witnesses: flags.witness.map(parseWitnessFlag),
        threshold: flags.witnessThreshold === undefined ? undefined : wholeNumber(flags.witnessThreshold, "--witness-threshold"),
        waitMs: wholeNumber(flags.witnessWait ?? "0", "--witness-wait"),
      };
      const server = await startServer({
        witnessing,
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
        keyless: ctStore
          ? { dataDir, ctStore, issuers: config.ca?.issuers ?? [], password: { env: process.env, prompt: terminalPrompt() } }
          : undefined,
        index: index?.deps,
        admission: admission ? { engine: admission.engine, policyPath: admission.policyPath } : undefined,
        // The dashboard belongs to `vouch serve` (the index it reads), not to `vouch log serve`.
        dashboard: keyless && config.dashboard?.enabled !== false ? {} : undefined,
      }).catch(async (error: unknown) => {
        await store.close().catch(() => {});
        throw error;
      });
      // Signal handlers before the first line a caller may wait for: a SIGTERM right after it must drain, not kill.
      const stopped = untilSignal();
      const signer = server.logService.log.signer;
      out(`vouch serving on ${server.url}\n`);
      out(`  transparency log ${signer.origin} (Rekor v1 API at ${server.url}/api/v1/log, tiles at ${server.url}/checkpoint)\n`);
      out(`  log ID ${Buffer.from(signer.logId).toString("hex")}, store: ${storeDescription}\n`);
      out(`  note verifier key (for witnesses and monitors): ${signer.note.formatVerifierKey()}\n`);
      out(`  ${server.logService.sequencing ? "sequencing" : "serving reads; another process holds the sequencer lease"}\n`);
      const services = server.keyless;
      if (services) {
        out(`  timestamp authority at ${server.url}/api/v1/timestamp\n`);
        out(`  certificate transparency log at ${server.url}/ct/v1 (log ID ${Buffer.from(services.ct.logId).toString("base64")})\n`);
        out(
          services.ca
            ? `  keyless CA (Fulcio v2 API) at ${server.url}/api/v2/signingCert for ${(config.ca?.issuers ?? []).map((i) => i.url).join(", ") || "no issuers: add ca.issuers to vouch.yaml"}\n`
            : "  keyless CA: not created (vouch ca init)\n",
        );
      }
      if (index) {
        out(`  SBOM index at ${server.url}/api/v1 (sboms, deployments, affected, attestations, artifacts/{digest}, artifacts/{digest}/provenance, provenance, slis, services, services/{service}/diff, sboms/{id}/components, scans, vulnerabilities, decisions, keys), store: ${index.description}\n`);
        out(`  ${index.deps.anonymousRead === true ? "reads open to anonymous callers (index.anonymousRead)" : "tokens: vouch token create --scope ingest,read"}; OpenAPI at ${server.url}/openapi.json, metrics at ${server.url}/metrics\n`);
      }
      if (keyless && config.dashboard?.enabled !== false) out(`  dashboard at ${server.url}/ (dashboard.enabled: false in vouch.yaml turns it off)\n`);
      if (admission) out(`  admission webhooks at ${server.url}/admission/validate and /admission/mutate: ${admission.engine.policies().length} policies from ${admission.policyPath} (reloaded when they change), no match: ${admission.noMatch}\n`);
      await stopped;
      err("vouch: shutting down\n");
      await server.close();
    });
}

/** The index, its tokens and the advisory database (for queries by CVE), from the config and data directory. */
async function openIndex(config: VouchConfig, dataDir: string) {
  const { createIndexService, createReleaseDiffer, createSliService, indexOidcAuth, createAttestationService, createProvenanceGraph, loadAttestationTrust, reloadingAttestationTrust } = await import(
    "../../public/index-client.js"
  );
  // Read at start (a bad trust file is a usage error now); this deployment's own root once its log key exists.
  const trustFiles = { trustedRoot: config.index?.trust?.trustedRoot, keys: config.index?.trust?.keys };
  loadAttestationTrust(trustFiles);
  const oidc = config.index?.oidc === undefined ? undefined : indexOidcAuth(config.ca?.issuers ?? [], config.index.oidc);
  const { store, description } = await openIndexStore(config, dataDir);
  const opened: { close(): Promise<void> }[] = [store];
  try {
    const { store: tokens } = await openTokenStore(config, dataDir);
    opened.push(tokens);
    const { store: advisories } = await openAdvisoryStore(config, dataDir);
    opened.push(advisories);
    const { store: attestations } = await openAttestationStore(config, dataDir);
    opened.push(attestations);
    const { store: scanStore } = await openScanStore(config, dataDir);
    opened.push(scanStore);
    // Admission decisions (recorded by the webhook, here or in `vouch admission serve` on the same store): the deny rate.
    const { store: decisions } = await openDecisionStore(config, dataDir);
    opened.push(decisions);
    const { createScanService } = await import("../../public/index-client.js");
    const scans = createScanService({ scans: scanStore, index: store });
    const indexService = createIndexService({ store, advisories, ...(config.index?.maxComponents !== undefined ? { maxComponents: config.index.maxComponents } : {}) });
    // The server closes the index service: it closes the attestation store with it.
    const service = { ...indexService, close: async () => { await indexService.close(); await attestations.close(); await scanStore.close(); await decisions.close(); } };
    const slis = createSliService({ index: store, attestations, decisions, teams: config.index?.teams ?? {}, targets: config.index?.slo ?? {} });
    const releases = createReleaseDiffer(store);
    const deployment = { dataDir, logKeyFile: join(logDir(dataDir), "log-key.pem"), baseUrl: config.url ?? config.log?.url };
    const attestationService = createAttestationService({ store: attestations, trust: reloadingAttestationTrust({ ...trustFiles, deployment }) });
    const provenance = createProvenanceGraph({ attestations, index: store });
    // The dashboard's reads (issue 11): decision events, services, artifacts.
    const { createCatalog, createDecisionLog, createComponentReader, createAttestationViews, createKeyHealth } = await import("../../public/index-client.js");
    const { revocationsForVerification } = await import("../../public/revocation.js");
    // The data directory's revocation list, verified against its key and re-read when it changes (as `vouch verify` reads it).
    const keys = createKeyHealth({
      attestations,
      index: store,
      revocations: () => revocationsForVerification({ dataDir })?.list.revocations ?? [],
      ...(config.index?.keys?.rotateAfterDays === undefined ? {} : { rotateAfterDays: config.index.keys.rotateAfterDays }),
      ...(config.index?.keys?.warnBeforeDays === undefined ? {} : { warnBeforeDays: config.index.keys.warnBeforeDays }),
    });
    const catalog = createCatalog({ index: store, attestations, scans: scanStore, teams: config.index?.teams ?? {} });
    return {
      description,
      deps: {
        service,
        tokens,
        anonymousRead: config.index?.anonymousRead,
        maxSbomBytes: config.index?.maxSbomBytes,
        oidc,
        slis,
        releases,
        attestations: attestationService,
        provenance,
        scans,
        decisions: createDecisionLog(decisions),
        catalog,
        components: createComponentReader({ index: store }),
        attestationViews: createAttestationViews(attestations),
        keys,
      },
    };
  } catch (error) {
    for (const s of opened.reverse()) await s.close().catch(() => {});
    throw error;
  }
}

/** Resolves on SIGINT or SIGTERM: a server verb runs until then and drains. */
export function untilSignal(): Promise<void> {
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

/** "--witness URL=VKEY": split at the first "=" (a URL with a query string is not a witness prefix). */
function parseWitnessFlag(value: string): { url: string; vkey: string } {
  const split = value.indexOf("=");
  if (split <= 0) throw new VouchError("INPUT_USAGE", `--witness ${value}: expected URL=VKEY`);
  return { url: value.slice(0, split), vkey: value.slice(split + 1) };
}

interface WitnessFlags {
  port: string;
  host: string;
  name: string;
  log: string[];
}

/** `vouch log witness`: run a c2sp.org/tlog-witness for the logs named by --log. */
export function registerWitness(parent: Command, globals: () => GlobalOptions): void {
  parent
    .command("witness")
    .description("run a witness that checks consistency and cosigns checkpoints (c2sp.org/tlog-witness)")
    .requiredOption("--name <name>", "the witness's key name, e.g. witness.example.com")
    .requiredOption("--log <vkey|origin=vkey>", "a log to witness, by its note verifier key (repeatable)", collect, [])
    .option("--port <port>", "TCP port (0: any free port)", "8081")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .action(async (flags: WitnessFlags) => {
      const port = tcpPort(flags.port);
      const dataDir = resolveDataDir(globals().dataDir);
      const { startWitnessServer } = await import("../../public/log.js");
      const witness = await startWitnessServer({ host: flags.host, port, dir: join(dataDir, "witness"), name: flags.name, logs: flags.log });
      const stopped = untilSignal();
      out(`vouch witness serving on ${witness.url}\n`);
      out(`  witness verifier key: ${witness.vkey}\n`);
      await stopped;
      err("vouch: shutting down\n");
      await witness.close();
    });
}
