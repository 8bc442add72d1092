import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { serializeBundle } from "../bundle/serialize.js";
import type { Bundle } from "../bundle/types.js";
import type { Descriptor } from "../catalog/sources/image/types.js";
import { encodePem } from "../core/crypto/keys.js";
import { VouchError } from "../core/errors.js";
import { buildStatement, encodeStatement, INTOTO_PAYLOAD_TYPE } from "../core/intoto/statement.js";
import {
  appendLegacyLayer,
  bundleReferrerManifest,
  cosignTag,
  detectSbomFormat,
  imageSignatureStatement,
  IMAGE_SIGNATURE_PREDICATE,
  legacyAttestationLayer,
  legacySignatureLayer,
  rekorBundleFromTlogEntry,
  sbomReferrerManifest,
  simpleSigningPayload,
  type BuiltArtifact,
} from "../oci/attachments/index.js";
import type { RegistryClient, RepositoryTarget } from "../oci/client.js";
import { attachReferrer } from "../oci/referrers.js";
import { dsseBundle, messageSignatureBundle } from "../sign/bundle-builder.js";
import { signDsse } from "../sign/dsse.js";
import type { SignerMaterial } from "../sign/signer.js";
import { checkPredicateShape, predicateTypeOf, readPredicate } from "./attest.js";
import { resolveImage, type RegistryAccessOptions, type ResolvedImage } from "./image-registry.js";
import { bundleToJson, certificateIdentity, openSigningSession, type CertificateIdentity, type SignerOptions, type SigningSession } from "./sign.js";

/** Where a signature, attestation or SBOM went: an OCI 1.1 referrer (API or tag schema), or cosign's tag layout. */
export type StoredAs =
  | { kind: "referrer"; via: "api" | "tag-schema"; manifest: string }
  | { kind: "cosign-tag"; tag: string; manifest: string };

export interface ImageAttachOptions extends SignerOptions, RegistryAccessOptions {
  /**
   * `--tag-fallback`: store in cosign's tag layout (`sha256-<hex>.sig` / `.att` / `.sbom`, cosign's simple-signing
   * payload and annotations) so cosign v2 and tools that only read that layout find it. Default: an OCI 1.1 referrer
   * holding a Sigstore bundle v0.3, as cosign v3 does.
   */
  tagFallback?: boolean;
  /** `--recursive`: for an index, also each platform manifest it lists (the index digest itself is always signed). */
  recursive?: boolean;
  /** Clock for `org.opencontainers.image.created` (default: now; SOURCE_DATE_EPOCH is the caller's business). */
  now?: () => Date;
}

export interface SignedImageEntry {
  /** The manifest or index digest signed. */
  digest: string;
  platform?: string;
  stored: StoredAs;
  /** The bundle that was stored (for a tag-fallback signature: the same signature as a bundle, for the record). */
  bundle: Bundle;
}

export interface SignedImage {
  /** The reference as given. */
  reference: string;
  /** registry/repository@digest: what was signed. */
  pinned: string;
  /** True when the reference named a tag (the digest was resolved from it once, first). */
  resolvedFromTag: boolean;
  entries: SignedImageEntry[];
  identity?: CertificateIdentity;
}

/**
 * `vouch sign IMAGE`: signs an image by digest and stores the signature in its registry. Default (cosign v3): an
 * in-toto statement for the image (predicate https://sigstore.dev/cosign/sign/v1) in a DSSE bundle, attached as an
 * OCI 1.1 referrer. With `tagFallback` (cosign v2): a signature over cosign's simple-signing payload in the
 * `sha256-<hex>.sig` image. A tag is resolved to its digest first; the digest is what is signed and what the result
 * names.
 *
 * @example
 *   const signed = await signImage("localhost:5000/app:1.0", { key: "cosign.key", password: { env: process.env } });
 *   console.log(signed.pinned, signed.entries[0].stored);
 */
