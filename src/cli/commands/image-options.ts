import { existsSync } from "node:fs";
import type { Command } from "commander";
import { VouchError } from "../../public/base.js";
import type { RegistryAccessOptions } from "../../public/image.js";

/** The registry flags of every image verb (cosign's names). */
export interface RegistryFlags {
  registryUsername?: string;
  registryPassword?: string;
  insecureRegistry?: boolean;
}

export function addRegistryFlags(command: Command): Command {
  return command
    .option("--registry-username <user>", "images: basic credentials for the registry (else Docker's config.json)")
    .option("--registry-password <password>", "images: with --registry-username")
    .option("--insecure-registry", "images: plain HTTP to the registry even off loopback (unsafe: credentials and tags in the clear)");
}

export function registryAccess(flags: RegistryFlags): RegistryAccessOptions {
  return {
    warn: (message) => process.stderr.write(`vouch: warning: ${message}\n`),
    ...(flags.registryUsername !== undefined ? { registryUsername: flags.registryUsername } : {}),
    ...(flags.registryPassword !== undefined ? { registryPassword: flags.registryPassword } : {}),
    ...(flags.insecureRegistry ? { insecureRegistry: true } : {}),
  };
}

/**
 * Whether a verb's argument names an image in a registry rather than a file: `registry:REF`; or, when no such file
 * exists, a reference that names its registry (`localhost:5000/app:1`, `ghcr.io/org/app@sha256:…`). A bare name such
 * as `app` stays a file name: it would otherwise quietly mean docker.io/library/app (write `registry:app` for that).
 */
export function isImageArgument(arg: string): boolean {
  if (arg.startsWith("registry:")) return true;
  if (existsSync(arg)) return false;
  const first = arg.split("/")[0] ?? "";
  return arg.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
}

/** Flags that mean nothing for an image (or for a file): refused rather than ignored. */
export function refuseFlags(opts: Record<string, unknown>, names: readonly string[], why: string): void {
  const given = names.find((n) => opts[n] !== undefined && opts[n] !== false);
  if (given !== undefined) throw new VouchError("INPUT_USAGE", `--${given.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${why}`);
}
