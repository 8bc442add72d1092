import type { KeyObject } from "node:crypto";
import { keyAlgorithm, keyId, publicKeyDer, sign, type KeyAlgorithm } from "../core/crypto/keys.js";
import { VouchError } from "../core/errors.js";
import type { Signer, SignatureResult, SignerMaterial } from "./signer.js";

/**
 * A Signer over a private key held in memory: what a key file, an `env://` key or a test key becomes once read and
 * decrypted (see key-file.ts for where the key comes from).
 */
export class KeySigner implements Signer {
  readonly algorithm: KeyAlgorithm;
  /** Hex SHA-256 of the SPKI DER: the bundle's publicKey hint and the DSSE keyid. */
  readonly keyId: string;
  /** SPKI DER of the public key. */
  readonly publicKeyDer: Uint8Array;
  readonly #privateKey: KeyObject;
  readonly #material: SignerMaterial;

  constructor(privateKey: KeyObject) {
    if (privateKey.type !== "private") throw new VouchError("INPUT_USAGE", "a signer needs a private key");
    this.algorithm = keyAlgorithm(privateKey);
    this.keyId = keyId(privateKey);
    this.#privateKey = privateKey;
    this.publicKeyDer = publicKeyDer(privateKey);
    this.#material = { kind: "publicKey", hint: this.keyId, publicKeyDer: this.publicKeyDer };
  }

  sign(data: Uint8Array): Promise<SignatureResult> {
    return Promise.resolve({ signature: sign(this.#privateKey, data), material: this.#material });
  }
}
