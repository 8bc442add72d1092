import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { serializeBundle } from "../bundle/serialize.js";
import type { Bundle } from "../bundle/types.js";
import { VouchError } from "../core/errors.js";
import { parseCertificate } from "../core/x509/certificate.js";
import { messageSignatureBundle } from "../sign/bundle-builder.js";
import { KeyFileSigner, parseKeyRef } from "../sign/key-file.js";
import type { KeylessFetch } from "../sign/keyless/http.js";
import { getIdentityToken } from "../sign/keyless/identity-token.js";
import { KeylessSigner } from "../sign/keyless/keyless-signer.js";
import { resolveKeylessServices, type KeylessServices, type TlogService } from "../sign/keyless/services.js";
import { parseSigningConfig } from "../sign/keyless/signing-config.js";
import { witnessWithTimestamp } from "../sign/keyless/tsa-client.js";
import { Pkcs11Signer } from "../sign/pkcs11/index.js";
import { terminalPrompt, type PasswordSource } from "../sign/password.js";
import type { Signer, SignerMaterial } from "../sign/signer.js";
import { witnessInRekor } from "../sign/witness/rekor.js";
import { witnessInRekorV2 } from "../sign/witness/rekor-v2.js";
import { readTextFile } from "./files.js";

/** How a signing verb gets its Signer: one already open (a library caller), a `--key` reference, or `keyless`. */
export interface SignerOptions {
  signer?: Signer;
  /** A PEM key file path, `env://VAR` or a PKCS #11 URI (RFC 7512). */
  key?: string;
  /** Where the key's password comes from (default: VOUCH_PASSWORD, else a prompt when on a terminal). */
  password?: PasswordSource;
  /** A Rekor v1 log (vouch's own, or Rekor) to record the signature in; the entry goes into the bundle. */
  tlogUrl?: string;
  /** Sign with a short-lived certificate from a CA for an OIDC identity instead of a key (`--keyless`). */
  keyless?: KeylessOptions;
}

/**
 * Keyless signing (cosign's keyless flow): an identity token, an ephemeral key certified by the CA, and a log entry
 * and/or RFC 3161 timestamp giving the signature a trusted time. Services come from the flags, else the signing
 * config, else `defaults` (resolveKeylessServices). `tlogUrl` (SignerOptions) overrides the config's logs.
 */
export interface KeylessOptions {
  /** `--identity-token`: the token, or a file holding it. Else SIGSTORE_ID_TOKEN, else GitHub Actions' token. */
  identityToken?: string;
  /** `--signing-config`: a Sigstore signing_config.json (v0.2), as `vouch trust export` and cosign v3 use. */
  signingConfig?: string;
  /** `--fulcio-url`: the CA (Fulcio v2 API). */
  fulcioUrl?: string;
  /** `--tsa-url`: an RFC 3161 timestamp authority (base URL, or the full endpoint). */
  tsaUrl?: string;
  /** The deployment's services (vouch.yaml, the data directory), used where neither a flag nor the config names one. */
  defaults?: Partial<KeylessServices>;
  /** Environment for the token sources (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** HTTP for the token endpoint, CA, TSA and logs (default: global fetch). */
  fetch?: KeylessFetch;
  /** Clock for picking the signing config's services valid now (default: now). */
  now?: () => Date;
}

/** A Signer and the witnesses (logs, TSAs) its signatures go through before the bundle is written. */
export interface SigningSession {
  signer: Signer;
  /** The bundle with every witness's evidence added: RFC 3161 timestamps, then log entries, in service order. */
  witness(bundle: Bundle, material: SignerMaterial): Promise<Bundle>;
  /** The keyless services used (undefined for a key). */
  services?: KeylessServices;
}

/**
 * The signer and witnesses for `options`: keyless (token, CA, logs and TSAs resolved before any request is made, so
 * a usage error costs no round trip), or the given Signer or key (with the `tlogUrl` log, if any).
 *
 * @throws VouchError INPUT_USAGE for `keyless` together with a key or signer, and as openSigner / getIdentityToken /
 *   resolveKeylessServices do.
 */
export async function openSigningSession(options: SignerOptions): Promise<SigningSession> {
  const keyless = options.keyless;
  if (keyless === undefined) {
    const tlog: TlogService[] = options.tlogUrl === undefined ? [] : [{ url: options.tlogUrl, majorApiVersion: 1 }];
    const signer = await openSigner(options);
    return { signer, witness: (bundle, material) => witnessAll(bundle, material, tlog, [], undefined) };
  }
  if (options.key !== undefined || options.signer !== undefined) {
    throw new VouchError("INPUT_USAGE", "--keyless signs with a certificate for your identity instead of a key: drop --key, or drop --keyless");
  }
  const signingConfig = keyless.signingConfig === undefined ? undefined : parseSigningConfig(readTextFile(keyless.signingConfig), keyless.signingConfig);
  const services = resolveKeylessServices(
    { signingConfig, fulcioUrl: keyless.fulcioUrl, tsaUrl: keyless.tsaUrl, tlogUrl: options.tlogUrl, defaults: keyless.defaults },
    (keyless.now ?? (() => new Date()))(),
  );
  const { token } = await getIdentityToken({ token: keyless.identityToken, env: keyless.env ?? process.env, fetch: keyless.fetch });
  const signer = new KeylessSigner({ caUrl: services.caUrl, identityToken: token, fetch: keyless.fetch });
  return { signer, services, witness: (bundle, material) => witnessAll(bundle, material, services.tlog, services.tsaUrls, keyless.fetch) };
}

