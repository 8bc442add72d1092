import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * The peer of vouch's image verification in the benchmarks (bench/image-verify.ts, bench/admission.ts): plain fetch
 * + @sigstore/verify doing what `vouch verify IMAGE` does for a key-signed image in a registry. Plain JavaScript, so
 * that it runs under plain node (no TypeScript loader) in CLI-style runs; written to a file and imported from there.
 * It exports `createPeerVerifier({ key, trustedRoot, cacheDir })` → `verify(reference)`.
 */
export const PEER_SOURCE = String.raw`// Written by bench/image-verify.ts: the peer (plain fetch + @sigstore/verify) verifying an image's signature.
import { createHash, createPublicKey } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { bundleFromJSON } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";

const ACCEPT = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");
const BUNDLE_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";
const SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1";
const sha256 = (bytes) => "sha256:" + createHash("sha256").update(bytes).digest("hex");

/** The same cache vouch keeps: <dir>/sha256/<hex>, immutable content only, re-hashed on every hit. */
function diskCache(dir) {
  const pathOf = (digest) => join(dir, "sha256", digest.slice(7));
  return {
    get(digest) {
      try {
        const bytes = readFileSync(pathOf(digest));
        return sha256(bytes) === digest ? bytes : undefined;
      } catch {
        return undefined;
      }
    },
    put(digest, bytes) {
      try {
        mkdirSync(join(dir, "sha256"), { recursive: true });
        const temp = pathOf(digest) + "." + process.pid + "." + Math.random().toString(36).slice(2) + ".tmp";
        writeFileSync(temp, bytes);
        renameSync(temp, pathOf(digest));
      } catch {}
    },
  };
}

function parseReference(reference) {
  const slash = reference.indexOf("/");
  const host = reference.slice(0, slash);
  let rest = reference.slice(slash + 1);
  let digest;
  let tag = "latest";
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon > rest.lastIndexOf("/")) {
      tag = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  return { host, repository: rest, digest, tag };
}

async function get(url, accept) {
  const response = await fetch(url, { headers: accept ? { accept } : {} });
  const bytes = new Uint8Array(await response.arrayBuffer());
  return { status: response.status, headers: response.headers, bytes };
}

export function createPeerVerifier({ key, trustedRoot, cacheDir }) {
  const root = TrustedRoot.fromJSON(JSON.parse(readFileSync(trustedRoot, "utf8")));
  const publicKey = createPublicKey(readFileSync(key, "utf8"));
  const verifier = new Verifier(toTrustMaterial(root, () => ({ publicKey, validFor: () => true })));
  const cache = diskCache(cacheDir);
  /** Content by digest: the cache, else the registry (checked against the digest, then cached). */
  const byDigest = async (url, digest, accept) => {
    const hit = cache.get(digest);
    if (hit) return hit;
    const { status, bytes } = await get(url, accept);
    if (status !== 200) throw new Error(url + ": " + status);
    if (sha256(bytes) !== digest) throw new Error(url + ": content does not match its digest");
    cache.put(digest, bytes);
    return bytes;
  };
  return async function verify(reference) {
    const ref = parseReference(reference);
    const base = "http://" + ref.host + "/v2/" + ref.repository;
    // 1. The manifest's digest (for a digest reference: that it exists).
    const head = await fetch(base + "/manifests/" + (ref.digest ?? ref.tag), { method: "HEAD", headers: { accept: ACCEPT } });
    await head.arrayBuffer();
    const digest = head.headers.get("docker-content-digest");
    if (head.status !== 200 || !digest) throw new Error(reference + ": HEAD " + head.status);
    if (ref.digest && ref.digest !== digest) throw new Error(reference + ": the registry answered for " + digest);
    const hex = digest.slice(7);
    // 2. The referrers (API, else the tag schema's index) and cosign's .sig tag, concurrently (as vouch does).
    const listing = (async () => {
      const api = await get(base + "/referrers/" + digest, "application/vnd.oci.image.index.v1+json");
      if (api.status === 200) return JSON.parse(new TextDecoder().decode(api.bytes));
      const fallback = await get(base + "/manifests/sha256-" + hex, ACCEPT);
      if (fallback.status === 404) return { manifests: [] };
      if (fallback.status !== 200) throw new Error(base + ": tag schema index " + fallback.status);
      return JSON.parse(new TextDecoder().decode(fallback.bytes));
    })();
    const sigTag = get(base + "/manifests/sha256-" + hex + ".sig", ACCEPT);
    const [index, sig] = await Promise.all([listing, sigTag]);
    if (sig.status !== 404) throw new Error("this peer reads referrers only; " + reference + " has a .sig tag");
    const wanted = (index.manifests ?? []).filter(
      (d) => d.artifactType === BUNDLE_TYPE && (d.annotations?.["dev.sigstore.bundle.predicateType"] ?? SIGN_PREDICATE) === SIGN_PREDICATE,
    );
    // 3. Each bundle: its manifest (subject = this image), the bundle layer, @sigstore/verify, the statement.
    const results = await Promise.all(
      wanted.map(async (d) => {
        try {
          const manifest = JSON.parse(new TextDecoder().decode(await byDigest(base + "/manifests/" + d.digest, d.digest, d.mediaType)));
          if (manifest.subject?.digest !== digest) throw new Error("referrer " + d.digest + " is not about " + digest);
          const layer = (manifest.layers ?? []).find((l) => l.mediaType === BUNDLE_TYPE);
          if (!layer) throw new Error("referrer " + d.digest + " has no bundle layer");
          const bundleBytes = await byDigest(base + "/blobs/" + layer.digest, layer.digest);
          const bundle = bundleFromJSON(JSON.parse(new TextDecoder().decode(bundleBytes)));
          verifier.verify(toSignedEntity(bundle));
          if (bundle.content.$case !== "dsseEnvelope") throw new Error("not a DSSE bundle");
          const statement = JSON.parse(new TextDecoder().decode(bundle.content.dsseEnvelope.payload));
          if (statement.predicateType !== SIGN_PREDICATE) throw new Error("predicate " + statement.predicateType);
          if (!(statement.subject ?? []).some((s) => s.digest?.sha256 === hex)) throw new Error("the statement is not about " + digest);
          return { location: d.digest, verified: true, tlogEntries: bundle.verificationMaterial.tlogEntries.length };
        } catch (error) {
          return { location: d.digest, verified: false, reason: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
    const verified = results.some((r) => r.verified);
    if (!verified) throw new Error(reference + ": no signature verified (" + (results.map((r) => r.reason).join("; ") || "none found") + ")");
    return { pinned: ref.host + "/" + ref.repository + "@" + digest, checked: results, verified };
  };
}

// As a command (the CLI-style runs): node peer.mjs REF --key K --trusted-root R --cache-dir D
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { key: { type: "string" }, "trusted-root": { type: "string" }, "cache-dir": { type: "string" } } });
  try {
    const verify = createPeerVerifier({ key: values.key, trustedRoot: values["trusted-root"], cacheDir: values["cache-dir"] });
    const result = await verify(positionals[0]);
    process.stdout.write("ok " + result.pinned + "\n");
  } catch (error) {
    const cause = error instanceof Error && error.cause ? " (" + String(error.cause) + ")" : "";
    process.stderr.write("verification failed: " + (error instanceof Error ? error.message : String(error)) + cause + "\n");
    process.exitCode = 1;
  }
}
`;

/** Writes the peer module to `path` (when missing or different). */
export function writePeerModule(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  if (!existsSync(path) || readFileSync(path, "utf8") !== PEER_SOURCE) writeFileSync(path, PEER_SOURCE);
}
