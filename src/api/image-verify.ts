import type { Bundle } from "../bundle/types.js";
import type { Descriptor } from "../catalog/sources/image/types.js";
import { VouchError, isVouchError } from "../core/errors.js";
import { IMAGE_SIGNATURE_PREDICATE, inspectBundleReferrer, legacyToBundle, parseLegacyManifest, parseSimpleSigningPayload, readBundleLayer } from "../oci/attachments/index.js";
import type { RegistryClient, RepositoryTarget } from "../oci/client.js";
import { parseReference } from "../oci/reference.js";
import { verifyBundle, type ArtifactInput, type VerificationPolicy, type VerificationResult } from "../verify/verifier.js";
import { discoverAttachments, isBundleReferrer, referrerManifest, type CosignTagImage, type Referrer } from "./image-attachments.js";
import { openRegistryClient, resolveImage, type RegistryAccessOptions } from "./image-registry.js";
import { blobBytes, defaultContentCacheDir, diskContentCache, type ContentCache } from "./oci-content-cache.js";
import { verificationPolicy, type VerificationInputs } from "./verify.js";

/** Bundles and payloads read whole at most (a bundle with an SBOM predicate can be large; more is not a signature). */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

export interface ImageVerifyOptions extends VerificationInputs, RegistryAccessOptions {
  /**
   * Where content read by digest is cached: a ContentCache, `false` for none. Default: on disk
   * (defaultContentCacheDir), so a second `vouch verify` of the same image asks the registry only what may change.
   */
  cache?: ContentCache | false;
}

/** One signature or attestation found on the image, and what verifying it gave. */
export interface CheckedAttachment {
  kind: "signature" | "attestation";
  source: "referrer" | "cosign-tag";
  /** The referrer manifest's digest, or `TAG` + the layer digest for cosign's tag layout. */
  location: string;
  predicateType?: string;
  verified: boolean;
  /** Why it was refused (the verifier's step and reason). */
  code?: string;
  reason?: string;
  result?: VerificationResult;
}

export interface ImageVerification {
  reference: string;
  /** registry/repository@digest that was verified. */
  pinned: string;
  resolvedFromTag: boolean;
  mode: "signature" | "attestation";
  /** For attestations: the predicate type asked for. */
  predicateType?: string;
  referrersVia: "api" | "tag-schema";
  checked: CheckedAttachment[];
  /** At least one of `checked` verified. */
  verified: boolean;
  /** What was odd about the registry's answers (why the tag schema was read, entries left out). */
  notes: string[];
}

/**
 * `vouch verify IMAGE`: finds the image's signatures (or, with `type`, its attestations of that predicate type) in
 * its registry, as OCI 1.1 referrers and in cosign's tag layout, verifies each with the verifier, and reports every
 * one. At least one must verify, else VERIFY_NOT_SIGNED (exit 1) with the reasons; `verified` lists the ones that did.
 *
 * @example
 *   const r = await verifyImage("localhost:5000/app:1.0", { key: "cosign.pub" });
 *   for (const c of r.checked) console.log(c.location, c.verified ? "ok" : c.reason);
 */
export async function verifyImage(reference: string, options: ImageVerifyOptions): Promise<ImageVerification> {
  const verifier = await createImageVerifier(options);
  return verifier.verify(reference);
}

export interface ImageVerifier {
  /** Like verifyImage, but with the policy, clients and cache kept between calls. */
  verify(reference: string): Promise<ImageVerification>;
  /**
   * Every signature or attestation found and its outcome, without failing when none verified (`verified` says):
   * for reports that show the refused ones too. A registry that cannot be reached still throws.
   */
  inspect(reference: string): Promise<ImageVerification>;
}

/**
 * A verifier for many images with one policy: the trusted root, key and revocations are read once, registry clients
 * (and their bearer tokens) are kept per registry, and content by digest is cached (on disk by default, as verifyImage does; `cache` picks another or none).
 */
