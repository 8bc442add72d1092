import type { KeyObject } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseRfc3339, WireReader } from "../bundle/wire.js";
import { encryptPrivateKey, generateKeyPair, importPrivateKey, importPublicKey, isEncryptedPrivateKey, keyId, privateKeyPemKind, publicKeyPem, sign } from "../core/crypto/keys.js";
import { parseJsonText } from "../core/encoding/json-text.js";
import { isVouchError, VouchError } from "../core/errors.js";
import { PASSWORD_ENV, resolvePassword, type PasswordSource } from "../sign/password.js";
import {
  addRevocation,
  EMPTY_REVOCATION_LIST,
  envelopeToJson,
  openRevocationEnvelope,
  revocationEnvelope,
  type DsseEnvelopeJson,
  type Revocation,
  type RevocationList,
} from "../verify/revocation.js";
import { writeFileAtomic } from "./files.js";
import { writeNewFileAtomic } from "./key.js";

/**
 * The data directory's revocation list (issue 3, "Revocation"): `vouch key revoke` records compromised keys here and
 * `vouch verify` applies them (the decision itself is pure: src/verify/revocation.ts).
 *
 * Files, all in DATA_DIR:
 *   revocations.dsse.json   the list, a DSSE envelope (payloadType application/vnd.vouch.revocations+json;version=0.1)
 *                           signed with the list key; replaced atomically (temp file + fsync + rename) on each change
 *   revocation-list.key     the list key: ECDSA P-256, PKCS#8 PEM, mode 0600, created on first use
 *   revocation-list.pub     its public key (SPKI PEM); loading verifies the list with it
 *   revocations.lock        held while a change is written, so two concurrent `key revoke`s cannot lose one
 *
 * Threat model of the list key. Its signature is what makes a list a vouch list rather than any JSON: a list that was
 * edited, truncated or replaced without the key does not load (INPUT_MALFORMED naming the file), so a verifier never
 * runs on a list someone quietly emptied. Inside the data directory the public key sits beside the list, so a person
 * who can write the directory can replace both: there the protection is the directory's permissions (created 0700),
 * and the signature catches corruption and hand edits. The key matters most once the list is exported with the trust
 * material: recipients verify the list against its key (whose ID `vouch key revocations` prints, to pin), and a stolen
 * list key would let its thief sign a list that *drops* a revocation, re-enabling a compromised key. So the key is
 * encrypted at rest like a signing key (scrypt PKCS#8, see PRIVATE_KEY_ENCRYPTION) whenever a password is at hand
 * (--password-file, VOUCH_PASSWORD, or a terminal prompt). Only when there is none — CI without a secret, where there
 * is nothing to ask and refusing would leave keys unrevoked — is it written unencrypted, mode 0600, and the result
 * says so (`listKeyCreated.encrypted: false`) for the CLI to report. An unencrypted key protects as much as the
 * account's file permissions do; encrypt it later with `openssl pkcs8 -topk8 -scrypt`.
 */
export const REVOCATION_FILES = {
  list: "revocations.dsse.json",
  privateKey: "revocation-list.key",
  publicKey: "revocation-list.pub",
  lock: "revocations.lock",
} as const;

export interface RevokeKeyOptions {
  /** The data directory (the CLI resolves it: --data-dir, VOUCH_DATA_DIR, the platform default). */
  dataDir: string;
  /** The revoked key: a PEM public key file. */
  key: string;
  /** When the key was compromised: RFC 3339 (`2025-01-31T12:00:00Z`) or a Date. Not in the future. */
  compromisedAt: string | Date;
  /** Why, in one line ("laptop stolen"). */
  reason: string;
  /** The list key's password (to encrypt it on creation, or to open it). Default: VOUCH_PASSWORD from process.env. */
  password?: PasswordSource;
  /** The clock (revokedAt, and the "not in the future" check). */
  now?: () => Date;
}

export interface RevokeKeyResult {
  /** The entry in the list (the earlier one when this key and compromise time were already revoked). */
  revocation: Revocation;
  /** False when the list already held this key and compromise time: nothing was written. */
  added: boolean;
  /** revocations.dsse.json */
  listPath: string;
  /** ID of the list key that signs the list (hex SHA-256 of its SPKI DER). */
  listKeyId: string;
  /** Set when this call created the list key. */
  listKeyCreated?: { path: string; encrypted: boolean };
}

