import { VouchError } from "../core/errors.js";
import { MEDIA_TYPES, type Descriptor } from "../catalog/sources/image/types.js";
import { nextLink, type RegistryClient, type RepositoryTarget } from "./client.js";
import { digestOf, parseDigest } from "./digest.js";
import { parseDescriptor, parseManifestDocument, type ImageIndexDocument, type ManifestDocument } from "./manifest.js";

/**
 * OCI 1.1 referrers (distribution-spec "Listing Referrers", "Pushing Manifests with Subject", "Referrers Tag
 * Schema"): what is attached to a manifest (signatures, attestations, SBOMs), found through the registry's
 * referrers API, or, on a registry without it (distribution 2.x answers 404 on the path), through the image index
 * clients keep under the tag `<alg>-<hex>` of the subject's digest.
 *
 * Nothing listed here is trusted: a referrers list is the registry's (or any pusher's) summary. Callers fetch each
 * referrer by digest (getManifest verifies it) and verify what it carries.
 */

/** How a list was found: the registry's referrers API, or the fallback index under the referrers tag. */
export type ReferrersVia = "api" | "tag-schema";

export interface ListedReferrers {
  /** Descriptors of the manifests (and indexes) whose `subject` is the digest, as listed (artifactType, annotations). */
  referrers: Descriptor[];
  via: ReferrersVia;
  /** Why the fallback was used, or what was odd about the answer (a 200 that was no index, a fallback tag that was no index). */
  note?: string;
}

/** Pages of a referrers list followed at most. */
const MAX_PAGES = 100;

/**
 * The referrers tag of a digest (distribution-spec "Referrers Tag Schema"): the algorithm cut to 32 characters, `-`,
 * the encoded part cut to 64, anything a tag may not hold replaced by `-`. `sha256:abc…` → `sha256-abc…`; cosign's
 * tag layout appends `.sig`, `.att`, `.sbom` to it.
 *
 * @example referrersTag("sha256:" + "a".repeat(64)) // "sha256-aaaa…" (64 a)
 */
export function referrersTag(digest: string): string {
  let parsed;
  try {
    parsed = parseDigest(digest);
  } catch (error) {
    throw new VouchError("INPUT_USAGE", `referrers tag: ${(error as Error).message}`);
  }
  return `${parsed.algorithm.slice(0, 32)}-${parsed.hex.slice(0, 64)}`.replace(/[^A-Za-z0-9_.-]/g, "-");
}

/**
 * The referrers of `subjectDigest` in the repository: the referrers API (`GET /v2/<name>/referrers/<digest>`,
 * following `Link` pages), filtered by `artifactType` on the client when the registry did not say
 * `OCI-Filters-Applied: artifactType`. A 404 means the registry has no referrers API: the fallback index under
 * referrersTag(subjectDigest) is read instead (no such tag: no referrers). A registry that answers 200 with
 * something that is not an image index is treated as one without the API (`note` says so), and so is a fallback tag
 * that is not an index (the spec: "the client SHOULD assume there are no referrers").
 *
 * @example const { referrers, via } = await listReferrers(client, target, "sha256:…", { artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json" });
 */
export async function listReferrers(client: RegistryClient, target: RepositoryTarget, subjectDigest: string, options: { artifactType?: string } = {}): Promise<ListedReferrers> {
  const tag = referrersTag(subjectDigest);
  if (knownWithoutApi(client, target.registry)) return fromTagSchema(client, target, tag, options.artifactType, undefined);
  const what = `referrers of ${target.registry}/${target.repository}@${subjectDigest}`;
  const query = options.artifactType === undefined ? "" : `?artifactType=${encodeURIComponent(options.artifactType)}`;
  let url = `${client.baseUrl(target.registry)}/v2/${target.repository}/referrers/${subjectDigest}${query}`;
  const referrers: Descriptor[] = [];
  const skippedEntries: string[] = [];
  let filtered = true;
  const seen = new Set<string>();
  for (let page = 0; ; page++) {
    if (page >= MAX_PAGES || seen.has(url)) throw new VouchError("SERVICE_UNAVAILABLE", `${what}: the registry's pages do not end (${page} pages read)`);
    seen.add(url);
    const fetched = await client.getDocument(target, { url, accept: MEDIA_TYPES.ociIndex }, what, { allow: [404] });
    if (fetched.status === 404) {
      if (page > 0) throw new VouchError("SERVICE_UNAVAILABLE", `${what}: page ${page + 1} of the referrers list is gone (404)`);
      rememberWithoutApi(client, target.registry);
      return fromTagSchema(client, target, tag, options.artifactType, undefined);
    }
    const index = asIndex(fetched.bytes, fetched.headers.get("content-type") ?? undefined, what);
    if (typeof index === "string") {
      if (page > 0) throw new VouchError("INPUT_MALFORMED", `${what}: page ${page + 1}: ${index}`);
      // Not the API (some proxies and old registries answer unknown paths with 200): fall back, and say so.
      return fromTagSchema(client, target, tag, options.artifactType, `the registry answered 200 on the referrers path, but ${index}; read the referrers tag ${tag} instead`);
    }
    referrers.push(...index.manifests);
    if ("skipped" in index) skippedEntries.push(...(index.skipped as string[]));
    const applied = (fetched.headers.get("oci-filters-applied") ?? "").split(",").map((f) => f.trim());
    if (!applied.includes("artifactType")) filtered = false;
    const next = nextLink(fetched.headers.get("link"), fetched.url, what);
    if (next === undefined) break;
    url = next;
  }
  const listed = options.artifactType === undefined || filtered ? referrers : referrers.filter((d) => d.artifactType === options.artifactType);
  const result: ListedReferrers = { referrers: listed, via: "api" };
  if (skippedEntries.length > 0) result.note = `${skippedEntries.length} unreadable entr${skippedEntries.length === 1 ? "y" : "ies"} left out (${skippedEntries[0]})`;
  return result;
}

