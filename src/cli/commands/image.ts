import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import type { ImageTree, TreeNode } from "../../public/image.js";
import { err, out } from "../io.js";
import type { GlobalOptions } from "../options.js";
import { addRegistryFlags, registryAccess, type RegistryFlags } from "./image-options.js";
import { addKeylessFlags, asIdentity, keylessOptions, type KeylessFlags } from "./sign.js";

interface OutputFlags extends RegistryFlags {
  output: string;
}

function checkOutput(format: string): void {
  if (format !== "text" && format !== "json") throw new VouchError("INPUT_USAGE", `-o ${format}: use text or json`);
}

/** `vouch tree IMAGE`: everything attached to an image (cosign tree, oras discover). */
export function registerTree(program: Command): void {
  const command = program
    .command("tree <image>")
    .description("list what is attached to an image: OCI 1.1 referrers (signatures, attestations, SBOMs) and cosign's .sig/.att/.sbom tags")
    .option("-o, --output <format>", "text or json", "text");
  addRegistryFlags(command).action(async (image: string, opts: OutputFlags) => {
    checkOutput(opts.output);
    const { imageTree } = await import("../../public/image.js");
    const tree = await imageTree(image, registryAccess(opts));
    for (const note of tree.notes) err(`vouch: warning: ${note}`);
    out(opts.output === "json" ? `${JSON.stringify(tree, null, 2)}\n` : renderTree(tree));
  });
}

/** The tree as `cosign tree` draws it: the image, then its referrers (nested) and cosign's tag images with their layers. */
function renderTree(tree: ImageTree): string {
  const lines = [`${tree.pinned}${tree.resolvedFromTag ? ` (${tree.reference})` : ""}`];
  const branch = (last: boolean) => (last ? "└── " : "├── ");
  const indent = (last: boolean) => (last ? "    " : "│   ");
  const describe = (n: TreeNode): string => {
    const a = n.annotations ?? {};
    const extra = [a["dev.sigstore.bundle.predicateType"], a["org.opencontainers.image.created"]].filter((x) => x !== undefined);
    return `${n.artifactType}  ${n.digest}${extra.length > 0 ? `  (${extra.join(", ")})` : ""}`;
  };
  const walk = (nodes: TreeNode[], prefix: string): void => {
    nodes.forEach((n, i) => {
      const last = i === nodes.length - 1;
      lines.push(`${prefix}${branch(last)}${describe(n)}`);
      walk(n.referrers, prefix + indent(last));
    });
  };
  const hasReferrers = tree.referrers.length > 0;
  const hasTags = tree.cosignTags.length > 0;
  if (!hasReferrers && !hasTags) return `${lines[0]}\nnothing attached (no referrers, no cosign .sig/.att/.sbom tags)\n`;
  if (hasReferrers) {
    lines.push(`${branch(!hasTags)}referrers (${tree.referrersVia === "api" ? "referrers API" : "referrers tag schema"})`);
    walk(tree.referrers, indent(!hasTags));
  }
  if (hasTags) {
    lines.push(`${branch(true)}cosign tags`);
    tree.cosignTags.forEach((t, i) => {
      const last = i === tree.cosignTags.length - 1;
      lines.push(`    ${branch(last)}${t.tag}  ${t.digest}`);
      t.layers.forEach((l, j) => {
        const predicate = l.annotations?.predicateType;
        lines.push(`    ${indent(last)}${branch(j === t.layers.length - 1)}${l.mediaType}  ${l.digest}${predicate ? `  (${predicate})` : ""}`);
      });
    });
  }
  return `${lines.join("\n")}\n`;
}

interface DownloadFlags extends RegistryFlags {
  output?: string;
  predicateType?: string;
}