export async function createImageVerifier(options: ImageVerifyOptions): Promise<ImageVerifier> {
  const policy = await verificationPolicy(options);
  const cache = options.cache === false ? undefined : (options.cache ?? diskContentCache(defaultContentCacheDir(options.env)));
  const clients = new Map<string, Promise<RegistryClient>>();
  const clientFor = (registry: string): Promise<RegistryClient> => {
    let client = clients.get(registry);
    if (client === undefined) {
      client = openRegistryClient(registry, options);
      clients.set(registry, client);
    }
    return client;
  };
  const inspect = async (reference: string): Promise<ImageVerification> => {
    const registry = parseReference(reference.startsWith("registry:") ? reference.slice(9) : reference).registry;
    const image = await resolveImage(reference, { ...options, client: await clientFor(registry) }, { digestOnly: true });
    const mode = policy.predicateType === undefined ? "signature" : "attestation";
    const found = await discoverAttachments(image.client, image.ref, image.descriptor.digest, { cosignSuffixes: [mode === "signature" ? ".sig" : ".att"], cache });
    const context: CheckContext = { client: image.client, target: image.ref, subject: image.descriptor, policy, cache };
    const checks: Promise<CheckedAttachment[]>[] = [];
    for (const referrer of found.referrers.filter(isBundleReferrer)) {
      if (!wanted(referrer.predicateType, mode, policy.predicateType)) continue;
      checks.push(checkReferrer(context, referrer, mode).then((c) => (c === undefined ? [] : [c])));
    }
    for (const tagImage of found.cosignTags) checks.push(checkCosignTag(context, tagImage, mode));
    const checked = (await Promise.all(checks)).flat();
    const verification: ImageVerification = {
      reference,
      pinned: image.pinned,
      resolvedFromTag: image.byTag,
      mode,
      ...(policy.predicateType !== undefined ? { predicateType: policy.predicateType } : {}),
      referrersVia: found.referrersVia,
      checked,
      verified: checked.some((c) => c.verified),
      notes: found.notes,
    };
    return verification;
  };
  return {
    inspect,
    async verify(reference) {
      const verification = await inspect(reference);
      if (!verification.verified) throw imageNotVerified(verification);
      return verification;
    },
  };
}

interface CheckContext {
  client: RegistryClient;
  target: RepositoryTarget;
  subject: Descriptor;
  policy: Omit<VerificationPolicy, "artifact">;
  cache: ContentCache | undefined;
}

/**
 * A referrer listing's annotation says what a bundle holds, so the ones that cannot match are not fetched. A
 * referrer without the annotation is fetched and decided by its statement (the verifier checks the predicate type).
 */
function wanted(predicateType: string | undefined, mode: "signature" | "attestation", asked: string | undefined): boolean {
  if (predicateType === undefined) return true;
  return mode === "signature" ? predicateType === IMAGE_SIGNATURE_PREDICATE : predicateType === asked;
}

async function checkReferrer(context: CheckContext, referrer: Referrer, mode: "signature" | "attestation"): Promise<CheckedAttachment | undefined> {
  const base = { kind: mode, source: "referrer" as const, location: referrer.manifest.digest, ...(referrer.predicateType ? { predicateType: referrer.predicateType } : {}) };
  let bundle: Bundle;
  try {
    const manifest = await referrerManifest(context.client, context.target, referrer, context.cache);
    // The subject is checked too: the tag-schema index is writable by anyone who can push, and could list another
    // image's signature under this one (the statement's digest would catch it later; this says why earlier).
    const { layer, content } = inspectBundleReferrer(manifest.document, { subject: context.subject.digest });
    bundle = readBundleLayer(layer, await blobBytes(context.client, context.cache, context.target, layer, MAX_BUNDLE_BYTES), content);
  } catch (error) {
    return refused(base, error);
  }
  // An image signature is a statement about the image (cosign v3), or a message signature over its digest.
  const predicateType = bundle.content.kind === "messageSignature" ? undefined : mode === "signature" ? IMAGE_SIGNATURE_PREDICATE : context.policy.predicateType;
  if (mode === "attestation" && bundle.content.kind === "messageSignature") return undefined; // a signature, not an attestation
  return verifyOne(base, bundle, context, imageArtifact(context.subject.digest), predicateType);
}