/**
 * Every witness at once (they are independent: each timestamps or logs the same signature), assembled in a fixed
 * order so the bundle does not depend on which answered first.
 */
async function witnessAll(bundle: Bundle, material: SignerMaterial, tlog: readonly TlogService[], tsaUrls: readonly string[], fetcher: KeylessFetch | undefined): Promise<Bundle> {
  // The log witnesses read text; the keyless fetch reads bytes: adapt, so one injected fetch serves both.
  const textFetch = fetcher && ((url: string, init: { method: string; headers: Record<string, string>; body?: string }) =>
    fetcher(url, init).then((r) => ({ status: r.status, headers: r.headers, text: async () => Buffer.from(await r.arrayBuffer()).toString("utf8") })));
  const [stamped, logged] = await Promise.all([
    Promise.all(tsaUrls.map((url) => witnessWithTimestamp(bundle, { url, fetch: fetcher }))),
    Promise.all(
      tlog.map((log) =>
        log.majorApiVersion === 2 ? witnessInRekorV2(bundle, material, { url: log.url, fetch: textFetch }) : witnessInRekor(bundle, material, { url: log.url, fetch: textFetch }),
      ),
    ),
  ]);
  return {
    ...bundle,
    timestamps: [...bundle.timestamps, ...stamped.map((b) => b.timestamps.at(-1)!)],
    tlogEntries: [...bundle.tlogEntries, ...logged.map((b) => b.tlogEntries.at(-1)!)],
  };
}

/**
 * The Signer for `options`: the given one; a token key for a `pkcs11:` URI (PIN from the URI, VOUCH_PKCS11_PIN or the
 * prompt); else the key file or `env://VAR` `options.key` names, decrypted with the password from --password-file,
 * VOUCH_PASSWORD or the prompt. (Keyless signers come from openSigningSession, which also resolves their services.)
 */
export async function openSigner(options: SignerOptions): Promise<Signer> {
  if (options.signer) return options.signer;
  if (options.keyless !== undefined) return (await openSigningSession(options)).signer;
  if (options.key === undefined) throw new VouchError("INPUT_USAGE", "a key is needed: --key FILE, env://VAR or a pkcs11: URI (or --keyless)");
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
  /** For a certificate: who it names (its first SAN) and the OIDC issuer extension, for the summary line. */
  identity?: CertificateIdentity;
}

export interface CertificateIdentity {
  subject: string;
  issuer?: string;
}

/** The identity a certificate material names (first SAN; Fulcio issuer extension 1.8, else the legacy 1.1). */
export function certificateIdentity(material: SignerMaterial): CertificateIdentity | undefined {
  if (material.kind !== "certificate" || material.certificates[0] === undefined) return undefined;
  const leaf = parseCertificate(material.certificates[0]);
  const san = leaf.subjectAltNames.find((n) => "value" in n && typeof n.value === "string");
  const issuer = leaf.fulcio.issuer ?? leaf.fulcio.issuerV1;
  return { subject: san && "value" in san && san.value !== undefined ? san.value : "", ...(issuer !== undefined ? { issuer } : {}) };
}

/**
 * Sign bytes into a messageSignature bundle v0.3: SHA2_256 digest of the artifact, the signature over the artifact,
 * the signer's material (a public-key hint, or a certificate), and the evidence of its witnesses (log entries, RFC
 * 3161 timestamps).
 *
 * @example
 *   const { bundleJson } = await signBytes(readFileSync("app.tgz"), { key: "cosign.key", password: { env: process.env } });
 *   const keyless = await signBytes(bytes, { keyless: { signingConfig: "signing_config.json", identityToken: jwt } });
 */
export async function signBytes(data: Uint8Array, options: SignerOptions): Promise<SignedArtifact> {
  const session = await openSigningSession(options);
  const digest = createHash("sha256").update(data).digest();
  const { signature, material } = await session.signer.sign(data);
  const bundle = await session.witness(messageSignatureBundle({ algorithm: "SHA2_256", value: new Uint8Array(digest) }, signature, material), material);
  const identity = certificateIdentity(material);
  return { bundle, bundleJson: bundleToJson(bundle), sha256: digest.toString("hex"), material, ...(identity ? { identity } : {}) };
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
