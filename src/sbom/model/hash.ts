import { base64ToHex, isHex } from "../../core/encoding/base64.js";
import type { Hash, HashAlgorithm } from "./types.js";

/** Algorithm names as lockfiles spell them, to the model's (CycloneDX) names. */
const ALGORITHMS: Record<string, HashAlgorithm> = {
  md5: "MD5",
  sha1: "SHA-1",
  "sha-1": "SHA-1",
  sha256: "SHA-256",
  "sha-256": "SHA-256",
  sha384: "SHA-384",
  "sha-384": "SHA-384",
  sha512: "SHA-512",
  "sha-512": "SHA-512",
  "sha3-256": "SHA3-256",
  "sha3-384": "SHA3-384",
  "sha3-512": "SHA3-512",
  "blake2b-256": "BLAKE2b-256",
  "blake2b-384": "BLAKE2b-384",
  "blake2b-512": "BLAKE2b-512",
  blake3: "BLAKE3",
};

/** Hex digest length per algorithm: a digest of the wrong length is not kept. */
const HEX_LENGTH: Record<HashAlgorithm, number> = {
  MD5: 32,
  "SHA-1": 40,
  "SHA-256": 64,
  "SHA-384": 96,
  "SHA-512": 128,
  "SHA3-256": 64,
  "SHA3-384": 96,
  "SHA3-512": 128,
  "BLAKE2b-256": 64,
  "BLAKE2b-384": 96,
  "BLAKE2b-512": 128,
  BLAKE3: 64,
};

export function hashAlgorithm(name: string): HashAlgorithm | undefined {
  // Own properties only: an algorithm named "constructor" in a hostile file must not reach Object.prototype.
  const key = name.trim().toLowerCase();
  return Object.hasOwn(ALGORITHMS, key) ? ALGORITHMS[key] : undefined;
}

/** A hash from an algorithm name and a hex digest; undefined unless both are well formed. */
export function hexHash(algorithm: string, hex: string): Hash | undefined {
  const alg = hashAlgorithm(algorithm);
  const content = hex.trim().toLowerCase();
  if (!alg || !isHex(content) || content.length !== HEX_LENGTH[alg]) return undefined;
  return { alg, content };
}

/** A hash from an algorithm name and a base64 digest (NuGet contentHash, SRI). */
export function base64Hash(algorithm: string, b64: string): Hash | undefined {
  const hex = base64ToHex(b64);
  return hex === undefined ? undefined : hexHash(algorithm, hex);
}

/**
 * Subresource Integrity ("sha512-<base64> sha1-<base64>", as npm, yarn and pnpm write `integrity`):
 * every well-formed entry becomes a hash.
 */
export function sriHashes(integrity: string | undefined): Hash[] {
  if (!integrity) return [];
  const out: Hash[] = [];
  for (const token of integrity.trim().split(/\s+/)) {
    const dash = token.indexOf("-");
    if (dash <= 0) continue;
    const digest = token.slice(dash + 1).replace(/\?.*$/, "");
    const h = base64Hash(token.slice(0, dash), digest);
    if (h) out.push(h);
  }
  return out;
}

/** "sha256:abcd…" / "sha256=abcd…" (pip, poetry, uv, Pipfile, Gemfile CHECKSUMS). */
export function prefixedHexHash(value: string): Hash | undefined {
  const m = /^([A-Za-z0-9-]+)[:=]([0-9a-fA-F]+)$/.exec(value.trim());
  return m ? hexHash(m[1]!, m[2]!) : undefined;
}

/** Union of hash lists, one per algorithm+digest, sorted for deterministic output. */
export function mergeHashes(...lists: readonly (readonly Hash[])[]): Hash[] {
  const byKey = new Map<string, Hash>();
  for (const list of lists) for (const h of list) byKey.set(`${h.alg}:${h.content}`, h);
  return [...byKey.values()].sort((a, b) => (a.alg === b.alg ? cmp(a.content, b.content) : cmp(a.alg, b.alg)));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