/**
 * Registries seen answering 404 on the referrers path, per client, for a few minutes: a verifier checking many images
 * on one registry asks once, not once per image (on distribution 2.x that 404 is one request in four). Forgotten
 * after NO_API_MEMORY_MS so a registry upgraded to the API (which then lists earlier referrers too, as the spec
 * requires) is used again without a restart.
 */
const withoutApi = new WeakMap<RegistryClient, Map<string, number>>();
const NO_API_MEMORY_MS = 5 * 60 * 1000;

function knownWithoutApi(client: RegistryClient, registry: string): boolean {
  const until = withoutApi.get(client)?.get(registry);
  return until !== undefined && Date.now() < until;
}

function rememberWithoutApi(client: RegistryClient, registry: string): void {
  let registries = withoutApi.get(client);
  if (registries === undefined) withoutApi.set(client, (registries = new Map()));
  registries.set(registry, Date.now() + NO_API_MEMORY_MS);
}

async function fromTagSchema(client: RegistryClient, target: RepositoryTarget, tag: string, artifactType: string | undefined, note: string | undefined): Promise<ListedReferrers> {
  const found = await readFallbackIndex(client, target, tag);
  const result: ListedReferrers = { referrers: [], via: "tag-schema" };
  if (found.kind === "absent") {
    if (note !== undefined) result.note = note;
    return result;
  }
  if (found.kind === "not-an-index") {
    result.note = [note, `the referrers tag ${tag} holds ${found.why}: no referrers listed`].filter((n) => n !== undefined).join("; ");
    return result;
  }
  result.referrers = artifactType === undefined ? found.index.manifests : found.index.manifests.filter((d) => d.artifactType === artifactType);
  if (note !== undefined) result.note = note;
  return result;
}

type FallbackIndex = { kind: "absent" } | { kind: "not-an-index"; why: string } | { kind: "index"; index: ImageIndexDocument; bytes: Uint8Array };

/** The index under the referrers tag, read by tag (getManifest checks it against the registry's digest). */
async function readFallbackIndex(client: RegistryClient, target: RepositoryTarget, tag: string): Promise<FallbackIndex> {
  let document: ManifestDocument;
  let bytes: Uint8Array;
  try {
    ({ document, bytes } = await client.getManifest(target, tag));
  } catch (error) {
    if (error instanceof VouchError && error.code === "INPUT_NOT_FOUND") return { kind: "absent" };
    if (error instanceof VouchError && (error.code === "INPUT_MALFORMED" || error.code === "INPUT_UNSUPPORTED_FORMAT")) return { kind: "not-an-index", why: `something unreadable (${error.message})` };
    throw error;
  }
  if (document.kind !== "index" || document.mediaType !== MEDIA_TYPES.ociIndex) return { kind: "not-an-index", why: `a ${document.mediaType}, not an OCI image index` };
  return { kind: "index", index: document, bytes };
}

/** An OCI image index, or why the bytes are not one. */
function asIndex(bytes: Uint8Array, contentType: string | undefined, what: string): ImageIndexDocument | string {
  const type = contentType?.split(";")[0]?.trim().toLowerCase();
  if (type !== MEDIA_TYPES.ociIndex) return `its Content-Type is ${type === undefined || type === "" ? "missing" : JSON.stringify(type.slice(0, 100))}, not ${MEDIA_TYPES.ociIndex}`;
  let document: ManifestDocument;
  try {
    document = parseManifestDocument(bytes, type, what);
  } catch (error) {
    return indexWithoutBadEntries(bytes) ?? `its body is not an image index (${(error as Error).message})`;
  }
  if (document.kind !== "index") return "its body is not an image index";
  return document;
}

/**
 * A referrers listing one of whose entries does not parse, with that entry left out. An entry's artifactType and
 * annotations come from whoever pushed that referrer: one odd entry must not hide every other referrer of the image
 * (whoever can push could otherwise make an image's signatures disappear). Entries left out are counted in `skipped`.
 */
