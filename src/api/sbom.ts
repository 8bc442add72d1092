import { randomUUID } from "node:crypto";
import { statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { detectCi, sourceDateEpoch, type Env } from "../attest/ci-env.js";
import { catalogSource } from "../catalog/catalog.js";
import { imageCatalogersWith, sourceCatalogers } from "../catalog/registry.js";
import { DirectorySource } from "../catalog/sources/directory.js";
import { ImageSource } from "../catalog/sources/image/image-source.js";
import { hostPlatform, parsePlatformFlag } from "../catalog/sources/image/manifest.js";
import { openLocalImage, parseLocalImageReference } from "../catalog/sources/image/reference.js";
import { imageRootComponent } from "../catalog/sources/image/root.js";
import { RootfsSource } from "../catalog/sources/image/rootfs.js";
import type { ImageLayout, ImageLimits, Platform } from "../catalog/sources/image/types.js";
import { readGitInfo } from "../catalog/sources/git.js";
import { toSbom } from "../catalog/to-sbom.js";
import type { Cataloger, CatalogWarning } from "../catalog/types.js";
import { contentUuid } from "../core/crypto/digest.js";
import { VouchError } from "../core/errors.js";
import type { Component, Sbom } from "../sbom/model/types.js";
import { renderPurls, renderSummary, renderTable } from "../sbom/render/text.js";
import { toCycloneDx, type CycloneDxVersion } from "../sbom/serialize/cyclonedx.js";
import { toSpdx } from "../sbom/serialize/spdx.js";
import { VOUCH_VERSION } from "../version.js";

export interface GenerateSbomOptions {
  /** syft-style globs of root-relative paths to leave out ("**\/fixtures/**"). */
  exclude?: readonly string[];
  /** Files over this size are skipped with a warning. */
  maxFileBytes?: number;
  /** Environment to read SOURCE_DATE_EPOCH and CI variables from (default: process.env). */
  env?: Env;
  /** Clock (default: now). Ignored when SOURCE_DATE_EPOCH is set. */
  now?: () => Date;
  /** Who the SBOM data is from: organisation names (NTIA "author of SBOM data"). */
  authors?: readonly string[];
}

export interface GeneratedSbom {
  sbom: Sbom;
  warnings: CatalogWarning[];
  /** Which cataloger read which file, and how many packages it found there. */
  files: { path: string; cataloger: string; packages: number }[];
  /** True when SOURCE_DATE_EPOCH fixed the timestamp: identifiers are then derived from content. */
  reproducible: boolean;
}

/**
 * Catalog a source tree into an SBOM.
 *
 * @example
 *   const { sbom, warnings } = generateSbom(".", { exclude: ["**\/fixtures/**"] });
 *   console.log(encodeSbom({ sbom, reproducible: false }, parseSbomFormat("cyclonedx-json")));
 */
export function generateSbom(dir: string, options: GenerateSbomOptions = {}): GeneratedSbom {
  const root = resolve(dir);
  let isDir: boolean;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    throw new VouchError("INPUT_NOT_FOUND", `${dir}: no such directory`);
  }
  if (!isDir) throw new VouchError("INPUT_USAGE", `${dir}: not a directory (vouch sbom reads source trees)`);

  const env = options.env ?? process.env;
  const epoch = sourceDateEpoch(env);
  const when = epoch ?? (options.now ?? (() => new Date()))();
  const source = new DirectorySource(root, { exclude: options.exclude, maxFileBytes: options.maxFileBytes });
  const out = catalogSource(source, sourceCatalogers);
  const git = readGitInfo(root);
  const ci = detectCi(env);
  const sbom = toSbom(out, {
    timestamp: when.toISOString().replace(/\.\d{3}Z$/, "Z"),
    tools: [{ vendor: "vouch", name: "vouch", version: VOUCH_VERSION }],
    build: { ...(git ? { git } : {}), ...(ci ? { ci } : {}) },
    fallbackRootName: basename(root),
    authors: options.authors?.filter((a) => a.trim() !== "").map((a) => a.trim()),
  });
  return { sbom, warnings: [...source.warnings, ...out.warnings], files: out.filesCataloged, reproducible: epoch !== undefined };
}

