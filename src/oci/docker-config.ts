import { readFile as fsReadFile } from "node:fs/promises";
import { join } from "node:path";
import { VouchError } from "../core/errors.js";
import { DOCKER_HUB } from "./reference.js";

/**
 * Registry credentials from Docker's client config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`),
 * the file `docker login` writes (docker/cli `cli/config/configfile/file.go`):
 *
 *   { "auths": { "registry.example.com": { "auth": base64("user:password") }, "https://index.docker.io/v1/": {…} },
 *     "credsStore": "desktop", "credHelpers": { "123.dkr.ecr.…": "ecr-login" } }
 *
 * vouch reads `auth` (or `username` + `password`) and `identitytoken` (an OAuth2 refresh token, sent to the
 * registry's token service). It does not run credential helpers (a program named in the config would run with the
 * user's rights); a registry whose credentials live in one is reported as such when it asks for them.
 */
export type RegistryCredential =
  | { kind: "basic"; username: string; password: string; source: string }
  | { kind: "identity-token"; username?: string; token: string; source: string }
  | { kind: "helper"; helper: string; source: string };

/** Where the client gets credentials for a registry ("docker.io", "localhost:5000"). */
export interface CredentialStore {
  credentialFor(registry: string): RegistryCredential | undefined;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

/** Credentials given directly (tests, a CLI flag): registry -> credential. */
export function staticCredentials(entries: Record<string, { username: string; password: string }>): CredentialStore {
  const map = new Map(Object.entries(entries).map(([registry, c]) => [normalizeRegistry(registry), c]));
  return {
    credentialFor(registry) {
      for (const key of lookupKeys(registry)) {
        const c = map.get(key);
        if (c !== undefined) return { kind: "basic", username: c.username, password: c.password, source: "passed to the client" };
      }
      return undefined;
    },
  };
}

/**
 * Parses a config.json. `file` names it in errors and in the credential's `source`. Throws INPUT_MALFORMED for
 * a file that is not the expected shape (a broken login file should be fixed, not silently ignored).
 */
export function parseDockerConfig(text: string, file: string): CredentialStore {
  const malformed = (why: string): never => {
    throw new VouchError("INPUT_MALFORMED", `${why}`, { file });
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return malformed(`not JSON (${(error as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return malformed("not a JSON object");
  const config = json as Record<string, unknown>;

  const auths = new Map<string, { entry: AuthEntry; key: string }>();
  if (config.auths !== undefined) {
    if (typeof config.auths !== "object" || config.auths === null) malformed("auths is not an object");
    for (const [key, value] of Object.entries(config.auths as Record<string, unknown>)) {
      if (typeof value !== "object" || value === null) malformed(`auths[${JSON.stringify(key)}] is not an object`);
      const entry = value as Record<string, unknown>;
      for (const field of ["auth", "username", "password", "identitytoken"]) {
        if (entry[field] !== undefined && typeof entry[field] !== "string") malformed(`auths[${JSON.stringify(key)}].${field} is not a string`);
      }
      auths.set(normalizeRegistry(key), { entry: entry as AuthEntry, key });
    }
  }
  const credsStore = typeof config.credsStore === "string" && config.credsStore !== "" ? config.credsStore : undefined;
  const helpers = new Map<string, string>();
  if (config.credHelpers !== undefined) {
    if (typeof config.credHelpers !== "object" || config.credHelpers === null) malformed("credHelpers is not an object");
    for (const [key, value] of Object.entries(config.credHelpers as Record<string, unknown>)) {
      if (typeof value !== "string") malformed(`credHelpers[${JSON.stringify(key)}] is not a string`);
      helpers.set(normalizeRegistry(key), value as string);
    }
  }

  return {
    credentialFor(registry) {
      const keys = lookupKeys(registry);
      for (const key of keys) {
        const found = auths.get(key);
        if (found === undefined) continue;
        const credential = fromEntry(found.entry, `${file} auths[${JSON.stringify(found.key)}]`);
        if (credential !== undefined) return credential;
      }
      for (const key of keys) {
        const helper = helpers.get(key);
        if (helper !== undefined) return { kind: "helper", helper: `docker-credential-${helper}`, source: `${file} credHelpers[${JSON.stringify(key)}]` };
      }
      if (credsStore !== undefined) return { kind: "helper", helper: `docker-credential-${credsStore}`, source: `${file} credsStore` };
      return undefined;
    },
  };
}

function fromEntry(entry: AuthEntry, source: string): RegistryCredential | undefined {
  if (entry.identitytoken !== undefined && entry.identitytoken !== "") {
    const username = entry.username ?? (entry.auth ? decodeAuth(entry.auth, source).username : undefined);
    return username === undefined ? { kind: "identity-token", token: entry.identitytoken, source } : { kind: "identity-token", username, token: entry.identitytoken, source };
  }
  if (entry.auth !== undefined && entry.auth !== "") return { kind: "basic", ...decodeAuth(entry.auth, source), source };
  if (entry.username !== undefined && entry.password !== undefined) return { kind: "basic", username: entry.username, password: entry.password, source };
  return undefined; // an empty entry: docker writes {} when a credsStore holds the secret
}

function decodeAuth(auth: string, source: string): { username: string; password: string } {
  const bad = (): never => {
    throw new VouchError("INPUT_MALFORMED", `${source}.auth is not base64 of "user:password"`);
  };
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(auth.trim())) bad();
  const text = Buffer.from(auth.trim(), "base64").toString("utf8");
  const colon = text.indexOf(":");
  if (colon <= 0) bad();
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** "https://index.docker.io/v1/" -> "index.docker.io"; "Registry.Example:5000" -> "registry.example:5000". */
function normalizeRegistry(key: string): string {
  let host = key.trim().replace(/^[a-z]+:\/\//i, "");
  const slash = host.indexOf("/");
  if (slash !== -1) host = host.slice(0, slash);
  return host.toLowerCase();
}

/** Docker Hub is filed under several names; every other registry under its own. */
function lookupKeys(registry: string): string[] {
  const host = normalizeRegistry(registry);
  if (host === DOCKER_HUB || host === "index.docker.io" || host === "registry-1.docker.io") return ["index.docker.io", DOCKER_HUB, "registry-1.docker.io"];
  return [host];
}

export interface DockerConfigLocation {
  /** Environment (DOCKER_CONFIG). */
  env: Record<string, string | undefined>;
  /** Home directory (for ~/.docker). */
  home: string;
  /** Reads a file; rejects with code ENOENT when it is missing. Default: node:fs/promises readFile. */
  readFile?: (path: string) => Promise<string>;
}

/**
 * Reads Docker's config.json from `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. A missing file means no
 * credentials (anonymous pulls), not an error.
 */
export async function readDockerConfig(location: DockerConfigLocation): Promise<CredentialStore | undefined> {
  const dir = location.env.DOCKER_CONFIG !== undefined && location.env.DOCKER_CONFIG !== "" ? location.env.DOCKER_CONFIG : join(location.home, ".docker");
  const file = join(dir, "config.json");
  const read = location.readFile ?? ((path: string) => fsReadFile(path, "utf8"));
  let text: string;
  try {
    text = await read(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new VouchError("INPUT_UNREADABLE", `cannot read the Docker config: ${(error as Error).message}`, { file, cause: error });
  }
  return parseDockerConfig(text, file);
}
