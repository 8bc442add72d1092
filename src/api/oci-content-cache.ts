import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Descriptor } from "../catalog/sources/image/types.js";
import { VouchError } from "../core/errors.js";
import type { FetchedManifest, RegistryClient, RepositoryTarget } from "../oci/client.js";
import { digestOf, parseDigest } from "../oci/digest.js";
import { parseManifestDocument } from "../oci/manifest.js";

/**
 * Content-addressed cache for what the image verbs read by digest: referrer manifests, bundles, signature payloads.
 * Only immutable content goes in (a digest names exactly one byte string), so a hit never needs the registry; and
 * every hit is hashed again before use, so a corrupted or planted cache file is a miss, never a wrong answer. Tags
 * and referrer listings change and are always asked of the registry.
 */
export interface ContentCache {
  get(digest: string): Uint8Array | undefined;
  put(digest: string, bytes: Uint8Array): void;
}

/** Bytes kept at most per item (a cached SBOM is fine; a layer is not what this cache is for). */
const MAX_CACHED_BYTES = 16 * 1024 * 1024;

/** A process-lifetime cache (a long-running verifier; tests). */
export function memoryContentCache(): ContentCache {
  const items = new Map<string, Uint8Array>();
  return {
    get: (digest) => items.get(digest),
    put: (digest, bytes) => {
      if (bytes.byteLength <= MAX_CACHED_BYTES) items.set(digest, bytes);
    },
  };
}

/**
 * A cache on disk, `<dir>/<algorithm>/<hex>`, shared by every vouch process of the user: a warm `vouch verify IMAGE`
 * asks the registry only for the tag and the referrer listing. Writes go to a temp file renamed into place, so a
 * reader never sees half a file; a failed write (full disk, read-only home) just leaves the item uncached.
 */
export function diskContentCache(dir: string): ContentCache {
  const pathOf = (digest: string): string | undefined => {
    const m = /^(sha256|sha512):([0-9a-f]{64,128})$/.exec(digest);
    return m ? join(dir, m[1]!, m[2]!) : undefined;
  };
  return {
    get(digest) {
      const path = pathOf(digest);
      if (path === undefined) return undefined;
      try {
        return new Uint8Array(readFileSync(path));
      } catch {
        return undefined;
      }
    },
    put(digest, bytes) {
      const path = pathOf(digest);
      if (path === undefined || bytes.byteLength > MAX_CACHED_BYTES) return;
      try {
        mkdirSync(join(path, ".."), { recursive: true });
        const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
        writeFileSync(temp, bytes);
        renameSync(temp, path);
      } catch {
        // Not cached: the next run asks the registry again.
      }
    },
  };
}

/** `$VOUCH_CACHE_DIR`, else `$XDG_CACHE_HOME/vouch/oci`, else `~/.cache/vouch/oci`. */
export function defaultContentCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (env.VOUCH_CACHE_DIR) return join(env.VOUCH_CACHE_DIR, "oci");
  const base = env.XDG_CACHE_HOME || join(env.HOME ?? homedir(), ".cache");
  return join(base, "vouch", "oci");
}

/** The cached bytes for `digest` if they still hash to it (else the entry is ignored). */
function verifiedHit(cache: ContentCache | undefined, digest: string): Uint8Array | undefined {
  const bytes = cache?.get(digest);
  if (bytes === undefined) return undefined;
  const { algorithm, digest: normalized } = parseDigest(digest);
  return digestOf(bytes, algorithm) === normalized ? bytes : undefined;
}

/** A manifest by digest, from the cache or the registry (and then cached). */
export async function manifestByDigest(client: RegistryClient, cache: ContentCache | undefined, target: RepositoryTarget, digest: string): Promise<FetchedManifest> {
  const hit = verifiedHit(cache, digest);
  if (hit !== undefined) {
    const document = parseManifestDocument(hit, undefined, `manifest ${target.registry}/${target.repository}@${digest}`);
    return { descriptor: { mediaType: document.mediaType, digest, size: hit.byteLength }, bytes: hit, document };
  }
  const fetched = await client.getManifest(target, digest);
  cache?.put(digest, fetched.bytes);
  return fetched;
}

/** A small blob (a bundle, a payload, an SBOM) whole, from the cache or the registry (verified, then cached). */
export async function blobBytes(client: RegistryClient, cache: ContentCache | undefined, target: RepositoryTarget, descriptor: Descriptor, maxBytes?: number): Promise<Uint8Array> {
  const hit = verifiedHit(cache, descriptor.digest);
  if (hit !== undefined) {
    if (hit.byteLength !== descriptor.size) throw new VouchError("INPUT_MALFORMED", `blob ${descriptor.digest}: ${hit.byteLength} bytes, the descriptor says ${descriptor.size}`);
    return hit;
  }
  const bytes = await client.readBlob(target, descriptor, maxBytes);
  cache?.put(descriptor.digest, bytes);
  return bytes;
}