function indexWithoutBadEntries(bytes: Uint8Array): (ImageIndexDocument & { skipped: string[] }) | undefined {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
  const doc = json as { schemaVersion?: unknown; mediaType?: unknown; manifests?: unknown };
  if (typeof json !== "object" || json === null || doc.schemaVersion !== 2 || !Array.isArray(doc.manifests)) return undefined;
  if (doc.mediaType !== undefined && doc.mediaType !== MEDIA_TYPES.ociIndex) return undefined;
  const manifests: Descriptor[] = [];
  const skipped: string[] = [];
  doc.manifests.forEach((entry, i) => {
    try {
      manifests.push(parseDescriptor(entry, `manifests[${i}]`, (why) => { throw new VouchError("INPUT_MALFORMED", why); }));
    } catch (error) {
      skipped.push((error as Error).message);
    }
  });
  return { kind: "index", mediaType: MEDIA_TYPES.ociIndex, manifests, skipped };
}

/**
 * Pushes a referrer (a manifest whose `subject` is `subject`) by its digest, and, unless the registry answered
 * `OCI-Subject` (it lists the manifest under its subject itself), adds it to the fallback index under
 * referrersTag(subject.digest) (distribution-spec "Pushing Manifests with Subject"): existing entries are kept, an
 * entry for the same digest is not added twice, and the new entry carries the manifest's `artifactType` (else its
 * config's media type; else `options.artifactType`, for an index) and the manifest's annotations, with
 * `options.annotations` under them. A fallback tag that holds something other than an image index is
 * INPUT_MALFORMED (the spec: "report a failure"), after the manifest itself was pushed.
 *
 * The blobs the manifest names must be pushed first. The fallback index is read, changed and written back: two
 * clients attaching to one subject at the same moment can lose an entry (the spec's own caveat; registries with
 * the referrers API do not have it). Old fallback indexes are left in the repository, untagged.
 *
 * @example const { descriptor, via } = await attachReferrer(client, target, { bytes, mediaType }, image);
 */
export async function attachReferrer(
  client: RegistryClient,
  target: RepositoryTarget,
  manifest: { bytes: Uint8Array; mediaType: string },
  subject: Descriptor,
  options: { artifactType?: string; annotations?: Readonly<Record<string, string>> } = {},
): Promise<{ descriptor: Descriptor; via: ReferrersVia }> {
  const digest = digestOf(manifest.bytes);
  const what = `referrer ${target.registry}/${target.repository}@${digest}`;
  const document = parseManifestDocument(manifest.bytes, manifest.mediaType, what);
  if (document.subject === undefined) throw new VouchError("INPUT_USAGE", `${what}: the manifest has no subject`);
  if (document.subject.digest !== subject.digest) throw new VouchError("INPUT_USAGE", `${what}: the manifest's subject is ${document.subject.digest}, not ${subject.digest}`);

  const pushed = await client.putManifest(target, digest, manifest.bytes, manifest.mediaType);
  const entry: Descriptor = { mediaType: document.mediaType, digest: pushed.descriptor.digest, size: pushed.descriptor.size };
  const artifactType = document.artifactType ?? (document.kind === "manifest" ? document.config.mediaType : undefined) ?? options.artifactType;
  if (artifactType !== undefined) entry.artifactType = artifactType;
  const annotations = { ...options.annotations, ...document.annotations };
  if (Object.keys(annotations).length > 0) entry.annotations = annotations;
  if (pushed.subjectIndexed) return { descriptor: entry, via: "api" };

  const tag = referrersTag(subject.digest);
  const found = await readFallbackIndex(client, target, tag);
  if (found.kind === "not-an-index") throw new VouchError("INPUT_MALFORMED", `${what}: the referrers tag ${tag} holds ${found.why}; not overwritten`);
  let raw: Record<string, unknown> = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] };
  if (found.kind === "index") {
    if (found.index.manifests.some((m) => m.digest === entry.digest)) return { descriptor: entry, via: "tag-schema" };
    // The index as written (other clients' fields and entries kept byte for byte), only `manifests` grows.
    raw = JSON.parse(new TextDecoder().decode(found.bytes)) as Record<string, unknown>;
  }
  const manifests = [...(raw.manifests as unknown[]), descriptorJson(entry)];
  const updated = { ...raw, schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests };
  await client.putManifest(target, tag, new TextEncoder().encode(JSON.stringify(updated)), MEDIA_TYPES.ociIndex);
  return { descriptor: entry, via: "tag-schema" };
}

/** A descriptor as image-spec writes it (mediaType, digest, size, then the optional fields). */
function descriptorJson(d: Descriptor): Record<string, unknown> {
  const out: Record<string, unknown> = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.artifactType !== undefined) out.artifactType = d.artifactType;
  if (d.annotations !== undefined) out.annotations = d.annotations;
  return out;
}
