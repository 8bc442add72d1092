import { VouchError } from "../errors.js";

/**
 * A reader over TLS presentation-language bytes (RFC 8446 §3: big-endian integers, length-prefixed vectors), as
 * RFC 6962 encodes SCTs, Merkle tree leaves and tree head signatures. Every read is bounds-checked: the input is
 * attacker-controlled (an SCT in a certificate, a leaf from a log), and a short one is INPUT_MALFORMED naming `what`.
 */
export class TlsReader {
  #at = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.bytes.length - this.#at;
  }

  take(n: number): Uint8Array {
    if (n > this.remaining) throw this.malformed(`truncated (needs ${n} bytes, ${this.remaining} left)`);
    const out = this.bytes.subarray(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }

  u8(): number {
    return this.take(1)[0]!;
  }

  u16(): number {
    const b = this.take(2);
    return (b[0]! << 8) | b[1]!;
  }

  u24(): number {
    const b = this.take(3);
    return (b[0]! << 16) | (b[1]! << 8) | b[2]!;
  }

  u64(): bigint {
    const b = this.take(8);
    let n = 0n;
    for (const x of b) n = (n << 8n) | BigInt(x);
    return n;
  }

  /** opaque <0..2^16-1>. */
  vector16(): Uint8Array {
    return this.take(this.u16());
  }

  /** Nothing may follow the structure. */
  end(): void {
    if (this.remaining !== 0) throw this.malformed(`${this.remaining} trailing bytes`);
  }

  malformed(detail: string): VouchError {
    return new VouchError("INPUT_MALFORMED", `${this.what}: ${detail}`);
  }
}
