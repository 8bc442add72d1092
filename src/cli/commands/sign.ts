import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import type { KeylessOptions } from "../../public/sign.js";
import { keylessServiceDefaults, loadConfig } from "../../runtime.js";
import type { AttestedImage, SignedImage } from "../../public/image.js";
import { err, out, writeFileAtomic } from "../io.js";
import type { GlobalOptions } from "../options.js";
import { addRegistryFlags, isImageArgument, refuseFlags, registryAccess, type RegistryFlags } from "./image-options.js";

interface SignOptions extends KeylessFlags, RegistryFlags {
  tagFallback?: boolean;
  recursive?: boolean;
  key?: string;
  bundle?: string;
  passwordFile?: string;
  tlogUrl?: string;
  output: string;
}

/** The keyless flags `vouch sign` and `vouch attest` share (cosign's names where cosign has one). */
export interface KeylessFlags {
  keyless?: boolean;
  identityToken?: string;
  signingConfig?: string;
  fulcioUrl?: string;
  tsaUrl?: string;
}

export function addKeylessFlags(command: Command): Command {
  return command
    .option("--keyless", "sign with a short-lived certificate for your OIDC identity instead of a key (Sigstore keyless)")
    .option("--identity-token <token>", "with --keyless: the OIDC identity token, or a file holding it (else $SIGSTORE_ID_TOKEN, else GitHub Actions' token)")
    .option("--signing-config <file>", "with --keyless: a Sigstore signing_config.json (v0.2) naming the CA, logs and timestamp authorities")
    .option("--fulcio-url <url>", "with --keyless: the certificate authority (Fulcio v2 API; overrides the signing config)")
    .option("--tsa-url <url>", "with --keyless: an RFC 3161 timestamp authority (overrides the signing config)");
}

/**
 * The library's keyless options for the flags, or undefined without --keyless (then a keyless-only flag is a usage
 * error: silently ignoring --fulcio-url on a keyed signature would hide a mistake).
 */
export function keylessOptions(opts: KeylessFlags & { key?: string }, globals: GlobalOptions = {}): KeylessOptions | undefined {
  if (!opts.keyless) {
    const stray = (["identityToken", "signingConfig", "fulcioUrl", "tsaUrl"] as const).find((k) => opts[k] !== undefined);
    if (stray !== undefined) throw new VouchError("INPUT_USAGE", `--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is for keyless signing: add --keyless`);
    if (opts.key === undefined) throw new VouchError("INPUT_USAGE", "a key is needed: --key FILE, env://VAR or a pkcs11: URI (or --keyless)");
    return undefined;
  }
  if (opts.key !== undefined) throw new VouchError("INPUT_USAGE", "--keyless signs with a certificate for your identity instead of a key: drop --key, or drop --keyless");
  // Flags and --signing-config win; else the deployment vouch.yaml names (`url`: vouch serve's CA, log and TSA).
  const defaults = keylessServiceDefaults(loadConfig(globals.config));
  return { identityToken: opts.identityToken, signingConfig: opts.signingConfig, fulcioUrl: opts.fulcioUrl, tsaUrl: opts.tsaUrl, env: process.env, defaults };
}

/**
 * `vouch sign FILE --key K | --keyless`: a messageSignature bundle v0.3 (cosign sign-blob --bundle).
 * `vouch sign IMAGE …`: the image's digest signed and the signature stored in its registry (cosign sign).
 */
