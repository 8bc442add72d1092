import { createHash, type KeyObject } from "node:crypto";
import { parseTrustedRoot, publicGoodTrustedRoot } from "../bundle/trusted-root.js";
import type { TrustedRoot } from "../bundle/types.js";
import { isVouchError, VouchError } from "../core/errors.js";
import type { PolicyTrust } from "../policy/decision.js";
import type { ImagePolicy, KeyRef, TrustedRootRef } from "../policy/model/index.js";
import type { RevocationList } from "../verify/revocation.js";
import { readTextFile } from "./files.js";
import { loadVerificationKey } from "./verify.js";

export interface TrustOptions {
  /** The default trusted root (authorities without their own); default: the Sigstore public-good root shipped with vouch. */
  trustedRoot?: string;
  /** Key files as the policies name them, mapped to where they are here (`vouch policy test` keeps keys beside its tests). */
  keyPaths?: Readonly<Record<string, string>>;
  revocations?: RevocationList;
  env?: Readonly<Record<string, string | undefined>>;
}

/** PolicyTrust with what caches of verification results are keyed by. */
export interface LoadedPolicyTrust extends PolicyTrust {
  /**
   * sha256 hex over every key (SPKI) and trusted root (its JSON) loaded, and every load error: a changed key file or
   * root gives another version, so a cached verdict made with the old material stops matching.
   */
  readonly version: string;
}

/**
 * Loads every key and trusted root the policies name, once, before evaluating (evaluate is pure). A key or root that
 * cannot be loaded is kept as its Error: it fails only the authorities that use it, with the reason. Files are read
 * again on every call (no process-wide cache): the engine calls this when the policies are (re)loaded, and a key
 * rotated on disk must be seen then.
 *
 * @throws VouchError for an unreadable default root (`trustedRoot`): that is the user's flag, not an authority's.
 *
 * @example
 *   const trust = await loadPolicyTrust(policies, { trustedRoot: "trusted_root.json" });
 *   evaluate({ policies, resource, images, trust, now: new Date() });
 */
export async function loadPolicyTrust(policies: readonly ImagePolicy[], options: TrustOptions = {}): Promise<LoadedPolicyTrust> {
  const keys = new Map<string, KeyObject | Error>();
  const roots = new Map<string, TrustedRoot | Error>();
  const material = new Map<string, string>();
  const defaultRoot = options.trustedRoot === undefined ? publicGoodTrustedRoot() : readRoot({ source: "path", path: options.trustedRoot }, material, "default");
  if (options.trustedRoot === undefined) material.set("default", "public-good");
  for (const policy of policies) {
    for (const authority of policy.authorities) {
      if (authority.type === "static") continue;
      if (authority.trustedRoot !== undefined) {
        const id = JSON.stringify(authority.trustedRoot);
        if (!roots.has(id)) roots.set(id, await settle(() => readRoot(authority.trustedRoot!, material, `root ${id}`), material, `root ${id}`));
      }
      if (authority.type === "key") {
        const id = JSON.stringify(authority.key);
        if (!keys.has(id)) {
          const key = await settle(() => readKey(authority.key, options), material, `key ${id}`);
          if (!(key instanceof Error)) material.set(`key ${id}`, key.export({ type: "spki", format: "der" }).toString("hex"));
          keys.set(id, key);
        }
      }
    }
  }
  const hash = createHash("sha256");
  for (const [id, value] of [...material].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) hash.update(`${id}\n${value}\n`);
  return {
    version: hash.digest("hex"),
    key: (ref: KeyRef) => keys.get(JSON.stringify(ref)) ?? new Error("key not loaded"),
    trustedRoot: (ref: TrustedRootRef | undefined) => (ref === undefined ? defaultRoot : (roots.get(JSON.stringify(ref)) ?? new Error("trusted root not loaded"))),
    ...(options.revocations !== undefined ? { revocations: options.revocations } : {}),
  };
}

async function settle<T>(load: () => T | Promise<T>, material: Map<string, string>, id: string): Promise<T | Error> {
  try {
    return await load();
  } catch (error) {
    if (!isVouchError(error)) throw error;
    material.set(id, `error: ${error.message}`);
    return new Error(error.message);
  }
}

function readRoot(ref: TrustedRootRef, material: Map<string, string>, id: string): TrustedRoot {
  const text = ref.source === "path" ? readTextFile(ref.path) : ref.json;
  material.set(id, createHash("sha256").update(text).digest("hex"));
  return parseTrustedRoot(text, ref.source === "path" ? ref.path : "(inline trusted root)");
}

async function readKey(ref: KeyRef, options: TrustOptions): Promise<KeyObject> {
  const env = options.env ?? process.env;
  switch (ref.source) {
    case "path":
      return loadVerificationKey(options.keyPaths?.[ref.path] ?? ref.path, env);
    case "data":
      return loadVerificationKey("env://VOUCH_POLICY_INLINE_KEY", { ...env, VOUCH_POLICY_INLINE_KEY: ref.pem });
    case "pkcs11":
      return loadVerificationKey(ref.uri, env);
    case "kms":
      throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `${ref.uri}: KMS keys are not supported yet`);
  }
}