export async function signImage(reference: string, options: ImageAttachOptions): Promise<SignedImage> {
  return signEachSubject(reference, options, async ({ image, subject, session, created }) => {
    const digest = subject.descriptor.digest;
    if (options.tagFallback) {
      const payload = simpleSigningPayload({ dockerReference: image.name, manifestDigest: digest });
      const signed = await session.signer.sign(payload);
      const payloadDigest = new Uint8Array(createHash("sha256").update(payload).digest());
      const bundle = await session.witness(messageSignatureBundle({ algorithm: "SHA2_256", value: payloadDigest }, signed.signature, signed.material), signed.material);
      const layer = legacySignatureLayer({ payload, signature: signed.signature, ...certificateFields(signed.material), ...legacyLogFields(bundle) });
      return { bundle, material: signed.material, stored: await appendToCosignTag(image.client, image.ref, digest, ".sig", layer) };
    }
    const { bundle, material } = await signStatement(session, encodeStatement(imageSignatureStatement(image.name, digest)));
    return { bundle, material, stored: await attachBundle(image.client, image.ref, subject.descriptor, bundle, IMAGE_SIGNATURE_PREDICATE, created) };
  });
}

export interface ImageAttestOptions extends ImageAttachOptions {
  /** A short name (slsaprovenance, spdx, cyclonedx, vuln, openvex, custom, …) or any predicate type URI. */
  type: string;
  /** The predicate, already parsed; or `predicatePath`, a JSON file. */
  predicate?: Record<string, unknown>;
  predicatePath?: string;
}

export interface AttestedImage extends SignedImage {
  predicateType: string;
}

/**
 * `vouch attest IMAGE --type T --predicate F`: an in-toto Statement v1 whose subject is the image (name and digest)
 * in a DSSE bundle, attached as an OCI 1.1 referrer (cosign v3), or with `tagFallback` as a layer of the
 * `sha256-<hex>.att` image (cosign v2's attestation layout).
 *
 * @example
 *   await attestImage("localhost:5000/app@sha256:…", { type: "slsaprovenance", predicatePath: "provenance.json", key: "cosign.key" });
 */
export async function attestImage(reference: string, options: ImageAttestOptions): Promise<AttestedImage> {
  const predicateType = predicateTypeOf(options.type);
  const predicate = options.predicate ?? (options.predicatePath !== undefined ? readPredicate(options.predicatePath) : undefined);
  if (predicate === undefined) throw new VouchError("INPUT_USAGE", "a predicate is needed: --predicate FILE");
  checkPredicateShape(predicateType, predicate, options.predicatePath);
  const signed = await signEachSubject(reference, options, async ({ image, subject, session, created }) => {
    const statement = buildStatement([{ name: image.name, digest: { sha256: hexOf(subject.descriptor.digest) } }], predicateType, predicate);
    const { bundle, material } = await signStatement(session, encodeStatement(statement));
    if (!options.tagFallback) return { bundle, material, stored: await attachBundle(image.client, image.ref, subject.descriptor, bundle, predicateType, created) };
    const envelopeJson = new TextEncoder().encode(JSON.stringify(serializeBundle(bundle).dsseEnvelope));
    const layer = legacyAttestationLayer({ envelopeJson, predicateType, ...certificateFields(material), ...legacyLogFields(bundle) });
    return { bundle, material, stored: await appendToCosignTag(image.client, image.ref, subject.descriptor.digest, ".att", layer) };
  });
  return { ...signed, predicateType };
}

export interface SbomAttachOptions extends Omit<ImageAttachOptions, "recursive"> {
  /** The SBOM file (CycloneDX or SPDX JSON). */
  sbom: string;
  /** `--attest`: sign it as an attestation (predicate type cyclonedx or spdx) instead of attaching it unsigned. */
  attest?: boolean;
}

export interface AttachedSbom {
  reference: string;
  pinned: string;
  resolvedFromTag: boolean;
  format: "cyclonedx" | "spdx";
  /** The SBOM's own digest (what `vouch download sbom` gives back, byte for byte). */
  sbomDigest: string;
  stored: StoredAs;
  identity?: CertificateIdentity;
}

/**
 * `vouch sbom attach IMAGE --sbom F`: the SBOM as an OCI 1.1 referrer of the image (artifactType
 * application/vnd.cyclonedx+json or application/spdx+json, as oras and cosign use; with `tagFallback`, cosign's
 * `sha256-<hex>.sbom` tag), or with `attest` a signed attestation whose predicate is the SBOM.
 */
