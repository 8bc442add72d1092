import { readFileSync } from "node:fs";
import { VouchError } from "../core/errors.js";
import type { IngestDeploymentResult, IngestSbomResult } from "../sbom-index/types.js";
import type { IndexClient, PushDeploymentOptions, PushSbomOptions } from "./index-client.js";

/**
 * `vouch push sbom FILE` and `vouch push deployment`: send evidence to a `vouch serve` index.
 *
 * @example
 *   const result = await pushSbomFile(new IndexClient({ server, token }), "sbom.cdx.json", { service: "payments", version: "1.4.2" });
 */
export async function pushSbomFile(client: IndexClient, file: string, options: PushSbomOptions): Promise<IngestSbomResult> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new VouchError(code === "ENOENT" ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE", code === "ENOENT" ? "no such file" : `cannot read (${code ?? "error"})`, { file });
  }
  try {
    return await client.pushSbom(bytes, options);
  } catch (err) {
    // The server's refusal of the document names the file it came from.
    if (err instanceof VouchError && err.code.startsWith("INPUT_") && err.code !== "INPUT_USAGE") throw new VouchError(err.code, err.message, { file, cause: err });
    throw err;
  }
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
