import type { Command } from "commander";
import { loadConfig, openAdvisoryStore, resolveDataDir } from "../../runtime.js";
import { err, out } from "../io.js";
import { collect, type GlobalOptions } from "../options.js";

interface ScanFlags {
  output: string;
  failOn?: string;
  failOnKev?: boolean;
  onlyFixed?: boolean;
  vex: string[];
  showSuppressed?: boolean;
  exclude: string[];
  platform?: string;
  insecure?: boolean;
  quiet?: boolean;
}

/** Reader and cataloger warnings printed before the rest are only counted. */
const PRINTED_WARNINGS = 20;

/**
 * `vouch scan SBOM|DIR|IMAGE`: grype's and osv-scanner's verb over vouch's advisory database. Findings on stdout in
 * the chosen format, the summary on stderr; exit 1 when a gate (--fail-on, --fail-on-kev) trips.
 */
export function registerScan(program: Command, globals: () => GlobalOptions): void {
  program
    .command("scan <target>")
    .description("match an SBOM (SPDX/CycloneDX JSON), a directory or an image (oci-dir:, oci-archive:, docker-archive:, rootfs:, registry:) against the advisory database")
    .option("-o, --output <format>", "table, json, sarif or cyclonedx-vex", "table")
    .option("--fail-on <severity>", "exit 1 when a finding is at least this severe: low, medium, high or critical")
    .option("--fail-on-kev", "exit 1 when a finding is in CISA's Known Exploited Vulnerabilities catalog")
    .option("--only-fixed", "report only findings with a fixed version (the rest neither shown nor gated)")
    .option("--vex <file>", "OpenVEX or CycloneDX VEX document to apply (repeatable)", collect, [] as string[])
    .option("--show-suppressed", "table: also list findings VEX marks not_affected")
    .option("--exclude <glob>", "directories and images: paths to leave out (repeatable)", collect, [] as string[])
    .option("--platform <os/arch[/variant]>", "images: the platform to pick from a multi-platform image")
    .option("--insecure", "registry images: plain HTTP to any registry, not only loopback ones (unsafe)")
    .option("-q, --quiet", "no summary or warnings on stderr")
    .action(async (target: string, opts: ScanFlags) => {
      const { parseScanOutputFormat, parseFailOn, readScanTarget, scan, renderScan, renderScanSummary } = await import("../../public/scan.js");
      const format = parseScanOutputFormat(opts.output);
      const failOn = opts.failOn === undefined ? undefined : parseFailOn(opts.failOn);
      const config = loadConfig(globals().config);
      const read = await readScanTarget(target, {
        exclude: [...(config.sbom?.exclude ?? []), ...opts.exclude],
        ...(config.sbom?.maxFileBytes !== undefined ? { maxFileBytes: config.sbom.maxFileBytes } : {}),
        ...(opts.platform !== undefined ? { platform: opts.platform } : {}),
        ...(opts.insecure ? { insecureRegistry: true } : {}),
      });
      if (!opts.quiet) {
        for (const w of read.warnings.slice(0, PRINTED_WARNINGS)) err(`warning: ${w}`);
        if (read.warningCount > PRINTED_WARNINGS) err(`warning: ${read.warningCount - PRINTED_WARNINGS} more warnings`);
      }
      const { store } = await openAdvisoryStore(config, resolveDataDir(globals().dataDir));
      let result;
      try {
        result = await scan(store, read, { vexFiles: opts.vex, failOn, failOnKev: opts.failOnKev === true, onlyFixed: opts.onlyFixed === true });
      } finally {
        await store.close();
      }
      out(renderScan(result, format, { showSuppressed: opts.showSuppressed === true }));
      if (!opts.quiet) err(renderScanSummary(result, { failOn, failOnKev: opts.failOnKev === true }));
      if (result.gate.failed) process.exitCode = 1;
    });
}