export function registerSign(program: Command, globals: () => GlobalOptions = () => ({})): void {
  const command = program
    .command("sign <file-or-image>")
    .description("sign a file into a Sigstore bundle (v0.3 JSON), or an image in its registry (by digest), with a key or keyless")
    .option("--key <key>", "private key: a PEM file, env://VAR or a pkcs11: URI")
    .option("--bundle <file>", "files: where to write the bundle, - for stdout (default: FILE.sigstore.json)")
    .option("--password-file <file>", "read the key password from this file's first line (else $VOUCH_PASSWORD, else a prompt)")
    .option("--tlog-url <url>", "record the signature in this transparency log (vouch serve, or any Rekor v1 API); the entry goes into the bundle")
    .option("--tag-fallback", "images: store in cosign's tag layout (sha256-<hex>.sig, simple-signing payload) instead of an OCI 1.1 referrer")
    .option("--recursive", "images: for a multi-platform index, sign each platform's manifest too (the index is always signed)");
  addRegistryFlags(addKeylessFlags(command))
    .option("-o, --output <format>", "text or json (a summary of what was signed)", "text")
    .action(async (target: string, opts: SignOptions) => {
      if (opts.output !== "text" && opts.output !== "json") throw new VouchError("INPUT_USAGE", `-o ${opts.output}: use text or json`);
      const keyless = keylessOptions(opts, globals());
      const [{ terminalPrompt }] = await Promise.all([import("../../public/keys.js")]);
      const signing = {
        ...(keyless ? { keyless } : { key: opts.key, password: { env: process.env, passwordFile: opts.passwordFile, prompt: terminalPrompt() } }),
        tlogUrl: opts.tlogUrl,
      };
      if (isImageArgument(target)) {
        refuseFlags(opts as unknown as Record<string, unknown>, ["bundle"], "is for files: an image's signature is stored in its registry");
        const { signImage } = await import("../../public/image.js");
        const signed = await signImage(target, { ...signing, ...registryAccess(opts), tagFallback: opts.tagFallback, recursive: opts.recursive });
        if (signed.resolvedFromTag) err(`vouch: ${target} resolved to ${signed.pinned}; signing the digest`);
        out(opts.output === "json" ? `${JSON.stringify(imageSummary(signed), null, 2)}\n` : renderImageEntries("Signed", signed));
        return;
      }
      refuseFlags(opts as unknown as Record<string, unknown>, ["tagFallback", "recursive", "registryUsername", "registryPassword", "insecureRegistry"], "is for images in a registry");
      const { signFile } = await import("../../public/sign.js");
      const file = target;
      const signed = await signFile(file, signing);
      const bundlePath = opts.bundle ?? `${file}.sigstore.json`;
      if (bundlePath === "-") {
        out(`${signed.bundleJson}\n`);
        return;
      }
      writeFileAtomic(bundlePath, signed.bundleJson);
      const keyId = signed.material.kind === "publicKey" ? signed.material.hint : undefined;
      if (opts.output === "json") {
        const summary = { artifact: file, digest: { sha256: signed.sha256 }, bundle: bundlePath, mediaType: signed.bundle.mediaType, ...(keyId ? { keyId } : {}), ...(signed.identity ? { certificate: signed.identity } : {}) };
        out(`${JSON.stringify(summary, null, 2)}\n`);
      } else {
        out(`Signed ${file} (sha256:${signed.sha256})${asIdentity(signed.identity)}; bundle written to ${bundlePath}\n`);
      }
    });
}

/** What `vouch sign|attest IMAGE -o json` prints. */
export function imageSummary(signed: SignedImage | AttestedImage) {
  return {
    image: signed.pinned,
    resolvedFromTag: signed.resolvedFromTag,
    ...("predicateType" in signed ? { predicateType: signed.predicateType } : {}),
    entries: signed.entries.map((e) => ({ digest: e.digest, ...(e.platform ? { platform: e.platform } : {}), stored: e.stored, ...(e.bundle.tlogEntries[0] ? { logIndex: e.bundle.tlogEntries[0].logIndex.toString() } : {}) })),
    ...(signed.identity ? { certificate: signed.identity } : {}),
  };
}

/** One line per digest signed: where the signature went. */
export function renderImageEntries(verb: string, signed: SignedImage | AttestedImage): string {
  const lines = signed.entries.map((e) => {
    const where = e.stored.kind === "referrer" ? `referrer ${e.stored.manifest} (${e.stored.via === "api" ? "referrers API" : "referrers tag schema"})` : `cosign tag ${e.stored.tag}`;
    return `${verb} ${signed.pinned.split("@")[0]}@${e.digest}${e.platform ? ` [${e.platform}]` : ""}${asIdentity(signed.identity)}: stored as ${where}`;
  });
  return `${lines.join("\n")}\n`;
}

/** " as SUBJECT (issuer ISSUER)" for a certificate, "" for a key. */
export function asIdentity(identity: { subject: string; issuer?: string } | undefined): string {
  if (identity === undefined) return "";
  return ` as ${identity.subject}${identity.issuer ? ` (issuer ${identity.issuer})` : ""}`;
}
