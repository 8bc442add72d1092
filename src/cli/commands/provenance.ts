import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import { out, writeFileAtomic } from "../io.js";

interface ProvenanceOptions {
  sbom?: string;
  output?: string;
  builderId?: string;
  startedOn?: string;
  statement?: boolean;
}

/** `vouch provenance [SUBJECT...]`: a SLSA Provenance v1 predicate from the CI environment, for `vouch attest --type slsaprovenance`. */
export function registerProvenance(program: Command): void {
  program
    .command("provenance [subjects...]")
    .description("build a SLSA Provenance v1 predicate from the CI environment (GitHub Actions, GitLab CI, else the git checkout)")
    .option("--sbom <file>", "an SBOM this build produced: linked in runDetails.byproducts by its sha256")
    .option("-o, --output <file>", "write the JSON here instead of stdout")
    .option("--builder-id <uri>", "override runDetails.builder.id")
    .option("--started-on <time>", "when the build started (RFC 3339), where the CI does not say")
    .option("--statement", "print the whole unsigned in-toto statement over the SUBJECTs, not just the predicate")
    .addHelpText("after", "\nThen: vouch attest SUBJECT --type slsaprovenance --predicate provenance.json --key cosign.key")
    .action(async (subjects: string[], opts: ProvenanceOptions) => {
      let startedOn: Date | undefined;
      if (opts.startedOn !== undefined) {
        startedOn = new Date(opts.startedOn);
        if (!/^\d{4}-\d{2}-\d{2}T/.test(opts.startedOn) || Number.isNaN(startedOn.getTime())) {
          throw new VouchError("INPUT_USAGE", `--started-on takes an RFC 3339 time such as 2025-01-31T12:00:00Z, not "${opts.startedOn}"`);
        }
      }
      if (opts.statement && subjects.length === 0) throw new VouchError("INPUT_USAGE", "--statement needs at least one SUBJECT file");
      const { generateProvenance, statementForFiles } = await import("../../public/attest.js");
      const predicate = generateProvenance({ sbomPath: opts.sbom, builderId: opts.builderId, startedOn });
      // Subjects are hashed even without --statement, so a wrong path fails here rather than at `vouch attest`.
      const statement = subjects.length > 0 ? statementForFiles(subjects, "slsaprovenance", predicate) : undefined;
      const text = `${JSON.stringify(opts.statement ? statement : predicate, null, 2)}\n`;
      if (opts.output) writeFileAtomic(opts.output, text);
      else out(text);
    });
}
