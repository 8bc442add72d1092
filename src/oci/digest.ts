import { createHash, type Hash } from "node:crypto";

/**
 * OCI content digests (image-spec descriptor.md "Digests"): `algorithm ":" encoded`. vouch verifies sha256 and sha512,
 * the two registered algorithms; any other algorithm cannot be verified, so it is refused rather than trusted.
 */
export type DigestAlgorithm = "sha256" | "sha512";

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  /** Lower-case hex. */
  hex: string;
  /** `${algorithm}:${hex}` */
  digest: string;
}

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };

/** Parses "sha256:<64 hex>" / "sha512:<128 hex>"; throws an Error whose message says what is wrong (callers wrap it). */
export function parseDigest(value: string): ParsedDigest {
  const colon = value.indexOf(":");
  if (colon <= 0) throw new Error(`digest ${JSON.stringify(clip(value))} is not "algorithm:hex"`);
  const algorithm = value.slice(0, colon);
  const hex = value.slice(colon + 1);
  if (algorithm !== "sha256" && algorithm !== "sha512") throw new Error(`digest algorithm ${JSON.stringify(clip(algorithm))} is not supported (sha256, sha512)`);
  const length = HEX_LENGTH[algorithm];
  if (hex.length !== length || !/^[a-f0-9]+$/.test(hex)) throw new Error(`a ${algorithm} digest is ${length} lower-case hex characters, got ${JSON.stringify(clip(hex))}`);
  return { algorithm, hex, digest: value };
}

/** Whether parseDigest accepts `value` (without building its error: a tag is asked about on every manifest request). */
export function isDigest(value: string): boolean {
  return /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/.test(value);
}

/** The digest of bytes in the given algorithm ("sha256:…"). */
export function digestOf(bytes: Uint8Array, algorithm: DigestAlgorithm = "sha256"): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest("hex")}`;
}

/** An incremental digest (for blobs read as streams). */
export interface Digester {
  update(chunk: Uint8Array): void;
  /** `${algorithm}:${hex}`; call once. */
  digest(): string;
}

export function createDigester(algorithm: DigestAlgorithm): Digester {
  const hash: Hash = createHash(algorithm);
  return {
    update: (chunk) => void hash.update(chunk),
    digest: () => `${algorithm}:${hash.digest("hex")}`,
  };
}

function clip(value: string): string {
  return value.length > 80 ? `${value.slice(0, 80)}…` : value;
}
