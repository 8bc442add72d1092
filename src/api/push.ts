import { namingFile, readBytesFile } from "./files.js";
import type { IngestDeploymentResult, IngestSbomResult } from "../sbom-index/types.js";
import type { IndexClient, PushDeploymentOptions, PushSbomOptions } from "./index-client.js";

/**
 * `vouch push sbom FILE` and `vouch push deployment`: send evidence to a `vouch serve` index.
 *
 * @example
 *   const result = await pushSbomFile(new IndexClient({ server, token }), "sbom.cdx.json", { service: "payments", version: "1.4.2" });
 */
export async function pushSbomFile(client: IndexClient, file: string, options: PushSbomOptions): Promise<IngestSbomResult> {
  const bytes = readBytesFile(file);
  return namingFile(file, client.pushSbom(bytes, options));
}

export async function pushDeployment(client: IndexClient, options: PushDeploymentOptions): Promise<IngestDeploymentResult> {
  return client.pushDeployment(options);
}

/** One line for a human: what the index now holds. */
export function renderSbomPush(result: IngestSbomResult): string {
  const release = [result.service, result.version].filter((v) => v !== undefined).join(" ");
  const what = `${result.format} ${result.specVersion}, ${result.components} components${result.withoutPurl > 0 ? ` (${result.withoutPurl} without a purl)` : ""}`;
  return `${result.created ? "indexed" : "already indexed"} ${result.id} for ${release}${result.digest === undefined ? "" : ` (${result.digest})`}: ${what}\n`;
}

export function renderDeploymentPush(result: IngestDeploymentResult, options: PushDeploymentOptions): string {
  return `${result.created ? "recorded" : "already recorded"} deployment ${result.id}: ${options.service} in ${options.environment} runs ${options.digest}\n`;
}