export interface GenerateImageSbomOptions extends GenerateSbomOptions, ImageLimits {
  /** os/arch[/variant] to pick from a multi-platform image ("linux/arm64"); default the host's. */
  platform?: string | Platform;
  /** The catalogers to run (default: imageCatalogers). */
  catalogers?: readonly Cataloger[];
  /** List every file an OS package owns, with the digest its database records (ignored with `catalogers`). */
  packageFiles?: boolean;
  /**
   * Plain HTTP (and no certificate checks on the way) to every registry, not only loopback ones. Unsafe: anyone
   * on the path sees credentials and can serve other content than asked for by tag.
   */
  insecureRegistry?: boolean;
  /**
   * Opens `registry:` and bare references. Default: src/oci's client (anonymous, or the credentials of Docker's
   * config.json; bearer tokens; plain HTTP for loopback registries), loaded only when a registry is named.
   */
  openRegistry?: (reference: string, platform: Platform | undefined) => Promise<ImageLayout>;
}

/**
 * Catalog a container image into an SBOM whose root component is the image (type container, manifest digest,
 * config digest, platform, repo tags, base image annotations); every component records the layer its file
 * came from (vouch:layer:digest, vouch:layer:diffID, vouch:layer:createdBy).
 *
 * References: `oci-dir:PATH[:REF]`, `oci-archive:PATH.tar[:REF]`, `docker-archive:PATH.tar[:REPO:TAG]`,
 * `rootfs:PATH` (an unpacked root file system), `registry:HOST/REPO:TAG|@DIGEST` or a bare reference (these two
 * through `options.openRegistry`).
 *
 * @example
 *   const { sbom } = await generateImageSbom("oci-dir:./build/image", { platform: "linux/amd64" });
 *   console.log(encodeSbom({ sbom, reproducible: false }, parseSbomFormat("cyclonedx-json")));
 */
export async function generateImageSbom(ref: string, options: GenerateImageSbomOptions = {}): Promise<GeneratedSbom> {
  const catalogers = options.catalogers ?? imageCatalogersWith({ packageFiles: options.packageFiles });
  const platform = options.platform === undefined ? undefined : typeof options.platform === "string" ? parsePlatformFlag(options.platform) : options.platform;
  const local = parseLocalImageReference(ref);
  let source: ImageSource | RootfsSource;
  let root;
  if (local?.transport === "rootfs") {
    let isDir: boolean;
    try {
      isDir = statSync(local.path).isDirectory();
    } catch {
      throw new VouchError("INPUT_NOT_FOUND", `${local.path}: no such directory`);
    }
    if (!isDir) throw new VouchError("INPUT_USAGE", `${local.path}: not a directory (rootfs: takes an unpacked root file system)`);
    source = new RootfsSource(resolve(local.path), { exclude: options.exclude, maxFileBytes: options.maxFileBytes });
    root = rootfsRootComponent(resolve(local.path));
  } else {
    let layout: ImageLayout;
    if (local) {
      layout = await openLocalImage(local, { platform, maxMetadataBytes: options.maxMetadataBytes, maxEntries: options.maxEntries });
    } else {
      const reference = ref.startsWith("registry:") ? ref.slice("registry:".length) : ref;
      const open = options.openRegistry ?? ((r: string, p: Platform | undefined) => openRegistryImageDefault(r, p, options));
      layout = await open(reference, platform);
    }
    source = await ImageSource.open(layout, { ...options, catalogers });
    root = imageRootComponent(source.image, basename(local?.path ?? ref));
  }
  const env = options.env ?? process.env;
  const epoch = sourceDateEpoch(env);
  const when = epoch ?? (options.now ?? (() => new Date()))();
  const out = catalogSource(source, catalogers);
  const ci = detectCi(env);
  const sbom = toSbom(out, {
    timestamp: when.toISOString().replace(/\.\d{3}Z$/, "Z"),
    tools: [{ vendor: "vouch", name: "vouch", version: VOUCH_VERSION }],
    build: { ...(ci ? { ci } : {}) },
    fallbackRootName: root.name,
    root,
    authors: options.authors?.filter((a) => a.trim() !== "").map((a) => a.trim()),
  });
  return { sbom, warnings: [...source.warnings, ...out.warnings], files: out.filesCataloged, reproducible: epoch !== undefined };
}