export async function attachSbom(reference: string, options: SbomAttachOptions): Promise<AttachedSbom> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(options.sbom);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new VouchError(code === "ENOENT" ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE", code === "ENOENT" ? "no such SBOM file" : `cannot read (${code ?? "error"})`, { file: options.sbom });
  }
  const format = detectSbomFormat(bytes, options.sbom);
  const sbomDigest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  if (options.attest) {
    const attested = await attestImage(reference, { ...options, type: format, predicate: readPredicate(options.sbom), recursive: false });
    const entry = attested.entries[0]!;
    return { reference, pinned: attested.pinned, resolvedFromTag: attested.resolvedFromTag, format, sbomDigest, stored: entry.stored, ...(attested.identity ? { identity: attested.identity } : {}) };
  }
  const image = await resolveImage(reference, options);
  const created = (options.now ?? (() => new Date()))();
  let stored: StoredAs;
  if (options.tagFallback) {
    // cosign attach sbom: the `.sbom` image's one layer is the document, media type its format's.
    const built = sbomReferrerManifest({ sbom: bytes, format, subject: undefined, created });
    const tag = cosignTag(image.descriptor.digest, ".sbom");
    const manifest = await pushBuilt(image.client, image.ref, built, tag);
    stored = { kind: "cosign-tag", tag, manifest: manifest.digest };
  } else {
    const built = sbomReferrerManifest({ sbom: bytes, format, subject: image.descriptor, created });
    stored = await attachBuilt(image.client, image.ref, built, image.descriptor);
  }
  return { reference, pinned: image.pinned, resolvedFromTag: image.byTag, format, sbomDigest, stored };
}

// ---------------------------------------------------------------------------------------------------------------

interface SigningSubject {
  descriptor: Descriptor;
}

interface SubjectContext {
  image: ResolvedImage;
  subject: SigningSubject;
  session: SigningSession;
  created: Date;
}

/**
 * The shared skeleton of `vouch sign|attest IMAGE`: resolve the reference to a digest, pick the subjects (the index,
 * and with `recursive` its platform manifests), open one signing session (one keyless certificate for all of them),
 * and sign and store each subject with `signOne`.
 */
async function signEachSubject(
  reference: string,
  options: ImageAttachOptions,
  signOne: (context: SubjectContext) => Promise<{ bundle: Bundle; material: SignerMaterial; stored: StoredAs }>,
): Promise<SignedImage> {
  const image = await resolveImage(reference, options);
  const subjects = await subjectsToSign(image, options.recursive ?? false);
  const session = await openSigningSession(options);
  const created = (options.now ?? (() => new Date()))();
  const entries: SignedImageEntry[] = [];
  let material: SignerMaterial | undefined;
  for (const subject of subjects) {
    const signed = await signOne({ image, subject, session, created });
    material = signed.material;
    entries.push({ digest: subject.descriptor.digest, ...platformOf(subject), stored: signed.stored, bundle: signed.bundle });
  }
  const identity = material === undefined ? undefined : certificateIdentity(material);
  return { reference, pinned: image.pinned, resolvedFromTag: image.byTag, entries, ...(identity ? { identity } : {}) };
}

/**
 * The index (or manifest) itself, and with `recursive` each manifest an index lists: signing an index signs the index
 * digest only (cosign's default), so a verifier pulling one platform by digest finds nothing unless asked for.
 */
async function subjectsToSign(image: ResolvedImage, recursive: boolean): Promise<SigningSubject[]> {
  const top: SigningSubject = { descriptor: image.descriptor };
  if (!recursive) return [top];
  const fetched = await image.client.getManifest(image.ref, image.descriptor.digest);
  if (fetched.document.kind !== "index") return [top];
  const children = fetched.document.manifests.filter((m) => !isAttestationManifest(m));
  return [top, ...children.map((descriptor) => ({ descriptor }))];
}

/** BuildKit stores its attestations in the index as `unknown/unknown` manifests: they are not platforms to sign. */
function isAttestationManifest(descriptor: Descriptor): boolean {
  return descriptor.platform?.os === "unknown" || descriptor.annotations?.["vnd.docker.reference.type"] === "attestation-manifest";
}

