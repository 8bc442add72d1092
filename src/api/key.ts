import { closeSync, fchmodSync, fsyncSync, linkSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { encryptPrivateKey, generateKeyPair, keyId, parseGenerateAlgorithm, publicKeyPem, type GenerateAlgorithm } from "../core/crypto/keys.js";
import { VouchError } from "../core/errors.js";
import { resolvePassword, terminalPrompt, type PasswordSource } from "../sign/password.js";

export interface GenerateKeyOptions {
  /** Files are PREFIX.key and PREFIX.pub (default "cosign", as `cosign generate-key-pair`). */
  prefix?: string;
  /** "ecdsa-p256" (default) or "ed25519". */
  algorithm?: GenerateAlgorithm | string;
  /** Where the password comes from (default: VOUCH_PASSWORD, else a prompt when on a terminal). */
  password?: PasswordSource;
  /** Directory PREFIX is relative to (default: the working directory). */
  cwd?: string;
}

export interface GeneratedKeyFiles {
  privateKeyPath: string;
  publicKeyPath: string;
  algorithm: GenerateAlgorithm;
  /** Hex SHA-256 of the public key's SPKI DER: the hint bundles signed with it carry. */
  keyId: string;
}

/**
 * Generate a key pair and write PREFIX.key (encrypted PKCS#8 PEM, mode 0600) and PREFIX.pub (SPKI PEM). Existing
 * files are never overwritten (INPUT_USAGE), and each file appears whole or not at all.
 *
 * @example
 *   const { privateKeyPath, publicKeyPath } = await generateKeyFiles({ prefix: "release", password: { env: { VOUCH_PASSWORD: "…" } } });
 */
export async function generateKeyFiles(options: GenerateKeyOptions = {}): Promise<GeneratedKeyFiles> {
  const algorithm = parseGenerateAlgorithm(options.algorithm ?? "ecdsa-p256");
  const prefix = options.prefix ?? "cosign";
  if (prefix === "" || prefix.endsWith("/")) throw new VouchError("INPUT_USAGE", `--out takes a file name prefix, not "${prefix}"`);
  const base = resolve(options.cwd ?? ".", prefix);
  const privateKeyPath = `${base}.key`;
  const publicKeyPath = `${base}.pub`;
  refuseExisting(privateKeyPath, `${prefix}.key`);
  refuseExisting(publicKeyPath, `${prefix}.pub`);

  const password = await resolvePassword(options.password ?? { env: process.env, prompt: terminalPrompt() }, { confirm: true });
  const pair = generateKeyPair(algorithm);
  const privatePem = encryptPrivateKey(pair.privateKey, password);
  writeNewFileAtomic(privateKeyPath, privatePem, 0o600);
  try {
    writeNewFileAtomic(publicKeyPath, publicKeyPem(pair.publicKey), 0o644);
  } catch (err) {
    rmSync(privateKeyPath, { force: true }); // never leave half a key pair behind
    throw err;
  }
  return { privateKeyPath, publicKeyPath, algorithm, keyId: keyId(pair.publicKey) };
}

function refuseExisting(path: string, shown: string): void {
  let exists = true;
  try {
    statSync(path);
  } catch {
    exists = false;
  }
  if (exists) throw new VouchError("INPUT_USAGE", "already exists: refusing to overwrite a key file (remove it or pick another --out)", { file: shown });
}

/**
 * Create `path` with `data`, whole or not at all, and only if it does not exist: the bytes go to a temporary file
 * beside it (created with `mode`, so a private key is never readable by others, even for an instant), are flushed,
 * and the temporary file is hard-linked to the target, which fails if the target appeared meanwhile (no clobbering,
 * unlike rename).
 */
export function writeNewFileAtomic(path: string, data: string, mode: number): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  let linking = false;
  try {
    fd = openSync(tmp, "wx", mode);
    fchmodSync(fd, mode); // exactly `mode`, whatever the umask
    writeSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    linking = true;
    linkSync(tmp, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST" && linking) throw new VouchError("INPUT_USAGE", "already exists: refusing to overwrite a key file", { file: path });
    throw new VouchError(code === "ENOENT" ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE", code === "ENOENT" ? "cannot write: no such directory" : `cannot write (${code ?? "error"})`, {
      file: path,
      cause: err,
    });
  } finally {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
  }
}
