import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import { err, out, writeFileAtomic } from "../io.js";
import type { GlobalOptions } from "../options.js";
import { addRegistryFlags, isImageArgument, refuseFlags, registryAccess, type RegistryFlags } from "./image-options.js";
import { addKeylessFlags, asIdentity, imageSummary, keylessOptions, renderImageEntries, type KeylessFlags } from "./sign.js";

interface AttestOptions extends KeylessFlags, RegistryFlags {
  tagFallback?: boolean;
  recursive?: boolean;
  type: string;
  predicate: string;
  key?: string;
  bundle?: string;
  passwordFile?: string;
  tlogUrl?: string;
  output: string;
}

/**
 * `vouch attest SUBJECT... --type T --predicate FILE --key K | --keyless`: an in-toto statement in a DSSE bundle v0.3
 * (cosign attest-blob). `vouch attest IMAGE …`: the statement's subject is the image's digest, and the attestation is
 * stored in its registry (cosign attest).
 */
export function registerAttest(program: Command, globals: () => GlobalOptions = () => ({})): void {
  const command = program
    .command("attest <subjects...>")
    .description("sign an in-toto attestation (statement + predicate) about files, with a key or keyless, into a Sigstore bundle (v0.3 JSON)")
    .requiredOption("--type <type>", "predicate type: slsaprovenance, spdx, cyclonedx, vuln, openvex, custom, or a URI")
    .requiredOption("--predicate <file>", "the predicate, a JSON file (e.g. from vouch provenance)")
    .option("--key <key>", "private key: a PEM file, env://VAR or a pkcs11: URI")
    .option("--bundle <file>", "where to write the bundle, - for stdout (default for one subject: SUBJECT.TYPE.sigstore.json)")
    .option("--password-file <file>", "read the key password from this file's first line (else $VOUCH_PASSWORD, else a prompt)")
    .option("--tlog-url <url>", "record the signature in this transparency log (vouch serve, or any Rekor v1 API); the entry goes into the bundle")
    .option("--tag-fallback", "images: store in cosign's tag layout (sha256-<hex>.att) instead of an OCI 1.1 referrer")
    .option("--recursive", "images: for a multi-platform index, attest each platform's manifest too");
  addRegistryFlags(addKeylessFlags(command))
    .option("-o, --output <format>", "text or json (a summary of what was attested)", "text")
    .action(async (subjects: string[], opts: AttestOptions) => {
      if (opts.output !== "text" && opts.output !== "json") throw new VouchError("INPUT_USAGE", `-o ${opts.output}: use text or json`);
      const keyless = keylessOptions(opts, globals());
      const { terminalPrompt } = await import("../../public/keys.js");
      const signing = {
        type: opts.type,
        predicatePath: opts.predicate,
        ...(keyless ? { keyless } : { key: opts.key, password: { env: process.env, passwordFile: opts.passwordFile, prompt: terminalPrompt() } }),
        tlogUrl: opts.tlogUrl,
      };
      if (subjects.length === 1 && isImageArgument(subjects[0]!)) {
        refuseFlags(opts as unknown as Record<string, unknown>, ["bundle"], "is for files: an image's attestation is stored in its registry");
        const { attestImage } = await import("../../public/image.js");
        const attested = await attestImage(subjects[0]!, { ...signing, ...registryAccess(opts), tagFallback: opts.tagFallback, recursive: opts.recursive });
        if (attested.resolvedFromTag) err(`vouch: ${subjects[0]} resolved to ${attested.pinned}; attesting the digest`);
        out(opts.output === "json" ? `${JSON.stringify(imageSummary(attested), null, 2)}\n` : renderImageEntries(`Attested (${attested.predicateType})`, attested));
        return;
      }
      if (subjects.some(isImageArgument)) throw new VouchError("INPUT_USAGE", "attest one image at a time (files can be several subjects)");
      refuseFlags(opts as unknown as Record<string, unknown>, ["tagFallback", "recursive", "registryUsername", "registryPassword", "insecureRegistry"], "is for images in a registry");
      const bundlePath = opts.bundle ?? defaultBundlePath(subjects, opts.type);
      const { attestFiles } = await import("../../public/attest.js");
      const attestation = await attestFiles(subjects, signing);
      if (bundlePath === "-") {
        out(`${attestation.bundleJson}\n`);
        return;
      }
      writeFileAtomic(bundlePath, attestation.bundleJson);
      if (opts.output === "json") {
        const { subject } = attestation.statement;
        const summary = { subjects: subject, predicateType: attestation.predicateType, bundle: bundlePath, mediaType: attestation.bundle.mediaType, ...(attestation.identity ? { certificate: attestation.identity } : {}) };
        out(`${JSON.stringify(summary, null, 2)}\n`);
      } else {
        out(`Attested ${subjects.length === 1 ? subjects[0] : `${subjects.length} subjects`} (${attestation.predicateType})${asIdentity(attestation.identity)}; bundle written to ${bundlePath}\n`);
      }
    });
}

/** One subject: SUBJECT.TYPE.sigstore.json (TYPE the short name, "intoto" for a URI), so attestations of different types do not overwrite each other. */
function defaultBundlePath(subjects: string[], type: string): string {
  if (subjects.length !== 1) throw new VouchError("INPUT_USAGE", "--bundle FILE is needed when attesting several subjects");
  const short = /^[a-z0-9]+$/.test(type) ? type : "intoto";
  return `${subjects[0]}.${short}.sigstore.json`;
}
