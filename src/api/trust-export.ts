import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { KeyObject } from "node:crypto";
import { createPublicKey, createHash } from "node:crypto";
import { writeFileAtomic } from "./files.js";

/**
 * `vouch trust export`: the trust material a Sigstore client needs to verify what this vouch instance signed and
 * logged, as a protobuf-specs TrustedRoot (trusted_root.json), the file cosign, sigstore-js and sigstore-go take.
 * This issue puts the transparency log in it; the keyless issue adds the CA, CT log and TSA.
 */

export interface TrustExportOptions {
  outDir: string;
  log: {
    /** The log's base URL as clients reach it (e.g. http://127.0.0.1:8080). */
    baseUrl: string;
    privateKey: KeyObject;
    /** Start of the key's validity: no entry integrated before it verifies. */
    validFrom: Date;
  };
}

export function trustedRootJson(options: TrustExportOptions["log"]): Record<string, unknown> {
  const publicKey = createPublicKey(options.privateKey);
  const der = publicKey.export({ type: "spki", format: "der" });
  const keyDetails = publicKey.asymmetricKeyType === "ed25519" ? "PKIX_ED25519" : "PKIX_ECDSA_P256_SHA_256";
  return {
    mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    tlogs: [
      {
        baseUrl: options.baseUrl,
        hashAlgorithm: "SHA2_256",
        publicKey: { rawBytes: der.toString("base64"), keyDetails, validFor: { start: options.validFrom.toISOString() } },
        logId: { keyId: createHash("sha256").update(der).digest("base64") },
      },
    ],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  };
}

/** Writes DIR/trusted_root.json (whole or not at all) and returns its path. */
export function exportTrust(options: TrustExportOptions): string {
  mkdirSync(options.outDir, { recursive: true });
  const file = join(options.outDir, "trusted_root.json");
  writeFileAtomic(file, `${JSON.stringify(trustedRootJson(options.log), null, 2)}\n`);
  return file;
}

/** When a log key file came into being: its validity starts there (birth time where the file system records it). */
export function keyFileCreated(file: string): Date {
  const stat = statSync(file);
  const ms = stat.birthtimeMs > 0 ? stat.birthtimeMs : stat.mtimeMs;
  // Whole seconds, rounded down: integrated times are whole seconds, and an entry logged in the same second the key
  // was made would otherwise fall before the key's validity and fail verification.
  return new Date(Math.floor(ms / 1000) * 1000);
}
