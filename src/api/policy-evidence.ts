import { isVouchError } from "../core/errors.js";
import {
  inspectBundleReferrer,
  legacyToBundle,
  parseLegacyManifest,
  parseSbomManifest,
  parseSimpleSigningPayload,
  readBundleLayer,
} from "../oci/attachments/index.js";
import type { RegistryClient, RepositoryTarget } from "../oci/client.js";
import { parseReference } from "../oci/reference.js";
import { parseStatement, resolvePredicateType } from "../core/intoto/statement.js";
import type { FoundBundle, FoundFinding, FoundSbom, ImageEvidence } from "../policy/decision.js";
import type { AdvisoryStore } from "../store/ports.js";
import type { ImagePolicy } from "../policy/model/types.js";
import { discoverAttachments, isBundleReferrer, isSbomReferrer, referrerManifest, type CosignSuffix, type CosignTagImage, type Referrer } from "./image-attachments.js";
import { openRegistryClient, resolveImage, type RegistryAccessOptions } from "./image-registry.js";
import { imageArtifact, MAX_BUNDLE_BYTES } from "./image-verify.js";
import { blobBytes, defaultContentCacheDir, diskContentCache, type ContentCache } from "./oci-content-cache.js";

/** SBOM documents read whole at most (the content cache keeps up to 16 MiB; a fleet's largest SBOMs are far below this). */
const MAX_SBOM_BYTES = 64 * 1024 * 1024;

export interface EvidenceOptions extends RegistryAccessOptions {
  /**
   * Content read by digest (referrer manifests, bundles, SBOMs): a ContentCache, `false` for none. Default: on disk
   * (defaultContentCacheDir), as `vouch verify IMAGE` does.
   */
  cache?: ContentCache | false;
}

/**
 * Everything attached to an image that policy evaluation reads, without judging any of it: every signature and
 * attestation bundle (OCI 1.1 referrers, through the API or the tag schema, and cosign's `.sig`/`.att` tag layout),
 * and every SBOM (referrers with an SPDX/CycloneDX artifact type, cosign's `.sbom` tag). Verification is evaluate's
 * (it needs each policy's authorities); here a bundle is only parsed, and one that cannot be read is left out with a
 * note saying why. A tag is resolved once; the digest is what every later step uses.
 *
 * @throws VouchError SERVICE_UNAVAILABLE when the registry cannot be reached (the engine's outage path), INPUT_NOT_FOUND
 *   when it has no such image, INPUT_USAGE for a malformed reference.
 *
 * @example
 *   const evidence = await gatherEvidence("localhost:5000/app:1.0", {});
 *   console.log(evidence.pinned, evidence.bundles.length, evidence.sboms.length);
 */
export async function gatherEvidence(reference: string, options: EvidenceOptions): Promise<ImageEvidence> {
  return createEvidenceGatherer(options).gather(reference);
}

export interface EvidenceGatherer {
  /** With `cosignSuffixes`, only those cosign tags are asked for (default all three: see cosignSuffixesFor). */
  gather(reference: string, how?: { cosignSuffixes?: readonly CosignSuffix[] }): Promise<ImageEvidence>;
  /** Tag → digest only (the mutating webhook's pinning); a reference with a digest is checked against the registry. */
  resolve(reference: string): Promise<{ pinned: string; digest: string; resolvedFromTag: boolean }>;
}

/** A gatherer for many images: registry clients (and their bearer tokens) kept per registry, one content cache. */
export function createEvidenceGatherer(options: EvidenceOptions): EvidenceGatherer {
  const cache = options.cache === false ? undefined : (options.cache ?? diskContentCache(defaultContentCacheDir(options.env)));
  const clients = new Map<string, Promise<RegistryClient>>();
  const clientFor = (reference: string): Promise<RegistryClient> => {
    const registry = parseReference(stripScheme(reference)).registry;
    let client = clients.get(registry);
    if (client === undefined) {
      client = openRegistryClient(registry, options);
      // A failed open (a bad Docker config) is not kept: the next request tries again.
      client.catch(() => clients.delete(registry));
      clients.set(registry, client);
    }
    return client;
  };
  return {
    async resolve(reference) {
      const image = await resolveImage(stripScheme(reference), { ...options, client: await clientFor(reference) });
      return { pinned: image.pinned, digest: image.descriptor.digest, resolvedFromTag: image.byTag };
    },
    async gather(reference, how = {}) {
      const image = await resolveImage(stripScheme(reference), { ...options, client: await clientFor(reference) }, { digestOnly: true });
      const subject = image.descriptor.digest;
      const found = await discoverAttachments(image.client, image.ref, subject, { ...(cache !== undefined ? { cache } : {}), ...(how.cosignSuffixes !== undefined ? { cosignSuffixes: how.cosignSuffixes } : {}) });
      const context: GatherContext = { client: image.client, target: image.ref, subject, cache, notes: [...found.notes] };
      const bundles: Promise<FoundBundle[]>[] = [];
      const sboms: Promise<FoundSbom[]>[] = [];
      for (const referrer of found.referrers) {
        if (isBundleReferrer(referrer)) bundles.push(referrerBundle(context, referrer));
        else if (isSbomReferrer(referrer)) sboms.push(referrerSbom(context, referrer));
      }
      for (const tagImage of found.cosignTags) {
        if (tagImage.suffix === ".sbom") sboms.push(cosignSbom(context, tagImage));
        else bundles.push(cosignBundles(context, tagImage));
      }
      const [gotBundles, gotSboms] = await Promise.all([Promise.all(bundles), Promise.all(sboms)]);
      return {
        reference,
        pinned: image.pinned,
        digest: subject,
        resolvedFromTag: image.byTag,
        bundles: gotBundles.flat(),
        sboms: gotSboms.flat(),
        notes: context.notes,
      };
    },
  };
}