/**
 * Record that a key was compromised: add it to the data directory's signed revocation list, creating the list (and
 * its key) on first use. Idempotent for the same key and compromise time. The list file is replaced whole or not at
 * all; a list key created by a call that then fails is removed again.
 *
 * @example
 *   await revokeKey({ dataDir, key: "cosign.pub", compromisedAt: "2025-01-31T12:00:00Z", reason: "laptop stolen" });
 */
export async function revokeKey(options: RevokeKeyOptions): Promise<RevokeKeyResult> {
  const now = (options.now ?? (() => new Date()))();
  const revoked = readPublicKeyFile(options.key);
  const compromisedAt = parseCompromisedAt(options.compromisedAt, now);
  const reason = options.reason.trim();
  if (reason === "") throw new VouchError("INPUT_USAGE", "--reason must say why the key is revoked");
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(reason)) throw new VouchError("INPUT_USAGE", "--reason must be one line of text");
  const dataDir = resolve(options.dataDir);
  const paths = revocationPaths(dataDir);
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new VouchError("INPUT_UNREADABLE", `cannot create the data directory (${(err as NodeJS.ErrnoException).code ?? "error"})`, { file: dataDir, cause: err });
  }

  return withLock(paths.lock, async () => {
    const current = loadRevocations(dataDir);
    const entry: Revocation = { keyId: keyId(revoked), publicKey: publicKeyPem(revoked), compromisedAt, reason, revokedAt: now };
    const { list, added } = addRevocation(current?.list ?? EMPTY_REVOCATION_LIST, entry);
    if (!added) {
      const existing = list.revocations.find((r) => r.keyId === entry.keyId && r.compromisedAt.getTime() === compromisedAt.getTime())!;
      return { revocation: existing, added: false, listPath: paths.list, listKeyId: current!.listKeyId };
    }
    const listKey = await openOrCreateListKey(paths, options.password ?? { env: process.env });
    try {
      const envelope = revocationEnvelope(list, (pae) => sign(listKey.privateKey, pae), listKey.keyId);
      writeFileAtomic(paths.list, `${JSON.stringify(envelopeToJson(envelope), null, 2)}\n`, 0o644);
    } catch (err) {
      if (listKey.created) {
        // No half state: a key pair this call made for a list it could not write goes with it.
        rmSync(paths.privateKey, { force: true });
        rmSync(paths.publicKey, { force: true });
      }
      throw err;
    }
    return {
      revocation: entry,
      added: true,
      listPath: paths.list,
      listKeyId: listKey.keyId,
      ...(listKey.created ? { listKeyCreated: { path: paths.privateKey, encrypted: listKey.encrypted } } : {}),
    };
  });
}

export interface LoadedRevocations {
  list: RevocationList;
  /** ID of the key the list is signed with (hex SHA-256 of its SPKI DER): pin it when the list is shipped. */
  listKeyId: string;
  /** The file the list was read from. */
  path: string;
  /** The verified envelope (what `export` ships). */
  envelope: DsseEnvelopeJson;
  /** The list key's public key (SPKI PEM). */
  publicKey: string;
}

/**
 * The data directory's revocation list, verified with revocation-list.pub; undefined when the directory has none.
 * A list that does not verify or parse is INPUT_MALFORMED naming the file, never skipped: skipping it would accept
 * every revoked key.
 */
export function loadRevocations(dataDir: string): LoadedRevocations | undefined {
  const paths = revocationPaths(resolve(dataDir));
  if (!exists(paths.list)) return undefined;
  const text = readText(paths.list);
  if (!exists(paths.publicKey)) {
    throw new VouchError("INPUT_NOT_FOUND", `the revocation list's public key is missing: ${paths.list} cannot be verified without it`, { file: paths.publicKey });
  }
  const publicKey = readText(paths.publicKey);
  const listKey = withFile(paths.publicKey, () => importPublicKey(publicKey));
  const { list, envelope } = openRevocationEnvelope(parseJsonText(text, paths.list), listKey, { file: paths.list, text, keyName: REVOCATION_FILES.publicKey });
  return { list, listKeyId: keyId(listKey), path: paths.list, envelope: envelopeToJson(envelope), publicKey: publicKeyPem(listKey) };
}

