import { createPublicKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { bundleFromJSON } from "@sigstore/bundle";
import { TrustedRoot as ProtoTrustedRoot } from "@sigstore/protobuf-specs";
import { toSignedEntity, toTrustMaterial, Verifier, type VerificationPolicy as SigstoreJsPolicy } from "@sigstore/verify";
import type * as ParseModule from "../../src/bundle/parse.js";
import type * as TrustedRootModule from "../../src/bundle/trusted-root.js";
import type { TrustedRoot } from "../../src/bundle/types.js";
import type * as VerifierModule from "../../src/verify/verifier.js";
import type { BenchBundle } from "./verify-bundle-set.js";

/**
 * The two verifiers of the bench behind one shape. `prepare` does what a long-running verifier does once (load
 * the trusted root and the trust material built from it, read the artifact, load a key, build the policy); the
 * function it returns is the per-bundle work that is timed: bundle JSON text in, verified or throw.
 */
export interface Contender {
  name: string;
  version: string;
  prepare(bundle: BenchBundle): (bundleJson: string) => void;
}

/**
 * vouch as built (`dist/`, or another tsc output folder): parseBundle (its own JSON reader with line numbers, then the
 * bundle's structural rules) and verifyBundle. Trusted roots are parsed once per file; vouch builds its trust
 * material (log keys, parsed CA chains) on first use of a root and keeps it for that root object.
 */
export async function vouchContender(distDir: string, version: string): Promise<Contender> {
  const load = async <T>(file: string) => (await import(pathToFileURL(join(distDir, file)).href)) as T;
  const { parseBundle } = await load<typeof ParseModule>("bundle/parse.js");
  const { parseTrustedRoot } = await load<typeof TrustedRootModule>("bundle/trusted-root.js");
  const { verifyBundle } = await load<typeof VerifierModule>("verify/verifier.js");
  const roots = new Map<string, TrustedRoot>();
  return {
    name: "vouch",
    version,
    prepare(b) {
      let trustedRoot = roots.get(b.trustedRootPath);
      if (!trustedRoot) {
        trustedRoot = parseTrustedRoot(readFileSync(b.trustedRootPath, "utf8"), b.trustedRootPath);
        roots.set(b.trustedRootPath, trustedRoot);
      }
      const artifact: VerifierModule.ArtifactInput = b.artifact.kind === "file" ? { kind: "bytes", data: readFileSync(b.artifact.path) } : b.artifact;
      const signer = b.signer.kind === "key" ? { publicKey: createPublicKey(readFileSync(b.signer.pemPath, "utf8")) } : { identity: { subject: b.signer.subject, issuer: b.signer.issuer } };
      const policy: VerifierModule.VerificationPolicy = { artifact, trustedRoot, ...signer };
      return (json) => {
        verifyBundle(parseBundle(json), policy);
      };
    },
  };
}

/**
 * @sigstore/verify the way the `sigstore` package drives it: JSON.parse, bundleFromJSON (which also checks the
 * bundle's structure), toSignedEntity(bundle, artifact) and Verifier.verify with the identity policy. One Verifier
 * (trust material built once) per trusted root and key. A managed key is given as an already loaded KeyObject,
 * as vouch gets it. For a DSSE bundle no artifact is passed (the library's rule): @sigstore/verify then checks the
 * envelope's signature but not that the in-toto subject is the artifact, which vouch does as well.
 */
export function sigstoreJsContender(version: string): Contender {
  const verifiers = new Map<string, Verifier>();
  const verifierFor = (rootPath: string, key: KeyObject | undefined, keyPath: string | undefined) => {
    const cacheKey = `${rootPath}\n${keyPath ?? ""}`;
    let verifier = verifiers.get(cacheKey);
    if (!verifier) {
      const root = ProtoTrustedRoot.fromJSON(JSON.parse(readFileSync(rootPath, "utf8")));
      const material = key ? toTrustMaterial(root, () => ({ publicKey: key, validFor: () => true })) : toTrustMaterial(root);
      verifier = new Verifier(material);
      verifiers.set(cacheKey, verifier);
    }
    return verifier;
  };
  return {
    name: "@sigstore/verify",
    version,
    prepare(b) {
      const key = b.signer.kind === "key" ? createPublicKey(readFileSync(b.signer.pemPath, "utf8")) : undefined;
      const verifier = verifierFor(b.trustedRootPath, key, b.signer.kind === "key" ? b.signer.pemPath : undefined);
      const artifact = b.content === "messageSignature" && b.artifact.kind === "file" ? readFileSync(b.artifact.path) : undefined;
      if (b.content === "messageSignature" && artifact === undefined) throw new Error(`${b.id}: @sigstore/verify needs the artifact's bytes for a message signature`);
      const policy: SigstoreJsPolicy | undefined = b.signer.kind === "identity" ? { subjectAlternativeName: b.signer.subject, extensions: { issuer: b.signer.issuer } } : undefined;
      return (json) => {
        verifier.verify(toSignedEntity(bundleFromJSON(JSON.parse(json)), artifact), policy);
      };
    },
  };
}

/** The version in an installed package's package.json. */
export function installedVersion(repo: string, name: string): string {
  return (JSON.parse(readFileSync(join(repo, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
}