/**
 * The cosign tags (`sha256-<hex>.sig`, `.att`, `.sbom`) whose content the policies can use, so that the registry is
 * not asked for the others (each is a round trip per image, usually answered 404): `.sig` holds signatures (for
 * authorities other than `static`), `.att` attestations (attestation rules, and SBOM attestations for SBOM and
 * vulnerability rules), `.sbom` SBOMs (SBOM and vulnerability rules). OCI referrers are always listed: one listing
 * holds every kind.
 */
export function cosignSuffixesFor(policies: readonly ImagePolicy[]): CosignSuffix[] {
  const wanted = new Set<CosignSuffix>();
  for (const policy of policies) {
    if (policy.authorities.some((a) => a.type !== "static")) wanted.add(".sig");
    if (policy.attestations.length > 0 || policy.sbom !== undefined || policy.vulnerabilities !== undefined) wanted.add(".att");
    if (policy.sbom !== undefined || policy.vulnerabilities !== undefined) wanted.add(".sbom");
  }
  return ([".sig", ".att", ".sbom"] as const).filter((s) => wanted.has(s));
}

interface GatherContext {
  client: RegistryClient;
  target: RepositoryTarget;
  subject: string;
  cache: ContentCache | undefined;
  notes: string[];
}

function stripScheme(reference: string): string {
  return reference.startsWith("registry:") ? reference.slice("registry:".length) : reference;
}

/**
 * Reads one attachment; an unreadable one becomes a note and is left out (a policy that needed it fails on its
 * absence, naming what was found). A registry that stops answering is not an unreadable attachment: it propagates.
 */
async function leftOutOnError<T>(context: GatherContext, location: string, work: () => Promise<T[]>): Promise<T[]> {
  try {
    return await work();
  } catch (error) {
    if (!isVouchError(error) || error.code === "SERVICE_UNAVAILABLE") throw error;
    context.notes.push(`${location}: left out (${error.message})`);
    return [];
  }
}

function referrerBundle(context: GatherContext, referrer: Referrer): Promise<FoundBundle[]> {
  const location = referrer.manifest.digest;
  return leftOutOnError(context, location, async () => {
    const manifest = await referrerManifest(context.client, context.target, referrer, context.cache);
    // The subject is checked: the tag-schema index is writable by anyone who can push, and could list another
    // image's signature under this one.
    const { layer, content } = inspectBundleReferrer(manifest.document, { subject: context.subject });
    const bundle = readBundleLayer(layer, await blobBytes(context.client, context.cache, context.target, layer, MAX_BUNDLE_BYTES), content);
    return [{ location, source: "referrer", bundle, artifact: imageArtifact(context.subject) }];
  });
}

function referrerSbom(context: GatherContext, referrer: Referrer): Promise<FoundSbom[]> {
  const location = referrer.manifest.digest;
  return leftOutOnError(context, location, async () => {
    const manifest = await referrerManifest(context.client, context.target, referrer, context.cache);
    const { layer } = parseSbomManifest(manifest.document);
    const bytes = await blobBytes(context.client, context.cache, context.target, layer, MAX_SBOM_BYTES);
    const subjectDigest = manifest.document.subject?.digest;
    return [{ location, source: "referrer", bytes, ...(subjectDigest !== undefined ? { subjectDigest } : {}) }];
  });
}

