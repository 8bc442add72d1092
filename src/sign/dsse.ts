import type { DsseEnvelope } from "../bundle/types.js";
import { preAuthEncoding } from "../core/dsse/pae.js";
import type { Signer, SignerMaterial } from "./signer.js";

/**
 * Sign a payload the DSSE way: the signature covers PAE(payloadType, payload), never the payload alone, so a payload
 * cannot be replayed under another type (DSSE protocol.md). The keyid is the signer's key hint (empty for a
 * certificate), as sigstore-js writes it.
 */
export async function signDsse(signer: Signer, payloadType: string, payload: Uint8Array): Promise<{ envelope: DsseEnvelope; material: SignerMaterial }> {
  const { signature, material } = await signer.sign(preAuthEncoding(payloadType, payload));
  return {
    envelope: { payload, payloadType, signatures: [{ sig: signature, keyid: material.kind === "publicKey" ? material.hint : "" }] },
    material,
  };
}
