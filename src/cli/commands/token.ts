import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import { loadConfig, openTokenStore, resolveDataDir } from "../../runtime.js";
import { err, out } from "../io.js";
import type { GlobalOptions } from "../options.js";

interface CreateFlags {
  scope: string;
  name?: string;
  expiresIn?: string;
  output: string;
}

/**
 * `vouch token create|list|revoke`: API tokens for `vouch serve`'s index, kept in the data directory (or DATABASE_URL)
 * beside the index, so a running server sees a new or revoked token at its next request.
 */
export function registerToken(program: Command, globals: () => GlobalOptions): void {
  const token = program.command("token").description("API tokens for the SBOM index: create (printed once), list, revoke").exitOverride();
  const open = () => {
    const g = globals();
    return openTokenStore(loadConfig(g.config), resolveDataDir(g.dataDir));
  };
  token
    .command("create")
    .description("create a token and print it (only its hash is stored: it is never shown again)")
    .requiredOption("--scope <scopes>", "comma-separated: ingest (push SBOMs, deployments), read (queries), admin (everything)")
    .option("--name <name>", "what the token is for, e.g. the CI pipeline")
    .option("--expires-in <duration>", "lifetime, e.g. 90d, 12h, 2w, 1y (default: never expires)")
    .option("-o, --output <format>", "text (the token alone on stdout) or json", "text")
    .action(async (flags: CreateFlags) => {
      const format = outputFormat(flags.output, ["text", "json"]);
      const { createToken, parseScopes, parseDuration } = await import("../../public/index-client.js");
      const scopes = parseScopes(flags.scope);
      const expiresInMs = flags.expiresIn === undefined ? undefined : parseDuration(flags.expiresIn);
      if (flags.name !== undefined && (flags.name.length > 200 || [...flags.name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))) throw new VouchError("INPUT_USAGE", "--name: at most 200 printable characters");
      const { store } = await open();
      try {
        const { token: text, record } = await createToken(store, { scopes, name: flags.name, expiresInMs });
        if (format === "json") out(`${JSON.stringify({ token: text, ...record }, null, 2)}\n`);
        else {
          out(`${text}\n`);
          err(`token ${record.id} (${record.scopes.join(", ")}${record.expiresAt === undefined ? "" : `, expires ${record.expiresAt}`}): store it now, it is not shown again`);
        }
      } finally {
        await store.close();
      }
    });
  token
    .command("list")
    .description("every token: id, name, scopes, created, expiry, revoked (never the token itself)")
    .option("-o, --output <format>", "table or json", "table")
    .action(async (flags: { output: string }) => {
      const format = outputFormat(flags.output, ["table", "json"]);
      const { renderTokenTable } = await import("../../public/index-client.js");
      const { store } = await open();
      try {
        const tokens = await store.list();
        out(format === "json" ? `${JSON.stringify(tokens, null, 2)}\n` : renderTokenTable(tokens, new Date()));
      } finally {
        await store.close();
      }
    });
  token
    .command("revoke <id>")
    .description("revoke a token by its id (vouch token list): refused from the server's next request on")
    .action(async (id: string) => {
      const { store } = await open();
      try {
        const record = await store.revoke(id, new Date().toISOString());
        if (record === undefined) throw new VouchError("INPUT_NOT_FOUND", `no token with id ${id} (vouch token list)`);
        out(`revoked token ${record.id} at ${record.revokedAt}\n`);
      } finally {
        await store.close();
      }
    });
}

function outputFormat<T extends string>(output: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(output)) throw new VouchError("INPUT_USAGE", `-o ${output}: use ${allowed.join(" or ")}`);
  return output as T;
}