function platformOf(subject: SigningSubject): { platform?: string } {
  const p = subject.descriptor.platform;
  if (p === undefined) return {};
  return { platform: [p.os, p.architecture, p.variant].filter((s) => s !== undefined && s !== "").join("/") };
}

async function signStatement(session: SigningSession, payload: Uint8Array): Promise<{ bundle: Bundle; material: SignerMaterial }> {
  const { envelope, material } = await signDsse(session.signer, INTOTO_PAYLOAD_TYPE, payload);
  return { bundle: await session.witness(dsseBundle(envelope, material), material), material };
}

async function attachBundle(client: RegistryClient, target: RepositoryTarget, subject: Descriptor, bundle: Bundle, predicateType: string, created: Date): Promise<StoredAs> {
  const built = bundleReferrerManifest({
    bundleJson: new TextEncoder().encode(bundleToJson(bundle)),
    subject,
    content: bundle.content.kind === "dsseEnvelope" ? "dsse-envelope" : "message-signature",
    predicateType,
    created,
  });
  return attachBuilt(client, target, built, subject);
}

async function attachBuilt(client: RegistryClient, target: RepositoryTarget, built: BuiltArtifact, subject: Descriptor): Promise<StoredAs> {
  for (const blob of built.blobs) await client.pushBlob(target, blob.bytes, blob.descriptor.mediaType);
  const attached = await attachReferrer(client, target, { bytes: built.manifest.bytes, mediaType: built.manifest.mediaType }, subject, {
    ...(built.manifest.artifactType ? { artifactType: built.manifest.artifactType } : {}),
    ...(built.manifest.annotations ? { annotations: built.manifest.annotations } : {}),
  });
  return { kind: "referrer", via: attached.via, manifest: attached.descriptor.digest };
}

async function pushBuilt(client: RegistryClient, target: RepositoryTarget, built: BuiltArtifact, tag: string): Promise<Descriptor> {
  for (const blob of built.blobs) await client.pushBlob(target, blob.bytes, blob.descriptor.mediaType);
  const { descriptor } = await client.putManifest(target, tag, built.manifest.bytes, built.manifest.mediaType);
  return descriptor;
}

/**
 * cosign's tag layout keeps every signature of an image as a layer of one `sha256-<hex>.sig` image (`.att` for
 * attestations): read it, add the layer (an identical one is not added twice), push it back under the tag. Two
 * signers racing on one tag can lose a layer, as with cosign; the referrers path does not have that problem.
 */
async function appendToCosignTag(client: RegistryClient, target: RepositoryTarget, digest: string, suffix: ".sig" | ".att", layer: Parameters<typeof appendLegacyLayer>[1]): Promise<StoredAs> {
  const tag = cosignTag(digest, suffix);
  const existing = await client.findManifest(target, tag);
  const built = appendLegacyLayer(existing?.document, layer);
  const manifest = await pushBuilt(client, target, built, tag);
  return { kind: "cosign-tag", tag, manifest: manifest.digest };
}

/** cosign's certificate annotations: the leaf, and the rest of the chain, as PEM. */
function certificateFields(material: SignerMaterial): { certificatePem?: string; chainPem?: string } {
  if (material.kind !== "certificate") return {};
  const [leaf, ...chain] = material.certificates;
  return {
    ...(leaf ? { certificatePem: encodePem("CERTIFICATE", leaf) } : {}),
    ...(chain.length > 0 ? { chainPem: chain.map((c) => encodePem("CERTIFICATE", c)).join("") } : {}),
  };
}

/** The log entry as cosign's `dev.sigstore.cosign/bundle` (the Rekor SET bundle), when the signature was logged. */
function legacyLogFields(bundle: Bundle): { rekorBundle?: ReturnType<typeof rekorBundleFromTlogEntry> } {
  const entry = bundle.tlogEntries[0];
  if (entry === undefined || entry.signedEntryTimestamp === undefined) return {};
  return { rekorBundle: rekorBundleFromTlogEntry(entry) };
}

function hexOf(digest: string): string {
  const [algorithm, hex] = digest.split(":");
  if (algorithm !== "sha256" || hex === undefined) throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `${digest}: in-toto subjects here are sha256 digests`);
  return hex;
}

