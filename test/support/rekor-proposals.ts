import { createHash, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";

/** Signed Rekor v1 proposed entries for log tests, made the way @sigstore/sign and cosign make them. */

export function ecdsaKey(): KeyObject {
  return generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
}

export function publicKeyPem(key: KeyObject): string {
  return createPublicKey(key).export({ type: "spki", format: "pem" }).toString();
}

/** A hashedrekord 0.0.1 proposal: SHA-256 digest of `data` and an ECDSA signature over `data`. */
export function hashedRekordProposal(key: KeyObject, data: Uint8Array | string) {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  return {
    apiVersion: "0.0.1",
    kind: "hashedrekord",
    spec: {
      data: { hash: { algorithm: "sha256", value: createHash("sha256").update(bytes).digest("hex") } },
      signature: {
        content: sign("sha256", bytes, key).toString("base64"),
        publicKey: { content: Buffer.from(publicKeyPem(key)).toString("base64") },
      },
    },
  };
}
