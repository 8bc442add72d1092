import { VouchError } from "../core/errors.js";
import { INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES, type Descriptor, type Platform } from "../catalog/sources/image/types.js";

/**
 * Platforms ("linux/amd64", "linux/arm/v7") and picking one image from a multi-platform index, the way containerd's
 * platforms matcher does it (containerd/platforms `compare.go`): same OS and architecture, then the best variant
 * the wanted platform can run (an arm/v7 host runs v7, then v6, then v5 images; arm64 without a variant is v8;
 * amd64 without a variant is v1).
 */

/** "os/arch[/variant]", with the usual aliases: "linux/x86_64" is linux/amd64, "linux/aarch64" is linux/arm64. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().split("/");
  const bad = (why: string): never => {
    throw new VouchError("INPUT_USAGE", `--platform takes os/arch[/variant] (e.g. linux/amd64, linux/arm/v7), not ${JSON.stringify(text)}: ${why}`);
  };
  if (parts.length < 2 || parts.length > 3) bad("wrong number of parts");
  for (const part of parts) if (!/^[A-Za-z0-9_.-]+$/.test(part)) bad(`bad part ${JSON.stringify(part)}`);
  const os = parts[0]!.toLowerCase();
  const [architecture, aliasVariant] = normalizeArchitecture(parts[1]!.toLowerCase());
  const variant = parts[2]?.toLowerCase() ?? aliasVariant;
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

export function formatPlatform(platform: Platform): string {
  return platform.variant ? `${platform.os}/${platform.architecture}/${platform.variant}` : `${platform.os}/${platform.architecture}`;
}

function normalizeArchitecture(arch: string): [string, string | undefined] {
  switch (arch) {
    case "x86_64":
    case "x86-64":
      return ["amd64", undefined];
    case "aarch64":
      return ["arm64", undefined];
    case "armhf":
      return ["arm", "v7"];
    case "armel":
      return ["arm", "v6"];
    case "i386":
    case "i686":
      return ["386", undefined];
    default:
      return [arch, undefined];
  }
}

/**
 * The platform of this machine (Node's `process.platform`/`process.arch` mapped to OCI names), for a CLI default.
 * `armVersion` is Node's `process.config.variables.arm_version` on 32-bit ARM.
 */
export function hostPlatform(nodePlatform: string, nodeArch: string, armVersion?: string | number): Platform {
  const os = nodePlatform === "win32" ? "windows" : nodePlatform;
  const architecture = ({ x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64", loong64: "loong64", mips64el: "mips64le" } as Record<string, string>)[nodeArch] ?? nodeArch;
  if (architecture === "arm") return { os, architecture, variant: `v${armVersion ?? 7}` };
  return { os, architecture };
}

/** Variants an image may have for a machine of `wanted`'s variant, best first ("" is an entry without a variant). */
function runnableVariants(architecture: string, variant: string | undefined): string[] {
  const v = variant ?? "";
  switch (architecture) {
    case "arm": {
      const level = /^v([0-9]+)$/.exec(v || "v7");
      if (level === null) return [v];
      const out: string[] = [];
      for (let i = Number(level[1]); i >= 5; i--) out.push(`v${i}`);
      if (out.length === 0) out.push(v);
      // an arm image with no variant is assumed v7 (containerd normalizes it so)
      if (out.includes("v7")) out.splice(out.indexOf("v7") + 1, 0, "");
      return out;
    }
    case "arm64":
      // arm64 without a variant means v8; later variants (v8.x, v9) still run v8 images
      return v === "" || v === "v8" ? ["v8", ""] : [v, "v8", ""];
    case "amd64": {
      // x86-64 micro-architecture levels: a v3 machine runs v3, v2 and v1 (= no variant) images
      const level = /^v([1-4])$/.exec(v);
      const top = level ? Number(level[1]) : 1;
      const out: string[] = [];
      for (let i = top; i >= 2; i--) out.push(`v${i}`);
      return [...out, "v1", ""];
    }
    default:
      return [v];
  }
}

/** Whether an image for `candidate` runs on `wanted`; lower rank is better, undefined means it does not run. */
export function platformRank(wanted: Platform, candidate: Platform): number | undefined {
  if (candidate.os.toLowerCase() !== wanted.os.toLowerCase()) return undefined;
  const [wantedArch, wantedAliasVariant] = normalizeArchitecture(wanted.architecture.toLowerCase());
  const [candidateArch, candidateAliasVariant] = normalizeArchitecture(candidate.architecture.toLowerCase());
  if (candidateArch !== wantedArch) return undefined;
  const order = runnableVariants(wantedArch, wanted.variant?.toLowerCase() ?? wantedAliasVariant);
  const rank = order.indexOf(candidate.variant?.toLowerCase() ?? candidateAliasVariant ?? "");
  if (rank === -1) return undefined;
  // a Windows os.version asked for must match exactly (a host runs only images of its own build)
  if (wanted["os.version"] !== undefined && candidate["os.version"] !== undefined && wanted["os.version"] !== candidate["os.version"]) return undefined;
  return rank;
}

/**
 * Picks the manifest for `wanted` from an index's entries. BuildKit's attestation manifests (platform
 * unknown/unknown) and entries that are not images are never picked. Several equally good entries: the first wins
 * (the index's order, as containerd does). An index with a single image gives it whatever its platform, unless the
 * user named the platform (`explicit`), as the OCI layout reader does. None: INPUT_USAGE naming the platforms the
 * index has (the --platform asked for is not in the image).
 */
export function pickPlatform(entries: readonly Descriptor[], wanted: Platform, options: { explicit?: boolean; what?: string } = {}): Descriptor {
  const what = options.what ?? "the image index";
  const images = entries.filter(
    (e) =>
      (INDEX_MEDIA_TYPES.has(e.mediaType) || MANIFEST_MEDIA_TYPES.has(e.mediaType)) &&
      e.platform?.os !== "unknown" &&
      e.annotations?.["vnd.docker.reference.type"] !== "attestation-manifest",
  );
  let best: { entry: Descriptor; rank: number } | undefined;
  for (const entry of images) {
    if (entry.platform === undefined) continue;
    const rank = platformRank(wanted, entry.platform);
    if (rank !== undefined && (best === undefined || rank < best.rank)) best = { entry, rank };
  }
  if (best !== undefined) return best.entry;
  if (images.length === 1 && (images[0]!.platform === undefined || !options.explicit)) return images[0]!;
  if (images.length === 0) {
    const types = [...new Set(entries.map((e) => e.mediaType))].join(", ") || "none";
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `${what} names no image manifest (media types: ${types})`);
  }
  const available = [...new Set(images.map((e) => (e.platform ? formatPlatform(e.platform) : "(no platform)")))];
  throw new VouchError("INPUT_USAGE", `${what} has no image for ${formatPlatform(wanted)} (it has: ${available.join(", ")}); pick one with --platform`);
}
