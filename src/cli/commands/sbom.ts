import { existsSync } from "node:fs";
import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import type { SbomFormat } from "../../public/sbom.js";
import { loadConfig } from "../../runtime.js";
import { err, out, writeFileAtomic } from "../io.js";
import { collect, type GlobalOptions } from "../options.js";

interface SbomOptions {
  output: string[];
  file?: string;
  exclude: string[];
  strict?: boolean;
  maxFileSize?: string;
  quiet?: boolean;
  author: string[];
  platform?: string;
  insecure?: boolean;
  maxLayerSize?: string;
  packageFiles?: boolean;
}

/**
 * `vouch sbom [target]`: catalog a source tree (syft's `scan dir:` / cdxgen's default) or a container image:
 * oci-dir:PATH, oci-archive:PATH.tar, docker-archive:PATH.tar, rootfs:PATH, registry:REF or a bare image
 * reference that is not a path on disk.
 */
export function registerSbomGenerate(sbom: Command, globals: () => GlobalOptions): void {
  sbom
    .command("generate [target]", { isDefault: true, hidden: true })
    .description("catalog a source tree or a container image (oci-dir:, oci-archive:, docker-archive:, rootfs:, registry:) into an SBOM")
    .option("-o, --output <format[=file]>", "cyclonedx-json[@1.5|@1.6|@1.7], spdx-json, table, summary, purls, json (repeatable; =FILE writes there)", collect, [])
    .option("--file <path>", "write the (single) output to this file instead of stdout")
    .option("--exclude <glob>", "leave out paths matching this glob, e.g. '**/fixtures/**' (repeatable)", collect, [])
    .option("--strict", "exit 2 when any file could not be cataloged")
    .option("--max-file-size <bytes>", "skip files larger than this")
    .option("--author <name>", "organisation the SBOM data is from (NTIA author; repeatable)", collect, [])
    .option("--platform <os/arch[/variant]>", "image platform to pick from a multi-platform image (default: this machine's)")
    .option("--insecure", "registry images: plain HTTP to any registry, not only loopback ones (unsafe)")
    .option("--max-layer-size <bytes>", "images: refuse a layer that decompresses to more than this (default 8 GiB)")
    .option("--package-files", "images and rootfs: list every file an OS package owns, with the digest its database records")
    .option("-q, --quiet", "no warnings on stderr")
    .action(async (dir: string | undefined, opts: SbomOptions) => {
      const config = loadConfig(globals().config);
      const { encodeSbom, generateSbom, generateImageSbom, isImageReference, parseSbomFormat } = await import("../../public/sbom.js");
      const maxFileBytes = opts.maxFileSize !== undefined ? parsePositiveInt(opts.maxFileSize, "--max-file-size") : config.sbom?.maxFileBytes;
      const outputs = planOutputs(opts.output, opts.file, parseSbomFormat);
      const target = dir ?? ".";
      const common = {
        exclude: [...(config.sbom?.exclude ?? []), ...opts.exclude],
        maxFileBytes,
        authors: opts.author.length > 0 ? opts.author : config.sbom?.authors,
      };
      const image = isImageReference(target) || (!existsSync(target) && looksLikeImageReference(target));
      if (!image && (opts.platform !== undefined || opts.insecure || opts.maxLayerSize !== undefined || opts.packageFiles)) {
        throw new VouchError("INPUT_USAGE", "--platform, --insecure, --max-layer-size and --package-files apply to images (oci-dir:, oci-archive:, docker-archive:, rootfs:, registry:)");
      }
      const generated = image
        ? await generateImageSbom(target, {
            ...common,
            platform: opts.platform,
            insecureRegistry: opts.insecure,
            packageFiles: opts.packageFiles,
            ...(opts.maxLayerSize !== undefined ? { maxLayerBytes: parsePositiveInt(opts.maxLayerSize, "--max-layer-size") } : {}),
          })
        : generateSbom(target, common);
      if (!opts.quiet) {
        for (const w of generated.warnings) err(`warning: ${w.file}${w.line !== undefined ? `:${w.line}` : ""}: ${w.message}`);
      }
      for (const { format, file } of outputs) {
        const text = encodeSbom(generated, format);
        if (file) writeFileAtomic(file, text);
        else out(text);
      }
      if (opts.strict && generated.warnings.some((w) => w.fileSkipped)) {
        throw new VouchError("INPUT_MALFORMED", `${generated.warnings.filter((w) => w.fileSkipped).length} file(s) could not be cataloged (--strict)`);
      }
    });
}

function planOutputs(outputs: string[], file: string | undefined, parseSbomFormat: (name: string) => SbomFormat): { format: SbomFormat; file?: string }[] {
  const specs = outputs.length > 0 ? outputs : [file ? "cyclonedx-json" : "table"];
  const plan = specs.map((spec) => {
    const eq = spec.indexOf("=");
    return eq < 0 ? { format: parseSbomFormat(spec) } : { format: parseSbomFormat(spec.slice(0, eq)), file: spec.slice(eq + 1) };
  });
  if (file) {
    if (plan.length !== 1) throw new VouchError("INPUT_USAGE", "--file takes one output; use -o FORMAT=FILE for several");
    plan[0]!.file = file;
  }
  if (plan.filter((p) => !p.file).length > 1) throw new VouchError("INPUT_USAGE", "only one output can go to stdout; use -o FORMAT=FILE for the others");
  return plan;
}

/** A bare image reference ("alpine:3.20", "ghcr.io/org/app@sha256:…") that is not a path on disk. */
function looksLikeImageReference(text: string): boolean {
  return /^[a-z0-9][a-z0-9._-]*(:[0-9]+)?(\/[a-z0-9._-]+)*(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(@sha(256|512):[a-f0-9]+)?$/.test(text) && /[:/@]/.test(text);
}

function parsePositiveInt(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new VouchError("INPUT_USAGE", `${flag} takes a positive whole number of bytes, not "${text}"`);
  return Number(text);
}