/** `vouch download sbom|attestation|signature IMAGE [--output FILE]` (cosign download). */
export function registerDownload(program: Command): void {
  const download = program.command("download").description("read back what is attached to an image: an SBOM, attestations, signatures").exitOverride();
  for (const kind of ["sbom", "attestation", "signature"] as const) {
    const command = download
      .command(`${kind} <image>`)
      .description(
        kind === "sbom"
          ? "the newest SBOM attached to the image, byte for byte as attached"
          : `the image's ${kind}s as Sigstore bundles (v0.3 JSON), one per line; cosign tag-layout ones converted`,
      )
      .option("--output <file>", "write to this file instead of stdout");
    if (kind === "attestation") command.option("--predicate-type <type>", "only attestations of this predicate type (short name or URI)");
    addRegistryFlags(command).action(async (image: string, opts: DownloadFlags) => {
      const { downloadFromImage } = await import("../../public/image.js");
      const { pinned, items } = await downloadFromImage(kind, image, { ...registryAccess(opts), ...(opts.predicateType !== undefined ? { predicateType: opts.predicateType } : {}) });
      if (items.length === 0) throw new VouchError("INPUT_NOT_FOUND", `${pinned}: no ${kind === "sbom" ? "SBOM" : `${kind}s`} attached`);
      const chosen = kind === "sbom" ? items.slice(0, 1) : items;
      if (kind === "sbom" && items.length > 1) err(`vouch: ${items.length} SBOMs are attached to ${pinned}; writing the newest (${items[0]!.source})`);
      // Each item's stream is checked against its digest as it flows; to a file, the file appears only when all of
      // it did (a temp file renamed), so a failed download leaves nothing half written.
      const { writeStreamsAtomic, writeStreams } = await import("../../public/image.js");
      const streams = async function* () {
        for (const item of chosen) {
          yield await item.open();
          if (kind !== "sbom") yield new Response("\n").body!;
        }
      };
      if (opts.output !== undefined) await writeStreamsAtomic(opts.output, streams());
      else await writeStreams(process.stdout, streams());
    });
  }
}

interface AttachFlags extends KeylessFlags, RegistryFlags {
  sbom: string;
  attest?: boolean;
  key?: string;
  passwordFile?: string;
  tlogUrl?: string;
  tagFallback?: boolean;
  output: string;
}

/** `vouch sbom attach IMAGE --sbom F [--attest --key K | --keyless]` (cosign attach sbom / attest --type cyclonedx). */
export function registerSbomAttach(sbom: Command, globals: () => GlobalOptions): void {
  const command = sbom
    .command("attach <image>")
    .description("attach an SBOM (CycloneDX or SPDX JSON) to an image as an OCI 1.1 referrer, or as a signed attestation with --attest")
    .requiredOption("--sbom <file>", "the SBOM")
    .option("--attest", "sign it: an in-toto attestation (predicate type cyclonedx or spdx) instead of the bare document")
    .option("--key <key>", "with --attest: private key (a PEM file, env://VAR or a pkcs11: URI)")
    .option("--password-file <file>", "with --attest: the key password's file")
    .option("--tlog-url <url>", "with --attest: record the signature in this transparency log")
    .option("--tag-fallback", "store in cosign's tag layout (sha256-<hex>.sbom / .att) instead of an OCI 1.1 referrer");
  addRegistryFlags(addKeylessFlags(command))
    .option("-o, --output <format>", "text or json", "text")
    .action(async (image: string, opts: AttachFlags) => {
      checkOutput(opts.output);
      let signing = {};
      if (opts.attest) {
        const keyless = keylessOptions(opts, globals());
        const { terminalPrompt } = await import("../../public/keys.js");
        signing = { ...(keyless ? { keyless } : { key: opts.key, password: { env: process.env, passwordFile: opts.passwordFile, prompt: terminalPrompt() } }), tlogUrl: opts.tlogUrl };
      } else if (opts.key !== undefined || opts.keyless || opts.tlogUrl !== undefined) {
        throw new VouchError("INPUT_USAGE", "--key, --keyless and --tlog-url sign the SBOM: add --attest");
      }
      const { attachSbom } = await import("../../public/image.js");
      const attached = await attachSbom(image, { sbom: opts.sbom, attest: opts.attest, tagFallback: opts.tagFallback, ...registryAccess(opts), ...signing });
      if (attached.resolvedFromTag) err(`vouch: ${image} resolved to ${attached.pinned}`);
      if (opts.output === "json") {
        out(`${JSON.stringify({ image: attached.pinned, format: attached.format, sbomDigest: attached.sbomDigest, signed: opts.attest === true, stored: attached.stored, ...(attached.identity ? { certificate: attached.identity } : {}) }, null, 2)}\n`);
        return;
      }
      const where = attached.stored.kind === "referrer" ? `referrer ${attached.stored.manifest} (${attached.stored.via === "api" ? "referrers API" : "referrers tag schema"})` : `cosign tag ${attached.stored.tag}`;
      out(`Attached ${attached.format} SBOM ${attached.sbomDigest}${opts.attest ? ` as a signed attestation${asIdentity(attached.identity)}` : ""} to ${attached.pinned}: stored as ${where}\n`);
    });
}
