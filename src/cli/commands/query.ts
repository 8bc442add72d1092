import type { Command } from "commander";
import { out } from "../io.js";
import { jsonOutput, serverAndToken } from "./push.js";

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
    .option("--server <url>", "the vouch server (default: $VOUCH_SERVER)")
    .option("--token <token>", "a token with the read scope (default: $VOUCH_TOKEN; none when the server allows anonymous reads)")
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
}
