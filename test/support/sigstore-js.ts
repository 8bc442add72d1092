import { createPublicKey, sign as nodeSign, type KeyObject } from "node:crypto";
import type { Signer as SigstoreSigner } from "@sigstore/sign";
import { VerificationError } from "@sigstore/verify";

/** A @sigstore/sign Signer over a local key (how a keyed signer plugs into its bundle builders). */
export function localKeySigner(privateKey: KeyObject, hint: string): SigstoreSigner {
  const publicKey = createPublicKey(privateKey).export({ type: "spki", format: "pem" }).toString();
  return {
    sign: async (data) => ({
      signature: nodeSign(privateKey.asymmetricKeyType === "ed25519" ? null : "sha256", data, privateKey),
      key: { $case: "publicKey", publicKey, hint },
    }),
  };
}

/** The code of the @sigstore/verify error (VerificationError, PolicyError) `run` throws; fails when it verifies. */
export function sigstoreRefusal(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof VerificationError) return err.code;
    if (err instanceof Error && "code" in err) return String(err.code);
    throw err;
  }
  throw new Error("expected @sigstore/verify to refuse");
}
