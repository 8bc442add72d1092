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
}

/** `vouch sbom [dir]`: catalog a source tree (syft's `scan dir:` / cdxgen's default). */
export function registerSbomGenerate(sbom: Command, globals: () => GlobalOptions): void {
  sbom
    .command("generate [dir]", { isDefault: true, hidden: true })
    .description("catalog a source tree into an SBOM")
    .option("-o, --output <format[=file]>", "cyclonedx-json[@1.5|@1.6|@1.7], spdx-json, table, summary, purls, json (repeatable; =FILE writes there)", collect, [])
    .option("--file <path>", "write the (single) output to this file instead of stdout")
    .option("--exclude <glob>", "leave out paths matching this glob, e.g. '**/fixtures/**' (repeatable)", collect, [])
    .option("--strict", "exit 2 when any file could not be cataloged")
    .option("--max-file-size <bytes>", "skip files larger than this")
    .option("--author <name>", "organisation the SBOM data is from (NTIA author; repeatable)", collect, [])
    .option("-q, --quiet", "no warnings on stderr")
    .action(async (dir: string | undefined, opts: SbomOptions) => {
      const config = loadConfig(globals().config);
      const { encodeSbom, generateSbom, parseSbomFormat } = await import("../../public/sbom.js");
      const maxFileBytes = opts.maxFileSize !== undefined ? parsePositiveInt(opts.maxFileSize, "--max-file-size") : config.sbom?.maxFileBytes;
      const outputs = planOutputs(opts.output, opts.file, parseSbomFormat);
      const generated = generateSbom(dir ?? ".", {
        exclude: [...(config.sbom?.exclude ?? []), ...opts.exclude],
        maxFileBytes,
        authors: opts.author.length > 0 ? opts.author : config.sbom?.authors,
      });
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

function parsePositiveInt(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new VouchError("INPUT_USAGE", `${flag} takes a positive whole number of bytes, not "${text}"`);
  return Number(text);
}
