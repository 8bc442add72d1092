import { readFileSync } from "node:fs";
import { publicGoodTrustedRoot } from "../bundle/trusted-root.js";
import type { Bundle, TrustedRoot } from "../bundle/types.js";
import { VouchError } from "../core/errors.js";
import { INTOTO_PAYLOAD_TYPE, parseStatement, type Statement } from "../core/intoto/statement.js";
import { dsseBundle } from "../sign/bundle-builder.js";
import { signDsse } from "../sign/dsse.js";
import type { KeylessFetch } from "../sign/keyless/http.js";
import { resolveKeylessServices, type KeylessServices } from "../sign/keyless/services.js";
import { parseSigningConfig } from "../sign/keyless/signing-config.js";
import type { SignerMaterial } from "../sign/signer.js";
import { verifyBundle, type ArtifactInput } from "../verify/verifier.js";
import { PRODUCTION_SIGNING_CONFIG, STAGING_SIGNING_CONFIG } from "./conformance-signing-configs.js";
import { writeFileAtomic } from "./files.js";
import { bundleToJson, certificateIdentity, openSigningSession, signBytes, type CertificateIdentity, type KeylessOptions } from "./sign.js";
import { loadTrustedRoot } from "./verify.js";

/**
 * The signing side of the sigstore-conformance client protocol (sigstore-conformance docs/cli_protocol.md):
 *
 *   sign-bundle [--staging] [--in-toto] --identity-token TOKEN --bundle FILE [--trusted-root FILE] [--signing-config FILE] FILE
 *
 * FILE is signed keyless (a certificate from the signing config's CA for the token's identity, the signature logged
 * and/or timestamped by its logs and TSAs) into a bundle v0.3 written to --bundle. With --in-toto FILE is an in-toto
 * Statement, signed as is (the envelope's payload is FILE's bytes, which upstream's test_sign_verify_dsse checks) in a
 * DSSE envelope. The suite only reads the exit code: 0 when the bundle was written, non-zero otherwise.
 */
export interface ConformanceSignOptions {
  /** FILE: the artifact, or with `inToto` the statement. */
  file: string;
  /** --bundle: where the bundle goes (written only when everything succeeded). */
  bundle: string;
  /** --identity-token: the OIDC token (or a file holding it, as for `vouch sign --keyless`). */
  identityToken: string;
  /** --in-toto: FILE is an in-toto Statement to sign as a DSSE attestation. */
  inToto?: boolean;
  /** --staging: Sigstore's staging services when no signing config is given. */
  staging?: boolean;
  /** --signing-config: the services to sign with (default: the public production or staging instance's). */
  signingConfig?: string;
  /** --trusted-root: what the signed bundle is checked against before it is written. */
  trustedRoot?: string;
  /** HTTP for the CA, TSAs and logs (default: global fetch). */
  fetch?: KeylessFetch;
  now?: () => Date;
}

export interface ConformanceSignResult {
  bundle: Bundle;
  bundleJson: string;
  identity?: CertificateIdentity;
  services: KeylessServices;
  /** Whether the bundle was verified against a trusted root before it was written, and if not, why. */
  check: { verified: true } | { verified: false; reason: string };
}

/**
 * Sign FILE keyless as the conformance protocol asks and write the bundle.
 *
 * Before writing, the bundle is verified against the trusted root (--trusted-root; else the shipped public-good root
 * when signing with the built-in production services), with the identity the CA certified: a CA whose chain or SCT
 * the root does not vouch for, or a log whose entry does not prove inclusion under a key the root names, would
 * otherwise leave a bundle no verifier accepts (sigstore-python checks the SCT and the log entry the same way). The
 * staging instance's root does not ship with vouch, and a private deployment's signing config says nothing about
 * its root: without --trusted-root those are signed unchecked (`check.verified` false, with the reason).
 *
 * @throws VouchError INPUT_* for unusable input (FILE, the statement, the signing config, the token), CA_* / LOG_* /
 *   TSA_* as the services refuse, VERIFY_* when the bundle does not verify against the trusted root. Nothing is
 *   written then.
 * @example
 *   await conformanceSignBundle({ file: "a.txt", bundle: "a.txt.sigstore.json", identityToken: jwt, signingConfig: "signing_config.json", trustedRoot: "trusted_root.json" });
 */