async function checkCosignTag(context: CheckContext, tagImage: CosignTagImage, mode: "signature" | "attestation"): Promise<CheckedAttachment[]> {
  let layers;
  try {
    layers = parseLegacyManifest(tagImage.document);
  } catch (error) {
    return [refused({ kind: mode, source: "cosign-tag", location: `${tagImage.tag}@${tagImage.manifest.digest}` }, error)];
  }
  return Promise.all(
    layers.map(async (layer) => {
      const base = { kind: mode, source: "cosign-tag" as const, location: `${tagImage.tag} layer ${layer.descriptor.digest}`, ...(layer.predicateType ? { predicateType: layer.predicateType } : {}) };
      let payload: Uint8Array;
      let bundle: Bundle;
      try {
        payload = await blobBytes(context.client, context.cache, context.target, layer.descriptor, MAX_BUNDLE_BYTES);
        bundle = legacyToBundle(layer, payload);
      } catch (error) {
        return refused(base, error);
      }
      if (mode === "attestation") return verifyOne(base, bundle, context, imageArtifact(context.subject.digest), context.policy.predicateType);
      // cosign's simple signing: the signature is over the payload, and the payload names the image it is for.
      const checked = await verifyOne(base, bundle, context, { kind: "bytes", data: payload }, undefined);
      if (!checked.verified) return checked;
      try {
        const claims = parseSimpleSigningPayload(payload);
        if (claims.manifestDigest !== context.subject.digest) {
          throw new VouchError("VERIFY_ARTIFACT", `the signed payload is for ${claims.manifestDigest}, not this image (${context.subject.digest})`);
        }
      } catch (error) {
        return refused(base, error);
      }
      return checked;
    }),
  );
}

async function verifyOne(
  base: Omit<CheckedAttachment, "verified">,
  bundle: Bundle,
  context: CheckContext,
  artifact: ArtifactInput,
  predicateType: string | undefined,
): Promise<CheckedAttachment> {
  try {
    const { predicateType: _asked, ...rest } = context.policy;
    const result = verifyBundle(bundle, { ...rest, artifact, ...(predicateType ? { predicateType } : {}) });
    return { ...base, ...(result.predicateType ? { predicateType: result.predicateType } : {}), verified: true, result };
  } catch (error) {
    return refused(base, error);
  }
}

function refused(base: Omit<CheckedAttachment, "verified">, error: unknown): CheckedAttachment {
  if (!isVouchError(error)) throw error;
  // A registry that cannot be reached is not a refused signature: the whole verification fails with that error.
  if (error.code === "SERVICE_UNAVAILABLE") throw error;
  return { ...base, verified: false, code: error.code, reason: error.message };
}

/** The image digest as the artifact a DSSE statement or message signature about the image must cover. */
export function imageArtifact(digest: string): ArtifactInput {
  const [algorithm, hex] = digest.split(":") as [string, string];
  if (algorithm !== "sha256" && algorithm !== "sha512") throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `${digest}: not a sha256 or sha512 digest`);
  return { kind: "digest", algorithm, hex };
}

/** VERIFY_NOT_SIGNED for an image none of whose signatures (or attestations) verified, with each one's reason. */
export function imageNotVerified(v: ImageVerification): VouchError {
  const what = v.mode === "signature" ? "signatures" : `attestations of type ${v.predicateType}`;
  if (v.checked.length === 0) return new VouchError("VERIFY_NOT_SIGNED", `${v.pinned}: no ${what} found (referrers via ${v.referrersVia}, and cosign's tag layout)`);
  const reasons = v.checked.map((c) => `${c.location}: ${c.reason ?? "refused"}`).join("; ");
  return new VouchError("VERIFY_NOT_SIGNED", `${v.pinned}: none of ${v.checked.length} ${what} verified (${reasons})`);
}

