import { createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { VouchError } from "../core/errors.js";
import { writeFileAtomic } from "./files.js";

export type LogKeyAlgorithm = "ecdsa-p256" | "ed25519";

/**
 * The log's signing key: read from `file`, or created there on first start (ECDSA P-256 like Rekor's, or Ed25519),
 * as an unencrypted PKCS#8 PEM readable by the owner only. The log signs unattended, so a password would have to sit
 * beside the key anyway; operators who need more keep the key in an HSM (a PKCS#11 log key is a follow-up).
 *
 * @throws VouchError INPUT_MALFORMED when the file holds no usable private key.
 */
export function loadOrCreateLogKey(file: string, algorithm: LogKeyAlgorithm = "ecdsa-p256"): KeyObject {
  if (existsSync(file)) {
    let key: KeyObject;
    try {
      key = createPrivateKey(readFileSync(file));
    } catch (error) {
      throw new VouchError("INPUT_MALFORMED", "not a PEM private key", { file, cause: error });
    }
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (!(key.asymmetricKeyType === "ed25519" || (key.asymmetricKeyType === "ec" && curve === "prime256v1"))) {
      throw new VouchError("INPUT_UNSUPPORTED_FORMAT", "a log key must be ECDSA P-256 or Ed25519", { file });
    }
    return key;
  }
  const { privateKey } =
    algorithm === "ed25519" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, privateKey.export({ type: "pkcs8", format: "pem" }).toString(), 0o600);
  return privateKey;
}
