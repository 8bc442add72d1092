import { createHash, type KeyObject } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { parseBundle } from "../bundle/parse.js";
import { parseTrustedRoot, publicGoodTrustedRoot } from "../bundle/trusted-root.js";
import type { Bundle, TrustedRoot } from "../bundle/types.js";
import { importPublicKey } from "../core/crypto/keys.js";
import { VouchError } from "../core/errors.js";
import { resolvePredicateType } from "../core/intoto/statement.js";
import { parseKeyRef } from "../sign/key-file.js";
import { pkcs11PublicKey } from "../sign/pkcs11/index.js";
import type { IdentityPolicy } from "../verify/certificate/index.js";
import { verifyBundle, type ArtifactInput, type VerificationPolicy, type VerificationResult } from "../verify/verifier.js";
import { readTextFile } from "./files.js";
import { revocationsForVerification } from "./revocation.js";
import { witnessPolicy } from "./witness-keys.js";

/** Everything a verification needs besides the bundle and the artifact: trust, the expected signer, thresholds. */
export interface VerificationInputs {
  /** Keyed verification: a PEM file, env://VAR, or a pkcs11: URI. */
  key?: string;
  identity?: IdentityPolicy;
  /** trusted_root.json; default: the Sigstore public-good root that ships with vouch. */
  trustedRoot?: string;
  /** `--type`: a predicate type name (slsaprovenance, spdx, cyclonedx, vuln, openvex, custom) or URI. */
  type?: string;
  tlogThreshold?: number;
  ctlogThreshold?: number;
  timestampThreshold?: number;
  /**
   * An exported revocation list (`vouch key revocations export`), verified against the key shipped in it. Replaces the
   * data directory's list, as --trusted-root replaces the shipped root.
   */
  revocations?: string;
  /** Trusted witnesses (`--witness-key`): vkeys, or files of vkeys one per line. */
  witnessKeys?: string[];
  /** Distinct witnesses that must have cosigned each checkpoint (`--witness-threshold`; default 1 with keys). */
  witnessThreshold?: number;
  /** A data directory whose revocation list (if it has one) applies when `revocations` is not given. */
  dataDir?: string;
  env?: Readonly<Record<string, string | undefined>>;
}

export interface VerifyOptions extends VerificationInputs {
  /** The bundle file (Sigstore bundle JSON, v0.1-v0.3). */
  bundle: string;
  /** An artifact path, or `sha256:<hex>` (also sha384/sha512) when only the digest is at hand. */
  artifact: string;
}

/**
 * Verify a Sigstore bundle for an artifact, offline. Throws VouchError VERIFY_* (exit 1) naming the step that
 * refused, INPUT_* (exit 2) for unusable input.
 *
 * @example
 *   const r = await verifyArtifact({ bundle: "app.sigstore.json", artifact: "app.tgz", identity: { subject: "me@example.com", issuer: "https://accounts.example.com" } });
 *   console.log(r.trustedTimes[0]?.time, r.tlogEntries[0]?.logIndex);
 */
export async function verifyArtifact(options: VerifyOptions): Promise<VerificationResult> {
  const bundle = loadBundle(options.bundle);
  const policy = await verificationPolicy(options);
  return verifyBundle(bundle, { ...policy, artifact: readArtifact(options.artifact) });
}

/**
 * The verifier's policy for `inputs`, without the artifact: the trusted root, the key (read once), revocations,
 * witnesses, the predicate type and thresholds. Build it once and verify many bundles with it (`vouch verify IMAGE`).
 */
export async function verificationPolicy(inputs: VerificationInputs): Promise<Omit<VerificationPolicy, "artifact">> {
  const trustedRoot = inputs.trustedRoot === undefined ? publicGoodTrustedRoot() : loadTrustedRoot(inputs.trustedRoot);
  const publicKey = inputs.key === undefined ? undefined : await loadVerificationKey(inputs.key, inputs.env ?? process.env);
  const revocations =
    inputs.revocations !== undefined
      ? revocationsForVerification({ file: inputs.revocations })
      : inputs.dataDir !== undefined
        ? revocationsForVerification({ dataDir: inputs.dataDir })
        : undefined;
  const witnesses = witnessPolicy(inputs.witnessKeys, inputs.witnessThreshold);
  const predicateType = inputs.type === undefined ? undefined : (resolvePredicateType(inputs.type) ?? usage(`--type ${inputs.type}: not a known predicate type name or a URI`));
  return {
    trustedRoot,
    ...(publicKey ? { publicKey } : {}),
    ...(inputs.identity ? { identity: inputs.identity } : {}),
    ...(predicateType ? { predicateType } : {}),
    ...(inputs.tlogThreshold !== undefined ? { tlogThreshold: inputs.tlogThreshold } : {}),
    ...(inputs.ctlogThreshold !== undefined ? { ctlogThreshold: inputs.ctlogThreshold } : {}),
    ...(inputs.timestampThreshold !== undefined ? { timestampThreshold: inputs.timestampThreshold } : {}),
    ...(revocations ? { revocations: revocations.list } : {}),
    ...(witnesses ? { witnesses } : {}),
  };
}

const trustedRootCache = new Map<string, TrustedRoot>();

export function loadTrustedRoot(path: string): TrustedRoot {
  let root = trustedRootCache.get(path);
  if (!root) {
    root = parseTrustedRoot(readTextFile(path), path);
    trustedRootCache.set(path, root);
  }
  return root;
}

export function loadBundle(path: string): Bundle {
  return parseBundle(readTextFile(path), path);
}

/**
 * The conformance protocol's rule: `sha256:<64 hex>` is a digest unless a file of that name exists.
 */
export function readArtifact(target: string): ArtifactInput {
  const m = /^(sha256|sha384|sha512):([0-9a-fA-F]+)$/.exec(target);
  if (m && !existsSync(target)) {
    const algorithm = m[1] as "sha256" | "sha384" | "sha512";
    const expected = { sha256: 64, sha384: 96, sha512: 128 }[algorithm];
    if (m[2]!.length !== expected) usage(`${algorithm} digest must be ${expected} hex characters`);
    return { kind: "digest", algorithm, hex: m[2]!.toLowerCase() };
  }
  try {
    return { kind: "bytes", data: readFileSync(target) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new VouchError(code === "ENOENT" ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE", code === "ENOENT" ? "no such artifact" : `cannot read (${code ?? "error"})`, { file: target });
  }
}

export async function loadVerificationKey(ref: string, env: Readonly<Record<string, string | undefined>>): Promise<KeyObject> {
  const parsed = parseKeyRef(ref);
  if (parsed.kind === "pkcs11") return (await pkcs11PublicKey(parsed.uri, { env })).key;
  if (parsed.kind === "env") {
    const value = env[parsed.variable];
    if (value === undefined || value === "") usage(`env://${parsed.variable}: the variable is not set`);
    return importPublicKey(value);
  }
  return importPublicKey(readTextFile(parsed.path));
}

/** sha256 of a file's bytes as hex (for `vouch verify` output and tests). */
export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function usage(message: string): never {
  throw new VouchError("INPUT_USAGE", message);
}