async function openRegistryImageDefault(reference: string, platform: Platform | undefined, options: GenerateImageSbomOptions): Promise<ImageLayout> {
  const [{ openRegistryImage }, { readDockerConfig }, { homedir }] = await Promise.all([import("../oci/registry-image.js"), import("../oci/docker-config.js"), import("node:os")]);
  const env = options.env ?? process.env;
  const credentials = await readDockerConfig({ env, home: env.HOME ?? homedir() });
  return openRegistryImage(reference, {
    ...(platform ? { platform } : {}),
    ...(credentials ? { credentials } : {}),
    ...(options.insecureRegistry ? { insecure: true } : {}),
    displayName: `registry:${reference}`,
  });
}

/** True when `ref` names an image rather than a directory: a local transport prefix, or `registry:`. */
export function isImageReference(ref: string): boolean {
  return ref.startsWith("registry:") || parseLocalImageReference(ref, () => false) !== undefined;
}

/** The host's platform as an image platform ("linux/amd64" on x64 Linux). */
export function defaultImagePlatform(): Platform {
  return hostPlatform();
}

function rootfsRootComponent(dir: string): Component {
  return {
    bomRef: `rootfs:${basename(dir)}`,
    type: "container",
    ecosystem: "generic",
    name: basename(dir),
    version: "",
    licenses: [],
    hashes: [],
    scope: "required",
    externalRefs: [],
    foundIn: [],
    properties: [{ name: "vouch:image:source", value: `rootfs:${dir}` }],
  };
}

export type SbomFormat =
  | { kind: "cyclonedx-json"; version: CycloneDxVersion }
  | { kind: "spdx-json" }
  | { kind: "table" }
  | { kind: "summary" }
  | { kind: "purls" }
  | { kind: "json" };

export const SBOM_FORMAT_NAMES = ["cyclonedx-json[@1.5|@1.6|@1.7]", "spdx-json[@2.3]", "table", "summary", "purls", "json"] as const;

/** Parse an `-o` value: "cyclonedx-json" (1.6), "cyclonedx-json@1.5", "spdx-json", "table", "summary", "purls", "json". */
export function parseSbomFormat(text: string): SbomFormat {
  const [name, version] = text.split("@", 2) as [string, string | undefined];
  switch (name) {
    case "cyclonedx-json":
    case "cyclonedx":
    case "cdx-json":
      if (version === undefined || version === "1.6") return { kind: "cyclonedx-json", version: "1.6" };
      if (version === "1.5" || version === "1.7") return { kind: "cyclonedx-json", version };
      break;
    case "spdx-json":
    case "spdx":
      if (version === undefined || version === "2.3") return { kind: "spdx-json" };
      break;
    case "table":
    case "summary":
    case "purls":
    case "json":
      if (version === undefined) return { kind: name };
      break;
  }
  throw new VouchError("INPUT_USAGE", `unknown output format "${text}" (one of: ${SBOM_FORMAT_NAMES.join(", ")})`);
}

export interface EncodeOptions {
  /** Random UUIDs for non-reproducible runs (default: crypto.randomUUID). */
  randomUuid?: () => string;
}

/** Encode an SBOM in one output format; JSON formats end with a newline. */
export function encodeSbom(generated: Pick<GeneratedSbom, "sbom" | "reproducible"> & Partial<GeneratedSbom>, format: SbomFormat, options: EncodeOptions = {}): string {
  const { sbom, reproducible } = generated;
  const uuid = (content: () => string) => (reproducible ? contentUuid(content()) : (options.randomUuid ?? randomUUID)());
  switch (format.kind) {
    case "cyclonedx-json": {
      const serialNumber = `urn:uuid:${uuid(() => JSON.stringify(toCycloneDx(sbom, { specVersion: format.version, serialNumber: "" })))}`;
      return `${JSON.stringify(toCycloneDx(sbom, { specVersion: format.version, serialNumber }), null, 2)}\n`;
    }
    case "spdx-json": {
      const id = uuid(() => JSON.stringify(toSpdx(sbom, { documentNamespace: "" })));
      const name = sbom.metadata.root.name.replace(/[^A-Za-z0-9._-]+/g, "-");
      const documentNamespace = `https://vouch.dev/spdxdocs/${name}-${id}`;
      return `${JSON.stringify(toSpdx(sbom, { documentNamespace }), null, 2)}\n`;
    }
    case "table":
      return renderTable(sbom);
    case "summary":
      return renderSummary(sbom);
    case "purls":
      return renderPurls(sbom);
    case "json":
      return `${JSON.stringify({ sbom, warnings: generated.warnings ?? [], files: generated.files ?? [] }, null, 2)}\n`;
  }
}
