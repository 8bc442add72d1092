import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import type * as AjvModule from "ajv";
import type { ValidateFunction } from "ajv";
import envPaths from "env-paths";
import type * as YamlModule from "yaml";
import { VouchError } from "./core/errors.js";

// yaml and ajv are ~135 modules, loaded only when there is a config file to read: every CLI verb imports this
// file, and most runs have none (start-up time matters for a CLI). Both are CommonJS under Node, so require keeps
// loadConfig synchronous.
const requireCjs = createRequire(import.meta.url);

/**
 * The composition root: where configuration, the data directory and (in later issues) store drivers are
 * chosen. Library code never reads process.env or picks paths itself; the CLI asks this file.
 */

export type Env = Readonly<Record<string, string | undefined>>;

/** Local state (keys, the advisory DB, the server's store, the log): --data-dir, else VOUCH_DATA_DIR, else the platform's user data dir. */
export function resolveDataDir(flag: string | undefined, env: Env = process.env): string {
  if (flag) return resolve(flag);
  if (env.VOUCH_DATA_DIR) return resolve(env.VOUCH_DATA_DIR);
  return envPaths("vouch", { suffix: "" }).data;
}

export interface VouchConfig {
  sbom?: {
    /** Globs left out of every `vouch sbom` run. */
    exclude?: string[];
    /** Largest file a cataloger reads, in bytes. */
    maxFileBytes?: number;
    /** Organisations the SBOM data is from (NTIA author), unless --author is given. */
    authors?: string[];
  };
}

/** JSON schema of vouch.yaml; later issues add their sections here. */
export const CONFIG_SCHEMA = {
  $id: "https://vouch.dev/schema/config.json",
  type: "object",
  additionalProperties: false,
  properties: {
    sbom: {
      type: "object",
      additionalProperties: false,
      properties: {
        exclude: { type: "array", items: { type: "string", minLength: 1 } },
        maxFileBytes: { type: "integer", minimum: 1 },
        authors: { type: "array", items: { type: "string", minLength: 1 } },
      },
    },
  },
} as const;

// Compiled on first use, for the same reason.
let validateConfig: ValidateFunction<VouchConfig> | undefined;

/** --config FILE, else VOUCH_CONFIG, else no file (defaults). A bad file is an input error naming the field. */
export function loadConfig(flag: string | undefined, env: Env = process.env): VouchConfig {
  const path = flag ?? env.VOUCH_CONFIG;
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new VouchError("INPUT_NOT_FOUND", `cannot read config (${(err as NodeJS.ErrnoException).code ?? "error"})`, { file: path });
  }
  const { parse: parseYaml, YAMLParseError } = requireCjs("yaml") as typeof YamlModule;
  let data: unknown;
  try {
    data = parseYaml(text) ?? {};
  } catch (err) {
    const line = err instanceof YAMLParseError ? err.linePos?.[0]?.line : undefined;
    throw new VouchError("INPUT_MALFORMED", `invalid YAML: ${(err as Error).message.split("\n")[0]}`, { file: path, line });
  }
  const { Ajv } = requireCjs("ajv") as typeof AjvModule;
  validateConfig ??= new Ajv({ allErrors: true }).compile<VouchConfig>(CONFIG_SCHEMA);
  if (!validateConfig(data)) {
    const e = validateConfig.errors?.[0];
    throw new VouchError("INPUT_MALFORMED", `invalid config at ${e?.instancePath || "/"}: ${e?.message ?? "invalid"}`, { file: path });
  }
  return data;
}
