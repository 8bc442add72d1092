import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../api/files.js";
import { encodePem } from "../core/crypto/keys.js";
import { decodePemBlocks } from "../core/encoding/pem.js";
import { VouchError } from "../core/errors.js";
import { TimestampAuthority, type TimestampAuthorityOptions } from "./authority.js";
import { createTsaChain, tsaKeyAlgorithm, type TsaKeyAlgorithm } from "./certificates.js";

/**
 * The TSA's key material in the data directory (`<data>/tsa/`):
 *
 *   key.pem     the signing key, unencrypted PKCS #8, mode 0600 (the TSA signs unattended, like the log: a password
 *               would sit beside it; an operator who needs more supplies a key they hold elsewhere)
 *   chain.pem   the certificate chain, signing certificate first, then its issuers up to the root
 *
 * An operator may put their own key.pem + chain.pem there (a chain issued by their CA, as timestamp-authority's
 * --certificate-chain-path and file signer take); vouch only creates what is missing.
 */

export interface LoadOrCreateTsaOptions extends Omit<TimestampAuthorityOptions, "key" | "chain"> {
  /** Curve of a new key (and of the new root that certifies it). Default ecdsa-p256. */
  algorithm?: TsaKeyAlgorithm;
  /** Subject organization of a new chain (default "vouch"); the root's subject is the trusted root's TSA subject. */
  organization?: string;
  /** Subject common name of a new signing certificate (default "<organization> timestamp authority"). */
  commonName?: string;
  /** Validity of a new chain in days (default 3650). */
  validityDays?: number;
}

export const tsaKeyFile = (dir: string): string => join(dir, "key.pem");
export const tsaChainFile = (dir: string): string => join(dir, "chain.pem");

/**
 * Opens the TSA in `dir`, creating on first start a key (ECDSA P-256 or P-384, 0600) and a chain (a root CA and the
 * signing certificate with the critical timeStamping EKU), and reading both on later starts.
 *
 * The key is written before the chain: a crash between the two leaves a key without a chain, and the next start
 * certifies that key anew (nothing can have trusted a chain that was never written). A chain without its key is
 * an operator's mistake and is refused rather than replaced, since clients may already trust that chain.
 *
 * @throws VouchError INPUT_NOT_FOUND (chain without key), INPUT_MALFORMED / INPUT_UNSUPPORTED_FORMAT (unusable files).
 */
export function loadOrCreateTsa(dir: string, options: LoadOrCreateTsaOptions = {}): TimestampAuthority {
  const keyFile = tsaKeyFile(dir);
  const chainFile = tsaChainFile(dir);
  const hasKey = existsSync(keyFile);
  const hasChain = existsSync(chainFile);
  if (hasChain && !hasKey) {
    throw new VouchError("INPUT_NOT_FOUND", `the TSA chain has no key beside it: restore key.pem, or remove chain.pem to make a new TSA (its timestamps will need a new trusted root)`, { file: keyFile });
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = hasKey ? readKey(keyFile) : createKey(keyFile, options.algorithm ?? "ecdsa-p256");
  if (!hasChain) {
    const algorithm = tsaKeyAlgorithm(key)!;
    const { privateKey: rootKey } = generateKeyPairSync("ec", { namedCurve: algorithm === "ecdsa-p384" ? "secp384r1" : "prime256v1" });
    const chain = createTsaChain({
      signingKey: key,
      rootKey,
      now: options.now?.() ?? new Date(),
      organization: options.organization,
      commonName: options.commonName,
      validityDays: options.validityDays,
      random: options.random,
    });
    writeFileAtomic(chainFile, chain.map((c) => encodePem("CERTIFICATE", c)).join(""), 0o644);
  }
  const chain = readTsaChain(dir);
  if (chain === undefined) throw new VouchError("INPUT_NOT_FOUND", "the TSA chain is missing", { file: chainFile });
  try {
    return new TimestampAuthority({ ...options, key, chain });
  } catch (err) {
    if (err instanceof VouchError) throw new VouchError(err.code, err.message, { file: chainFile, cause: err });
    throw err;
  }
}

/**
 * The TSA's certificate chain (DER, signing certificate first) as `<dir>/chain.pem` holds it, or undefined when there
 * is no TSA in `dir`: what `vouch trust export` reads to write the trusted root's timestampAuthorities.
 */
export function readTsaChain(dir: string): Uint8Array[] | undefined {
  const file = tsaChainFile(dir);
  if (!existsSync(file)) return undefined;
  let chain: Uint8Array[];
  try {
    // RFC 7468 §2: CERTIFICATE blocks; any other block in the file is not part of the chain.
    chain = decodePemBlocks(readFileSync(file, "utf8"))
      .filter((block) => block.label === "CERTIFICATE")
      .map((block) => block.der);
  } catch (error) {
    throw new VouchError("INPUT_MALFORMED", "a CERTIFICATE block is not base64", { file, cause: error });
  }
  if (chain.length === 0) throw new VouchError("INPUT_MALFORMED", "no CERTIFICATE in the TSA chain file", { file });
  return chain;
}

function readKey(file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file));
  } catch (error) {
    throw new VouchError("INPUT_MALFORMED", "not a PEM private key", { file, cause: error });
  }
  if (tsaKeyAlgorithm(key) === undefined) throw new VouchError("INPUT_UNSUPPORTED_FORMAT", "a TSA key must be ECDSA P-256 or P-384", { file });
  return key;
}

function createKey(file: string, algorithm: TsaKeyAlgorithm): KeyObject {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: algorithm === "ecdsa-p384" ? "secp384r1" : "prime256v1" });
  writeFileAtomic(file, privateKey.export({ type: "pkcs8", format: "pem" }).toString(), 0o600);
  return privateKey;
}