export async function conformanceSignBundle(options: ConformanceSignOptions): Promise<ConformanceSignResult> {
  const now = options.now ?? (() => new Date());
  const data = readInput(options.file);
  const statement = options.inToto ? statementOf(data, options.file) : undefined;

  // The services are resolved here (not by openSigningSession from the file) so the built-in configs take the same
  // path as a file, and so the check below knows how many logs were asked for.
  const configText = options.signingConfig !== undefined ? readInput(options.signingConfig).toString("utf8") : options.staging ? STAGING_SIGNING_CONFIG : PRODUCTION_SIGNING_CONFIG;
  const configName = options.signingConfig ?? (options.staging ? "(built-in staging signing config)" : "(built-in production signing config)");
  const services = resolveKeylessServices({ signingConfig: parseSigningConfig(configText, configName) }, now());
  const trustedRoot = options.trustedRoot !== undefined ? loadTrustedRoot(options.trustedRoot) : options.signingConfig === undefined && !options.staging ? publicGoodTrustedRoot() : undefined;

  const keyless: KeylessOptions = { identityToken: options.identityToken, defaults: services, env: {}, now, ...(options.fetch ? { fetch: options.fetch } : {}) };
  let bundle: Bundle;
  let material: SignerMaterial;
  if (statement === undefined) {
    ({ bundle, material } = await signBytes(data, { keyless }));
  } else {
    const session = await openSigningSession({ keyless });
    const signed = await signDsse(session.signer, INTOTO_PAYLOAD_TYPE, new Uint8Array(data));
    material = signed.material;
    bundle = await session.witness(dsseBundle(signed.envelope, material), material);
  }
  const identity = certificateIdentity(material);

  const check = selfCheck(bundle, identity, trustedRoot, statement === undefined ? { kind: "bytes", data } : subjectDigest(statement), services, options);
  const bundleJson = bundleToJson(bundle);
  writeFileAtomic(options.bundle, bundleJson);
  return { bundle, bundleJson, services, check, ...(identity ? { identity } : {}) };
}

function selfCheck(
  bundle: Bundle,
  identity: CertificateIdentity | undefined,
  trustedRoot: TrustedRoot | undefined,
  artifact: ArtifactInput | undefined,
  services: KeylessServices,
  options: ConformanceSignOptions,
): ConformanceSignResult["check"] {
  if (trustedRoot === undefined) {
    return { verified: false, reason: options.signingConfig !== undefined ? "a custom signing config without --trusted-root" : "vouch ships no staging trusted root: pass --trusted-root" };
  }
  if (artifact === undefined) return { verified: false, reason: "no statement subject has a sha256, sha384 or sha512 digest to verify against" };
  if (identity === undefined) throw new VouchError("SERVICE_UNAVAILABLE", "the certificate authority answered without a certificate");
  try {
    verifyBundle(bundle, {
      artifact,
      trustedRoot,
      identity: { subject: identity.subject, ...(identity.issuer !== undefined ? { issuer: identity.issuer } : {}) },
      // Every log the signing config selected must have proven inclusion; a TSA-only config has none to count.
      tlogThreshold: services.tlog.length,
    });
  } catch (error) {
    if (error instanceof VouchError) {
      throw new VouchError(error.code, `the signed bundle does not verify against the trusted root, so it was not written: ${error.message}`, { cause: error });
    }
    throw error;
  }
  return { verified: true };
}

/** The statement FILE holds; refused before any service is asked for a certificate. */
function statementOf(data: Buffer, file: string): Statement {
  try {
    return parseStatement(data);
  } catch (error) {
    if (error instanceof VouchError) throw new VouchError(error.code, `--in-toto: ${error.message}`, { file, cause: error });
    throw error;
  }
}

/** A subject digest the verifier can match (the statement's subjects are the artifacts, not FILE itself). */
function subjectDigest(statement: Statement): ArtifactInput | undefined {
  for (const algorithm of ["sha256", "sha512", "sha384"] as const) {
    const hex = statement.subject.map((s) => s.digest[algorithm]).find((d) => d !== undefined && /^[0-9a-fA-F]+$/.test(d));
    if (hex !== undefined) return { kind: "digest", algorithm, hex: hex.toLowerCase() };
  }
  return undefined;
}

function readInput(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EISDIR") throw new VouchError("INPUT_USAGE", "is a directory, not a file", { file: path });
    throw new VouchError(code === "ENOENT" ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE", code === "ENOENT" ? "no such file" : `cannot read (${code ?? "error"})`, { file: path });
  }
}
