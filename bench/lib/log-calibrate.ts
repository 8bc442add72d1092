import { createHash, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import { createRequire } from "node:module";
import { join } from "node:path";
import type * as NobleNist from "@noble/curves/nist.js";
import { median } from "./measure.js";

/**
 * How fast this machine is *right now* at the three operations the log's costs are made of, timed in the bench's
 * own process at its start and end. On a shared machine (other processes, a VM's shared physical cores) the same
 * code runs 2-3x slower at times; these numbers let two runs of the log bench be compared.
 *
 * - @noble/curves P-256 ECDSA verify over a digest: pure-JavaScript BigInt arithmetic (what vouch used for
 *   hashedrekord submissions before src/core/crypto/prehash.ts moved to OpenSSL's arithmetic);
 * - node:crypto P-256 ECDSA verify over a message: what vouch does for a dsse submission (OpenSSL);
 * - one RFC 6962 node hash (SHA-256 of 0x01 || 32 || 32 bytes) the way src/core/merkle/hash.ts makes it.
 */
export interface Calibration {
  nobleVerifyMs: number;
  nodeVerifyMs: number;
  nodeHashNs: number;
}

export function calibrate(repo: string): Calibration {
  const { p256 } = createRequire(join(repo, "package.json"))("@noble/curves/nist.js") as typeof NobleNist;
  const items = Array.from({ length: 60 }, (_v, i) => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const data = Buffer.from(`calibration ${i}`);
    const jwk = createPublicKey(privateKey).export({ format: "jwk" });
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
    return { data, publicKey, point, digest: createHash("sha256").update(data).digest(), signature: sign("sha256", data, privateKey) };
  });
  const time = (fn: () => void, repeat: number): number[] => {
    const out: number[] = [];
    for (let i = 0; i < repeat; i++) {
      const t0 = performance.now();
      fn();
      out.push(performance.now() - t0);
    }
    return out;
  };
  const noble = time(() => {
    for (const it of items.slice(0, 10)) if (!p256.verify(it.signature, it.digest, it.point, { prehash: false, format: "der", lowS: false })) throw new Error("calibration: noble refused");
  }, 12);
  const native = time(() => {
    for (const it of items) if (!verify("sha256", it.data, it.publicKey, it.signature)) throw new Error("calibration: node:crypto refused");
  }, 12);
  const prefix = Uint8Array.of(1);
  let h: Uint8Array = items[0]!.digest;
  const hashes = time(() => {
    for (let i = 0; i < 20_000; i++) h = createHash("sha256").update(prefix).update(h).update(items[1]!.digest).digest();
  }, 12);
  // The first rounds warm the JIT; the median of the rest.
  return { nobleVerifyMs: median(noble.slice(2)) / 10, nodeVerifyMs: median(native.slice(2)) / items.length, nodeHashNs: (median(hashes.slice(2)) * 1e6) / 20_000 };
}
