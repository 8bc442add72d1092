import type { AttestationLogEntryDetail } from "../api/types";

/**
 * Inclusion proofs recomputed in the browser: the dashboard does not take the server's word that an attestation is
 * in a log. RFC 6962 §2.1 hashing (leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right)) and the
 * verification algorithm of RFC 9162 §2.1.3.2, over WebCrypto's SHA-256 (injected, so node runs the same code).
 * Every field comes from the API, which relays what a bundle carried: all of it is parsed as attacker-controlled.
 */
export type Sha256 = (data: Uint8Array) => Promise<Uint8Array>;

export const subtleSha256: Sha256 = async (data) => new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));

export type ProofStatus = "verified" | "failed" | "absent";

export interface ProofResult {
  status: ProofStatus;
  /** Why it failed or is absent; for a verified proof, what it was checked against. */
  detail: string;
  /** The root the proof leads to, lower-case hex (when it could be computed). */
  computedRoot?: string;
}

const HASH_SIZE = 32;

export async function leafHash(sha256: Sha256, data: Uint8Array): Promise<Uint8Array> {
  return sha256(concat(new Uint8Array([0]), data));
}

export async function nodeHash(sha256: Sha256, left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  return sha256(concat(new Uint8Array([1]), left, right));
}

/**
 * RFC 9162 §2.1.3.2: the root an inclusion path leads to from `leaf` at `index` in a tree of `size` leaves, or an
 * error when the path has the wrong length for that position (a proof for another index or size).
 */
export async function rootFromInclusionProof(
  sha256: Sha256,
  index: bigint,
  size: bigint,
  leaf: Uint8Array,
  path: readonly Uint8Array[],
): Promise<Uint8Array> {
  // Step 1: an index at or past the tree size proves nothing.
  if (index < 0n || index >= size) throw new Error(`leaf index ${index} is not below tree size ${size}`);
  // Step 2.
  let fn = index;
  let sn = size - 1n;
  // Step 3.
  let r = leaf;
  // Step 4.
  for (const p of path) {
    if (p.length !== HASH_SIZE) throw new Error(`a proof hash is ${p.length} bytes, not ${HASH_SIZE}`);
    // 4a: more hashes than the path from this leaf to the root has.
    if (sn === 0n) throw new Error("the proof has more hashes than the tree is deep");
    if ((fn & 1n) === 1n || fn === sn) {
      // 4b: p is a left sibling.
      r = await nodeHash(sha256, p, r);
      // A last node of an unbalanced level is carried up unhashed until it is a right child again.
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = await nodeHash(sha256, r, p);
    }
    // 4c.
    fn >>= 1n;
    sn >>= 1n;
  }
  // Step 5: fewer hashes than the path needs.
  if (sn !== 0n) throw new Error("the proof has fewer hashes than the tree is deep");
  return r;
}

/** A C2SP checkpoint's body: origin, tree size and root hash (the signature lines are the log's, not checked here). */
export interface CheckpointBody {
  origin: string;
  size: bigint;
  rootHash: Uint8Array;
}

export function parseCheckpoint(text: string): CheckpointBody {
  const end = text.indexOf("\n\n");
  const lines = (end < 0 ? text : text.slice(0, end)).split("\n");
  const [origin, sizeLine, rootLine] = lines;
  if (origin === undefined || origin === "") throw new Error("the checkpoint has no origin line");
  if (sizeLine === undefined || !/^(0|[1-9][0-9]*)$/.test(sizeLine)) throw new Error("the checkpoint's tree size line is not a decimal number");
  if (rootLine === undefined) throw new Error("the checkpoint has no root hash line");
  const rootHash = fromBase64(rootLine);
  if (rootHash.length !== HASH_SIZE) throw new Error(`the checkpoint's root hash is ${rootHash.length} bytes, not ${HASH_SIZE}`);
  return { origin, size: BigInt(sizeLine), rootHash };
}

/** Checks one log entry's inclusion proof as the API relays it: to the proof's root hash and to its checkpoint's root. */
export async function checkLogEntryProof(entry: AttestationLogEntryDetail, sha256: Sha256 = subtleSha256): Promise<ProofResult> {
  const proof = entry.inclusionProof;
  if (proof === undefined) return { status: "absent", detail: "the bundle carries no inclusion proof (a signed entry timestamp only)" };
  if (entry.leafHash === undefined) return { status: "absent", detail: "the entry's leaf hash is not known" };
  try {
    const index = decimal(proof.logIndex, "the proof's log index");
    const size = decimal(proof.treeSize, "the proof's tree size");
    const leaf = fromHex(entry.leafHash, "the leaf hash");
    const path = proof.hashes.map((h, i) => fromHex(h, `proof hash ${i}`));
    const claimed = fromHex(proof.rootHash, "the proof's root hash");
    const root = await rootFromInclusionProof(sha256, index, size, leaf, path);
    const computedRoot = toHex(root);
    if (!equal(root, claimed)) return { status: "failed", detail: `the proof leads to root ${computedRoot}, not the claimed ${proof.rootHash}`, computedRoot };
    if (proof.checkpoint === undefined) return { status: "verified", detail: `leaf ${index} of ${size} leads to the proof's root hash (no checkpoint carried)`, computedRoot };
    const checkpoint = parseCheckpoint(proof.checkpoint);
    if (checkpoint.size !== size) return { status: "failed", detail: `the checkpoint is for tree size ${checkpoint.size}, the proof for ${size}`, computedRoot };
    if (!equal(checkpoint.rootHash, root)) return { status: "failed", detail: "the proof's root is not the checkpoint's root hash", computedRoot };
    return { status: "verified", detail: `leaf ${index} of ${size} leads to the checkpoint's root (${checkpoint.origin})`, computedRoot };
  } catch (error) {
    return { status: "failed", detail: error instanceof Error ? error.message : String(error) };
  }
}

function decimal(text: string, what: string): bigint {
  if (!/^(0|[1-9][0-9]{0,19})$/.test(text)) throw new Error(`${what} is not a decimal number`);
  return BigInt(text);
}

export function fromHex(text: string, what = "a hash"): Uint8Array {
  if (!/^[0-9a-fA-F]*$/.test(text) || text.length % 2 !== 0) throw new Error(`${what} is not hex`);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  if (out.length !== HASH_SIZE) throw new Error(`${what} is ${out.length} bytes, not ${HASH_SIZE}`);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

function fromBase64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new Error("the checkpoint's root hash line is not base64");
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
