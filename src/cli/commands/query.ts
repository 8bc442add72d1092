import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import { out } from "../io.js";
import { jsonOutput, serverAndToken, serverOption, tokenOption } from "./push.js";

interface AffectedFlags {
  server?: string;
  token?: string;
  purl?: string;
  range?: string;
  name?: string;
  advisory?: string;
  deployedOnly?: boolean;
  output: string;
}

/** `vouch query affected`: impact over the index, from a terminal or a pipeline. */
export function registerQuery(program: Command): void {
  const query = program.command("query").description("ask a vouch server's index").exitOverride();
  query
    .command("affected")
    .description("which services and environments run an artifact containing a component (by purl, purl + range, name, or advisory)")
    .addOption(serverOption())
    .addOption(tokenOption("read"))
    .option("--purl <purl>", "a package (pkg:maven/org.apache.logging.log4j/log4j-core), or a version of it (…@2.14.1)")
    .option("--range <range>", "with --purl: versions in the ecosystem's semantics, e.g. '<2.17.1' or '>=2.0 <2.17.1'")
    .option("--name <name>", "a component name (case-insensitive)")
    .option("--advisory <id>", "an OSV id, CVE or GHSA (from the server's advisory database)")
    .option("--deployed-only", "only artifacts currently deployed")
    .option("-o, --output <format>", "table or json", "table")
    .action(async (flags: AffectedFlags) => {
      const json = jsonOutput(flags.output);
      const { IndexClient, queryAffected, renderAffectedTable } = await import("../../public/index-client.js");
      const client = new IndexClient(serverAndToken(flags, false));
      const result = await queryAffected(client, {
        ...(flags.purl === undefined ? {} : { purl: flags.purl }),
        ...(flags.range === undefined ? {} : { range: flags.range }),
        ...(flags.name === undefined ? {} : { name: flags.name }),
        ...(flags.advisory === undefined ? {} : { advisory: flags.advisory }),
        ...(flags.deployedOnly === true ? { deployedOnly: true } : {}),
      });
      out(json ? `${JSON.stringify(result, null, 2)}\n` : renderAffectedTable(result));
    });
  query
    .command("slis")
    .description("supply-chain SLIs: signed deployments, SBOM coverage / alignment / freshness, provenance completeness, new signers, key usage")
    .addOption(serverOption())
    .addOption(tokenOption("read"))
    .option("--service <name>", "one service")
    .option("--environment <name>", "one environment")
    .option("--team <name>", "one team (index.teams in the server's vouch.yaml)")
    .option("--from <time>", "series start (RFC 3339)")
    .option("--to <time>", "series end (RFC 3339; default now)")
    .option("--bucket <size>", "series of the deployments made per hour, day or week")
    .option("--deployments", "with -o json: also every current deployment in scope, as judged")
    .option("-o, --output <format>", "table or json", "table")
    .action(async (flags: SliFlags & { deployments?: boolean }) => {
      const json = jsonOutput(flags.output);
      const { IndexClient, querySlis, renderSliTable } = await import("../../public/index-client.js");
      const client = new IndexClient(serverAndToken(flags, false));
      const q: Record<string, string> = {};
      for (const key of ["service", "environment", "team", "from", "to", "bucket"] as const) if (flags[key] !== undefined) q[key] = flags[key];
      const result = await querySlis(client, { ...q, ...(flags.deployments === true ? { deployments: true } : {}) });
      out(json ? `${JSON.stringify(result, null, 2)}\n` : renderSliTable(result));
    });
  query
    .command("diff")
    .description("the SBOM diff between two releases of a service (added, removed, upgraded, downgraded, licence, checksum)")
    .addOption(serverOption())
    .addOption(tokenOption("read"))
    .requiredOption("--service <name>", "the service")
    .requiredOption("--from <release>", "the older release (the version it was pushed with), or an SBOM id / artifact digest")
    .requiredOption("--to <release>", "the newer release")
    .option("-o, --output <format>", "table or json", "table")
    .action(async (flags: DiffFlags) => {
      const json = jsonOutput(flags.output);
      const { IndexClient, queryReleaseDiff, renderReleaseDiff } = await import("../../public/index-client.js");
      const client = new IndexClient(serverAndToken(flags, false));
      const result = await queryReleaseDiff(client, { service: flags.service, from: flags.from, to: flags.to });
      out(json ? `${JSON.stringify(result, null, 2)}\n` : renderReleaseDiff(result));
    });
  query
    .command("vulnerabilities")
    .description("the vulnerabilities of what runs now: the latest pushed scan of each current deployment, grouped by vulnerability")
    .option("--service <name>", "one service")
    .option("--environment <name>", "one environment")
    .option("--severity <level>", "at or above: low, medium, high or critical")
    .option("--kev", "only vulnerabilities in CISA's KEV catalog")
    .addOption(serverOption())
    .addOption(tokenOption("read"))
    .option("-o, --output <format>", "table or json", "table")
    .action(async (flags: { service?: string; environment?: string; severity?: string; kev?: boolean; server?: string; token?: string; output: string }) => {
      const json = jsonOutput(flags.output);
      const levels = ["none", "low", "medium", "high", "critical"] as const;
      const severity = flags.severity === undefined ? undefined : levels.find((l) => l === flags.severity);
      if (flags.severity !== undefined && severity === undefined) throw new VouchError("INPUT_USAGE", `--severity ${flags.severity}: use one of ${levels.join(", ")}`);
      const { IndexClient, renderVulnerabilityTable } = await import("../../public/index-client.js");
      const report = await new IndexClient(serverAndToken(flags, false)).vulnerabilities({
        ...(flags.service !== undefined ? { service: flags.service } : {}),
        ...(flags.environment !== undefined ? { environment: flags.environment } : {}),
        ...(severity !== undefined ? { severity } : {}),
        ...(flags.kev === true ? { kev: true } : {}),
      });
      out(json ? `${JSON.stringify(report, null, 2)}\n` : renderVulnerabilityTable(report));
    });
  query
    .command("provenance [digest]")
    .description("the provenance graph of an artifact (source commit, builder and run, SBOMs, attestations and signers, log entries, deployments), or the reverse: --commit SHA / --signer IDENTITY")
    .addOption(serverOption())
    .addOption(tokenOption("read"))
    .option("--commit <sha>", "everything built from this source commit (7+ hex characters)")
    .option("--signer <identity>", "everything this signer signed (certificate identity, or sha256:<key id>)")
    .option("--issuer <url>", "with --signer: the OIDC issuer")
    .option("-o, --output <format>", "table or json", "table")
    .action(async (digest: string | undefined, flags: ProvenanceFlags) => {
      const json = jsonOutput(flags.output);
      const asked = [digest, flags.commit, flags.signer].filter((v) => v !== undefined).length;
      if (asked !== 1) throw new VouchError("INPUT_USAGE", "name exactly one of: an artifact DIGEST, --commit SHA, --signer IDENTITY");
      if (flags.issuer !== undefined && flags.signer === undefined) throw new VouchError("INPUT_USAGE", "--issuer goes with --signer");
      const { IndexClient, renderProvenanceGraph } = await import("../../public/index-client.js");
      const client = new IndexClient(serverAndToken(flags, false));
      const graph = await client.provenance(
        digest !== undefined ? { digest } : flags.commit !== undefined ? { commit: flags.commit } : { signer: flags.signer!, ...(flags.issuer !== undefined ? { issuer: flags.issuer } : {}) },
      );
      out(json ? `${JSON.stringify(graph, null, 2)}\n` : renderProvenanceGraph(graph));
    });
}

interface ProvenanceFlags {
  server?: string;
  token?: string;
  commit?: string;
  signer?: string;
  issuer?: string;
  output: string;
}

interface SliFlags {
  server?: string;
  token?: string;
  service?: string;
  environment?: string;
  team?: string;
  from?: string;
  to?: string;
  bucket?: string;
  output: string;
}

interface DiffFlags {
  server?: string;
  token?: string;
  service: string;
  from: string;
  to: string;
  output: string;
}