/** What `vouch key revocations export` writes: the signed list and the key to verify it with, in one JSON file. */
export interface RevocationsExport {
  list: DsseEnvelopeJson;
  publicKey: string;
}

/**
 * The data directory's signed list and its public key, to ship with the trust material (`vouch verify --revocations`).
 * The list is verified before it is exported.
 *
 * @example
 *   writeFileSync("revocations.json", JSON.stringify(exportRevocations(dataDir), null, 2));
 */
export function exportRevocations(dataDir: string): RevocationsExport {
  const loaded = loadRevocations(dataDir);
  if (loaded === undefined) {
    throw new VouchError("INPUT_NOT_FOUND", "no revocation list here to export (`vouch key revoke` creates one)", { file: revocationPaths(resolve(dataDir)).list });
  }
  return { list: loaded.envelope, publicKey: loaded.publicKey };
}

/**
 * Read an exported revocation list (exportRevocations' JSON), verifying the list against the key shipped with it.
 * That proves the list is whole and unedited since it was signed; that it is *the right* list is for the channel the
 * trust material comes through (and for the recipient who pins `listKeyId`).
 */
export function loadRevocationsExport(file: string): LoadedRevocations {
  const text = readText(file);
  const json = parseJsonText(text, file);
  const w: WireReader = new WireReader("revocations export", file, text);
  const root = w.object(json, []);
  const pem = w.string(root.publicKey, ["publicKey"]);
  let listKey: KeyObject;
  try {
    listKey = importPublicKey(pem);
  } catch (err) {
    w.fail(["publicKey"], `is not a supported public key (${err instanceof Error ? err.message : String(err)})`);
  }
  const { list, envelope } = openRevocationEnvelope(root.list, listKey, { file, text, path: ["list"], keyName: "the export's publicKey" });
  return { list, listKeyId: keyId(listKey), path: file, envelope: envelopeToJson(envelope), publicKey: publicKeyPem(listKey) };
}

const verifyCache = new Map<string, { stamp: string; loaded: LoadedRevocations | undefined }>();

/**
 * The revocation list verification uses: an exported file (`--revocations FILE`), else the data directory's list when
 * it has one. Parsed lists are cached for a long-running process, but the files are stat'ed on every call: a key
 * revoked a moment ago must be refused by the next verification, never hidden behind a cache.
 */
export function revocationsForVerification(source: { file: string } | { dataDir: string }): LoadedRevocations | undefined {
  const watched = "file" in source ? [resolve(source.file)] : ((p) => [p.list, p.publicKey])(revocationPaths(resolve(source.dataDir)));
  const cacheKey = `${"file" in source ? "file" : "dir"}:${watched[0]!}`;
  const stamp = watched.map(fileStamp).join("|");
  const hit = verifyCache.get(cacheKey);
  if (hit !== undefined && hit.stamp === stamp) return hit.loaded;
  const loaded = "file" in source ? loadRevocationsExport(source.file) : loadRevocations(source.dataDir);
  verifyCache.set(cacheKey, { stamp, loaded });
  return loaded;
}

// --- internals ---------------------------------------------------------------------------------------------------

function revocationPaths(dataDir: string) {
  return {
    list: join(dataDir, REVOCATION_FILES.list),
    privateKey: join(dataDir, REVOCATION_FILES.privateKey),
    publicKey: join(dataDir, REVOCATION_FILES.publicKey),
    lock: join(dataDir, REVOCATION_FILES.lock),
  };
}

function readPublicKeyFile(path: string): KeyObject {
  const text = readText(path);
  // importPublicKey derives the public half of a private key PEM; a revocation names a public key, and the private
  // key has no business on the machine that records its revocation.
  const kind = privateKeyPemKind(text);
  if (kind !== undefined && kind !== "public") throw new VouchError("INPUT_USAGE", "this is a private key: revoke the key by its public key (the .pub file)", { file: path });
  return withFile(path, () => importPublicKey(text));
}

function parseCompromisedAt(value: string | Date, now: Date): Date {
  let ms: number | undefined;
  if (value instanceof Date) ms = Number.isNaN(value.getTime()) ? undefined : value.getTime();
  else ms = parseRfc3339(value.trim(), "floor"); // finer than a millisecond rounds down: earlier is the safe side
  if (ms === undefined) throw new VouchError("INPUT_USAGE", `--compromised-at ${String(value)}: not an RFC 3339 time (e.g. 2025-01-31T12:00:00Z)`);
  // A compromise in the future is a typo (2205 for 2025) that would leave the key trusted until then.
  if (ms > now.getTime()) throw new VouchError("INPUT_USAGE", `--compromised-at ${new Date(ms).toISOString()} is in the future`);
  return new Date(ms);
}

