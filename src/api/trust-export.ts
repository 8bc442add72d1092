import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { KeyObject } from "node:crypto";
import { createPublicKey, createHash, X509Certificate } from "node:crypto";
import { writeFileAtomic } from "./files.js";

/**
 * `vouch trust export`: what a Sigstore client needs to sign with and verify against this vouch deployment.
 *
 * - trusted_root.json: a protobuf-specs TrustedRoot (the file cosign, sigstore-js and sigstore-go take) with the
 *   transparency log's key, the CT log's key, the keyless CA's chain and the TSA's chain, each with its validity.
 * - signing_config.json: a Sigstore SigningConfig v0.2 naming this deployment's CA, log and TSA URLs, the file
 *   `cosign sign --signing-config` and `vouch sign --keyless --signing-config` take.
 */

export interface TrustExportOptions {
  outDir: string;
  log: {
    /** The deployment's base URL as clients reach it (e.g. http://127.0.0.1:8080). */
    baseUrl: string;
    privateKey: KeyObject;
    /** Start of the key's validity: no entry integrated before it verifies. */
    validFrom: Date;
  };
  /** The keyless CA: its chain [intermediate, root] DER, when `vouch ca init` ran. */
  ca?: { chain: Uint8Array[] };
  /** trusted_root.json `ctlogs` entries (src/ct). */
  ctlogs?: object[];
  /** trusted_root.json `timestampAuthorities` entries (src/tsa). */
  timestampAuthorities?: object[];
}

export function trustedRootJson(options: Omit<TrustExportOptions, "outDir">): Record<string, unknown> {
  const { log } = options;
  const publicKey = createPublicKey(log.privateKey);
  const der = publicKey.export({ type: "spki", format: "der" });
  const keyDetails = publicKey.asymmetricKeyType === "ed25519" ? "PKIX_ED25519" : "PKIX_ECDSA_P256_SHA_256";
  return {
    mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    tlogs: [
      {
        baseUrl: log.baseUrl,
        hashAlgorithm: "SHA2_256",
        publicKey: { rawBytes: der.toString("base64"), keyDetails, validFor: { start: log.validFrom.toISOString() } },
        logId: { keyId: createHash("sha256").update(der).digest("base64") },
      },
    ],
    certificateAuthorities: options.ca ? [certificateAuthorityJson(options.ca.chain, log.baseUrl)] : [],
    ctlogs: options.ctlogs ?? [],
    timestampAuthorities: options.timestampAuthorities ?? [],
  };
}

/** The CA entry: its chain (intermediate first, root last, as protobuf-specs lists it), valid from the root's notBefore. */
function certificateAuthorityJson(chain: Uint8Array[], baseUrl: string): Record<string, unknown> {
  const root = new X509Certificate(chain[chain.length - 1]!);
  const subject = Object.fromEntries(root.subject.split("\n").map((line) => line.split("=", 2) as [string, string]));
  return {
    subject: { organization: subject.O ?? "", commonName: subject.CN ?? "" },
    uri: baseUrl,
    certChain: { certificates: chain.map((der) => ({ rawBytes: Buffer.from(der).toString("base64") })) },
    validFor: { start: new Date(root.validFrom).toISOString() },
  };
}

/**
 * SigningConfig v0.2 (protobuf-specs sigstore_trustroot.proto): one CA, one log (Rekor v1 API) and one TSA, all at
 * `baseUrl`, valid from `validFrom`. Services this deployment does not run are left out.
 */
export function signingConfigJson(baseUrl: string, services: { ca: boolean; tsa: boolean }, validFrom: Date): Record<string, unknown> {
  const service = (url: string) => ({ url, majorApiVersion: 1, validFor: { start: validFrom.toISOString() }, operator: new URL(baseUrl).host });
  return {
    mediaType: "application/vnd.dev.sigstore.signingconfig.v0.2+json",
    caUrls: services.ca ? [service(baseUrl)] : [],
    oidcUrls: [],
    rekorTlogUrls: [service(baseUrl)],
    rekorTlogConfig: { selector: "ANY" },
    tsaUrls: services.tsa ? [service(`${baseUrl}/api/v1/timestamp`)] : [],
    tsaConfig: { selector: "ANY" },
  };
}

export interface ExportedTrust {
  trustedRoot: string;
  signingConfig: string;
}

/** Writes DIR/trusted_root.json and DIR/signing_config.json (each whole or not at all). */
export function exportTrust(options: TrustExportOptions): ExportedTrust {
  mkdirSync(options.outDir, { recursive: true });
  const trustedRoot = join(options.outDir, "trusted_root.json");
  const signingConfig = join(options.outDir, "signing_config.json");
  writeFileAtomic(trustedRoot, `${JSON.stringify(trustedRootJson(options), null, 2)}\n`);
  const config = signingConfigJson(options.log.baseUrl, { ca: options.ca !== undefined, tsa: (options.timestampAuthorities ?? []).length > 0 }, options.log.validFrom);
  writeFileAtomic(signingConfig, `${JSON.stringify(config, null, 2)}\n`);
  return { trustedRoot, signingConfig };
}

/** When a key file came into being: its validity starts there (birth time where the file system records it). */
export function keyFileCreated(file: string): Date {
  const stat = statSync(file);
  const ms = stat.birthtimeMs > 0 ? stat.birthtimeMs : stat.mtimeMs;
  // Whole seconds, rounded down: integrated times are whole seconds, and an entry logged in the same second the key
  // was made would otherwise fall before the key's validity and fail verification.
  return new Date(Math.floor(ms / 1000) * 1000);
}
