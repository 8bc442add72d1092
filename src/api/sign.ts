import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { serializeBundle } from "../bundle/serialize.js";
import type { Bundle } from "../bundle/types.js";
import { VouchError } from "../core/errors.js";
import { messageSignatureBundle } from "../sign/bundle-builder.js";
import { KeyFileSigner, parseKeyRef } from "../sign/key-file.js";
import { Pkcs11Signer } from "../sign/pkcs11/index.js";
import { terminalPrompt, type PasswordSource } from "../sign/password.js";
import type { Signer, SignerMaterial } from "../sign/signer.js";
import { witnessInRekor } from "../sign/witness/rekor.js";

/** How a signing verb gets its Signer: one already open (a library caller, keyless later), or a `--key` reference. */
export interface SignerOptions {
  signer?: Signer;
  /** A PEM key file path, `env://VAR` or a PKCS #11 URI (RFC 7512). */
  key?: string;
  /** Where the key's password comes from (default: VOUCH_PASSWORD, else a prompt when on a terminal). */
  password?: PasswordSource;
  /** A Rekor v1 log (vouch's own, or Rekor) to record the signature in; the entry goes into the bundle. */
  tlogUrl?: string;
}

/** The bundle with its transparency-log entry, when `options.tlogUrl` names a log. */
export async function witnessed(bundle: Bundle, material: SignerMaterial, options: SignerOptions): Promise<Bundle> {
  if (options.tlogUrl === undefined) return bundle;
  return witnessInRekor(bundle, material, { url: options.tlogUrl });
}

/**
 * The Signer for `options`: the given one; a token key for a `pkcs11:` URI (PIN from the URI, VOUCH_PKCS11_PIN or the
 * prompt); else the key file or `env://VAR` `options.key` names, decrypted with the password from --password-file,
 * VOUCH_PASSWORD or the prompt.
 */
export async function openSigner(options: SignerOptions): Promise<Signer> {
  if (options.signer) return options.signer;
  if (options.key === undefined) throw new VouchError("INPUT_USAGE", "a key is needed: --key FILE, env://VAR or a pkcs11: URI");
  const password = options.password ?? { env: process.env, prompt: terminalPrompt() };
  if (parseKeyRef(options.key).kind === "pkcs11") return Pkcs11Signer.open(options.key, { env: password.env, prompt: password.prompt });
  return KeyFileSigner.open(options.key, password);
}

export interface SignedArtifact {
  bundle: Bundle;
  /** The bundle as v0.3 JSON text, ready to write. */
  bundleJson: string;
  /** Hex SHA-256 of the artifact, the digest the bundle records. */
  sha256: string;
  material: SignerMaterial;
}

/**
 * Sign bytes into a messageSignature bundle v0.3: SHA2_256 digest of the artifact, the signature over the artifact,
 * the signer's material (a public-key hint, or a certificate).
 *
 * @example
 *   const { bundleJson } = await signBytes(readFileSync("app.tgz"), { key: "cosign.key", password: { env: process.env } });
 */
export async function signBytes(data: Uint8Array, options: SignerOptions): Promise<SignedArtifact> {
  const signer = await openSigner(options);
  const digest = createHash("sha256").update(data).digest();
  const { signature, material } = await signer.sign(data);
  const bundle = await witnessed(messageSignatureBundle({ algorithm: "SHA2_256", value: new Uint8Array(digest) }, signature, material), material, options);
  return { bundle, bundleJson: bundleToJson(bundle), sha256: digest.toString("hex"), material };
}

/** `vouch sign FILE`: read the file and sign it (signBytes). */
export async function signFile(path: string, options: SignerOptions): Promise<SignedArtifact> {
  return signBytes(readArtifact(path), options);
}

/** A bundle as the v0.3 JSON vouch writes (deterministic: the same bundle gives the same bytes). */
export function bundleToJson(bundle: Bundle): string {
  return JSON.stringify(serializeBundle(bundle));
}

function readArtifact(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EISDIR") throw new VouchError("INPUT_USAGE", "is a directory: sign a file (an archive of the directory, for instance)", { file: path });
    throw new VouchError(code === "ENOENT" ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE", code === "ENOENT" ? "no such file" : `cannot read (${code ?? "error"})`, { file: path });
  }
}
