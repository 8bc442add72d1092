import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseTrustedRoot, publicGoodTrustedRoot } from "../bundle/trusted-root.js";
import { importPublicKey } from "../core/crypto/keys.js";
import { VouchError } from "../core/errors.js";
import type { AttestationTrust } from "../sbom-index/attestations.js";
import { readTextFile } from "./files.js";
import { caDir } from "./ca.js";
import { ctDir, keylessTrust, tsaDir } from "./keyless-services.js";
import { loadOrCreateLogKey } from "./log-key.js";
import { keyFileCreated, trustedRootJson } from "./trust-export.js";

export interface AttestationTrustOptions {
  /** `index.trust.trustedRoot`: a trusted_root.json file, or `public-good` for the Sigstore root that ships with vouch. */
  trustedRoot?: string;
  /** `index.trust.keys`: PEM public key files (keyed signing). */
  keys?: readonly string[];
  /**
   * This deployment: its data directory and log key file. When the log key exists, the deployment's own log, CA, CT
   * log and TSA (what `vouch trust export` writes) are trusted too.
   */
  deployment?: {
    dataDir: string;
    logKeyFile: string;
    /**
     * The deployment's URL as clients reach it (vouch.yaml `url`): its host name is the log's checkpoint origin.
     * Default: the URL `vouch serve` recorded in the data directory (server.json).
     */
    baseUrl?: string;
  };
}

/**
 * The trust attestations pushed to the index are verified against (src/sbom-index/attestations.ts). Files are read
 * here, once; an unreadable or malformed one is a usage error at start, not a silent "unverified" later.
 *
 * @example
 *   const trust = loadAttestationTrust({ trustedRoot: "public-good", keys: ["release.pub"], deployment: { dataDir, logKeyFile } });
 */
export function loadAttestationTrust(options: AttestationTrustOptions): AttestationTrust {
  const roots: { name: string; root: ReturnType<typeof publicGoodTrustedRoot> }[] = [];
  const own = options.deployment;
  const baseUrl = own === undefined ? undefined : (own.baseUrl ?? recordedUrl(join(own.dataDir, "server.json")));
  if (own !== undefined && baseUrl !== undefined && existsSync(own.logKeyFile)) {
    // The log's name (its checkpoints' origin) is the host name of the URL it serves on.
    const json = trustedRootJson({ log: { baseUrl, privateKey: loadOrCreateLogKey(own.logKeyFile), validFrom: keyFileCreated(own.logKeyFile) }, ...keylessTrust(own.dataDir, baseUrl) });
    roots.push({ name: "this deployment", root: parseTrustedRoot(json, "this deployment's trusted root") });
  }
  if (options.trustedRoot === "public-good") roots.push({ name: "public-good", root: publicGoodTrustedRoot() });
  else if (options.trustedRoot !== undefined) roots.push({ name: options.trustedRoot, root: parseTrustedRoot(readTextFile(options.trustedRoot), options.trustedRoot) });
  const keys = (options.keys ?? []).map((file) => {
    try {
      return { name: file, key: importPublicKey(readTextFile(file)) };
    } catch (err) {
      throw new VouchError("INPUT_MALFORMED", `index.trust.keys: ${file} is not a PEM public key: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  });
  return { roots, keys };
}

/**
 * loadAttestationTrust, re-read whenever one of the files it comes from changes: `vouch ca init` (or a new TSA or CT
 * key, a replaced trusted root or key file) takes effect on the next ingest, without restarting `vouch serve`. The
 * check is a few stat calls per ingest. A change that leaves a file unreadable or malformed fails each ingest with
 * that file's reason until it is fixed: an attestation is never verified against half-read trust.
 *
 * @example
 *   const trust = reloadingAttestationTrust({ keys: ["release.pub"], deployment: { dataDir, logKeyFile } });
 *   createAttestationService({ store, trust });
 */
export function reloadingAttestationTrust(options: AttestationTrustOptions): () => AttestationTrust {
  let loaded: { stamp: string; trust: AttestationTrust } | undefined;
  return () => {
    const stamp = trustStamp(options);
    if (loaded?.stamp !== stamp) loaded = { stamp, trust: loadAttestationTrust(options) };
    return loaded.trust;
  };
}

/** Size and modification time of every file the trust is read from (directories too: a new file changes them). */
function trustStamp(options: AttestationTrustOptions): string {
  const paths: string[] = [...(options.keys ?? [])];
  if (options.trustedRoot !== undefined && options.trustedRoot !== "public-good") paths.push(options.trustedRoot);
  const own = options.deployment;
  if (own !== undefined) {
    paths.push(own.logKeyFile, join(own.dataDir, "server.json"));
    for (const dir of [caDir(own.dataDir), ctDir(own.dataDir), tsaDir(own.dataDir)]) {
      paths.push(dir);
      if (existsSync(dir)) for (const name of readdirSync(dir).sort()) paths.push(join(dir, name));
    }
  }
  return paths
    .map((path) => {
      try {
        const s = statSync(path);
        return `${path}:${s.size}:${s.mtimeMs}`;
      } catch {
        return `${path}:-`;
      }
    })
    .join("|");
}

/** The URL `vouch serve` recorded when it started (undefined before it ever has). */
function recordedUrl(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const url = (JSON.parse(readTextFile(file)) as { url?: unknown }).url;
    return typeof url === "string" ? url : undefined;
  } catch {
    return undefined;
  }
}
