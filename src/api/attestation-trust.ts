import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseTrustedRoot, publicGoodTrustedRoot } from "../bundle/trusted-root.js";
import { importPublicKey } from "../core/crypto/keys.js";
import { VouchError } from "../core/errors.js";
import type { AttestationTrust } from "../sbom-index/attestations.js";
import { readTextFile } from "./files.js";
import { keylessTrust } from "./keyless-services.js";
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