function cosignSbom(context: GatherContext, tagImage: CosignTagImage): Promise<FoundSbom[]> {
  return leftOutOnError(context, `${tagImage.tag}@${tagImage.manifest.digest}`, async () => {
    const { layer } = parseSbomManifest(tagImage.document);
    const bytes = await blobBytes(context.client, context.cache, context.target, layer, MAX_SBOM_BYTES);
    // The tag's name is the subject (`sha256-<hex>.sbom`): cosign's layout has no other.
    return [{ location: `${tagImage.tag} layer ${layer.digest}`, source: "cosign-tag", bytes, subjectDigest: context.subject }];
  });
}

async function cosignBundles(context: GatherContext, tagImage: CosignTagImage): Promise<FoundBundle[]> {
  const layers = await leftOutOnError(context, `${tagImage.tag}@${tagImage.manifest.digest}`, async () => parseLegacyManifest(tagImage.document));
  const found = await Promise.all(
    layers.map((layer) => {
      const location = `${tagImage.tag} layer ${layer.descriptor.digest}`;
      return leftOutOnError(context, location, async (): Promise<FoundBundle[]> => {
        const payload = await blobBytes(context.client, context.cache, context.target, layer.descriptor, MAX_BUNDLE_BYTES);
        const bundle = legacyToBundle(layer, payload);
        if (layer.kind === "attestation") return [{ location, source: "cosign-tag", bundle, artifact: imageArtifact(context.subject) }];
        // cosign's simple signing: the signature is over the payload, which names the image it is for; evaluate
        // checks that digest against the image (a payload for another image signed by the right key proves nothing).
        const claims = parseSimpleSigningPayload(payload);
        return [{ location, source: "cosign-tag", bundle, artifact: { kind: "bytes", data: payload }, simpleSigningDigest: claims.manifestDigest }];
      });
    }),
  );
  return found.flat();
}

/**
 * The vulnerability findings of an image's SBOMs, before VEX (evaluate applies the policy's VEX): every SBOM found
 * for the image is scanned, the ones in SBOM attestations (spdx / cyclonedx predicates) and the referrers whose
 * subject is the image, and the findings are the union. Which of them is signed is evaluate's to judge, after this;
 * taking the union means a document pushed beside the real one can add findings but never hide one.
 * Undefined when the image has no readable SBOM (the rule then fails for want of a scan); `notes` says what was
 * left out.
 *
 * @throws what the advisory store throws (STORE_UNAVAILABLE: the engine's outage path for the advisory database).
 */
export async function scanEvidence(evidence: ImageEvidence, advisories: AdvisoryStore): Promise<{ findings?: FoundFinding[]; notes: string[] }> {
  const notes: string[] = [];
  const documents: { name: string; text: string }[] = [];
  const sbomTypes = new Set([resolvePredicateType("spdx"), resolvePredicateType("cyclonedx")]);
  for (const found of evidence.bundles) {
    if (found.bundle.content.kind !== "dsseEnvelope") continue;
    try {
      const statement = parseStatement(found.bundle.content.envelope.payload);
      if (sbomTypes.has(statement.predicateType) && statement.predicate !== undefined) documents.push({ name: found.location, text: JSON.stringify(statement.predicate) });
    } catch (error) {
      if (!isVouchError(error)) throw error;
      // Not an in-toto statement: not an SBOM attestation either.
    }
  }
  for (const sbom of evidence.sboms) {
    if (sbom.subjectDigest !== undefined && sbom.subjectDigest !== evidence.digest) continue;
    documents.push({ name: sbom.location, text: new TextDecoder().decode(sbom.bytes) });
  }
  const { sbomScanTarget, scan } = await import("./scan.js");
  const targets = documents.flatMap((d) => {
    try {
      return [sbomScanTarget(d.text, d.name)];
    } catch (error) {
      if (!isVouchError(error)) throw error;
      notes.push(`${d.name}: not scanned (${error.message})`);
      return [];
    }
  });
  if (targets.length === 0) return { notes };
  const byKey = new Map<string, FoundFinding>();
  for (const target of targets) {
    for (const f of (await scan(advisories, target)).findings) {
      const v = f.vulnerability;
      const id = [v.id, ...v.aliases].find((x) => /^CVE-\d{4}-\d+$/.test(x)) ?? v.id;
      const finding: FoundFinding = { id, aliases: v.aliases, purl: f.component.purl, severity: v.severity?.bucket ?? "unknown", kev: v.kev !== undefined, fixAvailable: v.fixedIn.length > 0 };
      byKey.set(`${id}\u0000${finding.purl}`, finding);
    }
  }
  return { findings: [...byKey.values()].sort((a, b) => (a.purl === b.purl ? (a.id < b.id ? -1 : 1) : a.purl < b.purl ? -1 : 1)), notes };
}