interface ListKey {
  privateKey: KeyObject;
  keyId: string;
  created: boolean;
  encrypted: boolean;
}

/** The list key, created (ECDSA P-256) when the directory has none; an existing one must match revocation-list.pub. */
async function openOrCreateListKey(paths: ReturnType<typeof revocationPaths>, password: PasswordSource): Promise<ListKey> {
  const haveKey = exists(paths.privateKey);
  const havePub = exists(paths.publicKey);
  if (!haveKey && !havePub) {
    const encrypt = password.passwordFile !== undefined || password.env?.[PASSWORD_ENV] !== undefined || password.prompt !== undefined;
    const pass = encrypt ? await resolvePassword(password, { confirm: true }) : undefined;
    const pair = generateKeyPair("ecdsa-p256");
    const pem = pass === undefined ? pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString() : encryptPrivateKey(pair.privateKey, pass);
    writeNewFileAtomic(paths.privateKey, pem, 0o600);
    try {
      writeNewFileAtomic(paths.publicKey, publicKeyPem(pair.publicKey), 0o644);
    } catch (err) {
      rmSync(paths.privateKey, { force: true });
      throw err;
    }
    return { privateKey: pair.privateKey, keyId: keyId(pair.publicKey), created: true, encrypted: pass !== undefined };
  }
  if (!haveKey) throw new VouchError("INPUT_NOT_FOUND", "the revocation list's signing key is missing: the list cannot be changed without it (restore it from a backup)", { file: paths.privateKey });
  if (!havePub) throw new VouchError("INPUT_NOT_FOUND", "the revocation list's public key is missing (restore it from a backup)", { file: paths.publicKey });
  const pem = readText(paths.privateKey);
  const encrypted = isEncryptedPrivateKey(privateKeyPemKind(pem));
  const privateKey = await withFileAsync(paths.privateKey, async () => importPrivateKey(pem, encrypted ? await resolvePassword(password, { confirm: false }) : undefined));
  const publicKey = withFile(paths.publicKey, () => importPublicKey(readText(paths.publicKey)));
  if (keyId(privateKey) !== keyId(publicKey)) {
    throw new VouchError("INPUT_MALFORMED", `is not the private half of ${REVOCATION_FILES.publicKey}: lists it signs would not verify`, { file: paths.privateKey });
  }
  return { privateKey, keyId: keyId(publicKey), created: false, encrypted };
}

/** Only one writer at a time: a lost update here would silently drop a revocation. */
async function withLock<T>(lockPath: string, run: () => Promise<T>): Promise<T> {
  let fd: number;
  try {
    fd = openSync(lockPath, "wx", 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      throw new VouchError("INPUT_USAGE", "another `vouch key revoke` is changing the revocation list (if none is running, a crashed one left this lock: remove it)", { file: lockPath });
    }
    throw new VouchError("INPUT_UNREADABLE", `cannot lock the revocation list (${code ?? "error"})`, { file: lockPath, cause: err });
  }
  try {
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    return await run();
  } finally {
    rmSync(lockPath, { force: true });
  }
}


function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return false;
    throw new VouchError("INPUT_UNREADABLE", `cannot read (${code ?? "error"})`, { file: path, cause: err });
  }
}

/** Identity of a file's current contents for the cache: replaced by rename means a new inode. */
function fileStamp(path: string): string {
  try {
    const s = statSync(path);
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch {
    return "-";
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new VouchError(code === "ENOENT" ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE", code === "ENOENT" ? "no such file" : `cannot read (${code ?? "error"})`, { file: path });
  }
}

/** Name `file` in an error that does not name one yet ("cosign.pub: not a public key"). */
function withFile<T>(file: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (isVouchError(err) && err.location.file === undefined) throw new VouchError(err.code, err.message, { file, cause: err.cause });
    throw err;
  }
}

async function withFileAsync<T>(file: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (isVouchError(err) && err.location.file === undefined) throw new VouchError(err.code, err.message, { file, cause: err.cause });
    throw err;
  }
}
