import { Option, type Command } from "commander";
import { VouchError } from "../../public/base.js";
import { out } from "../io.js";

interface ServerFlags {
  server?: string;
  token?: string;
  output: string;
}

interface SbomFlags extends ServerFlags {
  service: string;
  release?: string;
  digest?: string;
}

interface DeploymentFlags extends ServerFlags {
  service: string;
  environment: string;
  digest: string;
  at?: string;
}

/** --server and --token, else VOUCH_SERVER and VOUCH_TOKEN. */
/** --server, shared by every command that talks to a vouch server's index. */
export function serverOption(): Option {
  return new Option("--server <url>", "the vouch server (default: $VOUCH_SERVER)");
}

/** --token for a scope: writes need `ingest`; reads `read`, or none when the server allows anonymous reads. */
export function tokenOption(scope: "ingest" | "read"): Option {
  const none = scope === "read" ? "; none when the server allows anonymous reads" : "";
  return new Option("--token <token>", `a token with the ${scope} scope (default: $VOUCH_TOKEN${none})`);
}

export function serverAndToken(flags: { server?: string; token?: string }, tokenRequired: boolean): { server: string; token?: string } {
  const server = flags.server ?? process.env.VOUCH_SERVER;
  if (server === undefined || server === "") throw new VouchError("INPUT_USAGE", "--server URL (or VOUCH_SERVER) names the vouch server");
  const token = flags.token ?? process.env.VOUCH_TOKEN;
  if (tokenRequired && (token === undefined || token === "")) throw new VouchError("INPUT_USAGE", "--token (or VOUCH_TOKEN): a token with the ingest scope (vouch token create --scope ingest)");
  return { server, token: token === "" ? undefined : token };
}

/**
 * The issue spells the release flag `vouch push sbom … --version V`, but the program's own `--version` is matched
 * anywhere on the command line (commander), so it would print vouch's version instead. After the `push` verb,
 * `--version` is rewritten to `--release` before commander sees it.
 */
export function rewritePushVersionFlag(argv: readonly string[]): string[] {
  const globalsWithValue = new Set(["--data-dir", "--config"]);
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith("-")) i += globalsWithValue.has(argv[i]!) ? 2 : 1;
  if (argv[i] !== "push") return [...argv];
  return argv.map((arg, j) => {
    if (j <= i) return arg;
    if (arg === "--version") return "--release";
    return arg.startsWith("--version=") ? `--release=${arg.slice("--version=".length)}` : arg;
  });
}

/** `vouch push sbom FILE` and `vouch push deployment`: CI's way into the index. */
export function registerPush(program: Command): void {
  const push = program.command("push").description("send SBOMs and deployments to a vouch server's index").exitOverride();
  push
    .command("sbom <file>")
    .description("index an SBOM (SPDX 2.2/2.3 or CycloneDX JSON) for a service's release (idempotent: the same file twice is one SBOM)")
    .addOption(serverOption())
    .addOption(tokenOption("ingest"))
    .requiredOption("--service <name>", "the service the artifact belongs to")
    .option("--release <version>", "the release (--version works too)")
    .option("--digest <sha256:…>", "the artifact the SBOM describes (image or file digest)")
    .option("-o, --output <format>", "text or json", "text")
    .action(async (file: string, flags: SbomFlags) => {
      const json = jsonOutput(flags.output);
      const { IndexClient, pushSbomFile, renderSbomPush } = await import("../../public/index-client.js");
      const client = new IndexClient(serverAndToken(flags, true));
      const result = await pushSbomFile(client, file, { service: flags.service, version: flags.release, digest: flags.digest });
      out(json ? `${JSON.stringify(result, null, 2)}\n` : renderSbomPush(result));
    });
  push
    .command("deployment")
    .description("record that a service's environment now runs an artifact digest")
    .addOption(serverOption())
    .addOption(tokenOption("ingest"))
    .requiredOption("--service <name>", "the service")
    .requiredOption("--environment <env>", "where it runs, e.g. prod, staging, eu-west-1")
    .requiredOption("--digest <sha256:…>", "the artifact deployed")
    .option("--at <time>", "when (RFC 3339; default: now, by the server's clock)")
    .option("-o, --output <format>", "text or json", "text")
    .action(async (flags: DeploymentFlags) => {
      const json = jsonOutput(flags.output);
      const { IndexClient, pushDeployment, renderDeploymentPush } = await import("../../public/index-client.js");
      const client = new IndexClient(serverAndToken(flags, true));
      const options = { service: flags.service, environment: flags.environment, digest: flags.digest, at: flags.at };
      const result = await pushDeployment(client, options);
      out(json ? `${JSON.stringify(result, null, 2)}\n` : renderDeploymentPush(result, options));
    });
  registerPushAttestation(push);
  push
    .command("scan <file>")
    .description("store a vulnerability scan (vouch scan -o json, or CycloneDX VEX/VDR) for an artifact of a service (idempotent)")
    .requiredOption("--service <name>", "the service the artifact belongs to")
    .option("--digest <digest>", "the artifact scanned, sha256:… (default: the digest the report's target names)")
    .addOption(serverOption())
    .addOption(tokenOption("ingest"))
    .option("-o, --output <format>", "text or json", "text")
    .action(async (file: string, flags: ServerFlags & { service: string; digest?: string }) => {
      const json = jsonOutput(flags.output);
      const { IndexClient, pushScanFile, renderScanPush } = await import("../../public/index-client.js");
      const result = await pushScanFile(new IndexClient(serverAndToken(flags, true)), file, { service: flags.service, ...(flags.digest !== undefined ? { digest: flags.digest } : {}) });
      out(json ? `${JSON.stringify(result, null, 2)}\n` : renderScanPush(result));
    });
}

/** `vouch push attestation FILE`: a Sigstore bundle or DSSE envelope, verified by the server on ingest. */
export function registerPushAttestation(push: Command): void {
  push
    .command("attestation <file>")
    .description("store a Sigstore bundle or DSSE envelope in the index, verified by the server with its trust (idempotent; unverifiable ones are stored as such)")
    .addOption(serverOption())
    .addOption(tokenOption("ingest"))
    .option("-o, --output <format>", "text or json", "text")
    .action(async (file: string, flags: ServerFlags) => {
      const json = jsonOutput(flags.output);
      const { IndexClient, pushAttestationFile, renderAttestationPush } = await import("../../public/index-client.js");
      const result = await pushAttestationFile(new IndexClient(serverAndToken(flags, true)), file);
      out(json ? `${JSON.stringify(result, null, 2)}\n` : renderAttestationPush(result));
    });
}

export function jsonOutput(output: string): boolean {
  if (output !== "text" && output !== "table" && output !== "json") throw new VouchError("INPUT_USAGE", `-o ${output}: use table or json`);
  return output === "json";
}
