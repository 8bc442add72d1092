import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseBundle } from "../../src/bundle/parse.js";
import { parseTrustedRoot } from "../../src/bundle/trusted-root.js";
import type { TrustedRoot } from "../../src/bundle/types.js";
import type { FoundBundle, ImageEvidence, PolicyTrust } from "../../src/policy/decision.js";
import { parseReference } from "../../src/oci/reference.js";
import { parsePolicies } from "../../src/policy/model/index.js";
import type { ImagePolicy, KeyRef } from "../../src/policy/model/types.js";

/** Test inputs for evaluate: real bundles from test/fixtures (read at test time from the repository only). */
export const REPO = join(import.meta.dirname, "..", "..");
export const SLSA = join(REPO, "test", "fixtures", "slsa");
export const CONFORMANCE = join(REPO, "test", "fixtures", "sigstore", "conformance", "test", "assets", "bundle-verify");

export const slsaRoot = (): TrustedRoot => parseTrustedRoot(JSON.parse(readFileSync(join(SLSA, "trusted_root", "public-good.json"), "utf8")));

export function policies(yaml: string): ImagePolicy[] {
  return parsePolicies(yaml, { file: "test.yaml" });
}

/** Trust with one trusted root for every authority, and keys by path (`key: { path: NAME }` in the policy). */
export function trustOf(root: TrustedRoot, keys: Record<string, KeyObject> = {}): PolicyTrust {
  return {
    key(ref: KeyRef) {
      if (ref.source === "path") return keys[ref.path] ?? new Error(`${ref.path}: no such key file`);
      if (ref.source === "data") return createPublicKey(ref.pem);
      return new Error(`${ref.source} keys are not available in this test`);
    },
    trustedRoot: () => root,
  };
}

export function fileBundle(path: string, digest: string): FoundBundle {
  const [algorithm, hex] = digest.split(":") as ["sha256", string];
  return { location: path.slice(REPO.length + 1), source: "file", bundle: parseBundle(JSON.parse(readFileSync(path, "utf8")), path), artifact: { kind: "digest", algorithm, hex } };
}

export function evidence(reference: string, digest: string, bundles: FoundBundle[], extra: Partial<ImageEvidence> = {}): ImageEvidence {
  const ref = parseReference(reference);
  return { reference, pinned: `${ref.registry}/${ref.repository}@${digest}`, digest, resolvedFromTag: !reference.includes("@"), bundles, sboms: [], notes: [], ...extra };
}

export const sha256 = (bytes: Uint8Array | string): string => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
