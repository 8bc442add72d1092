import { VouchError } from "../core/errors.js";
import { diffSboms, type SbomDiff } from "../sbom/diff/index.js";
import { readSbom } from "../sbom/read/index.js";
import type { IndexSbom, IndexStore } from "../store/ports.js";

/**
 * The SBOM diff between two releases of a service (issue 9), over the documents the index keeps: the foundation's
 * diff (src/sbom/diff: added, removed, upgraded, downgraded, licence changes, same version with another checksum),
 * across formats (an SPDX release against a CycloneDX one).
 */

export interface ReleaseDiffQuery {
  service: string;
  /** The older release (the `version` it was pushed with), or an SBOM id / artifact digest (`sha256:…`). */
  from: string;
  to: string;
}

/** One side of the diff: the SBOM the release resolved to. */
export interface ReleaseSide {
  /** What was asked. */
  release: string;
  version?: string;
  sbom: string;
  digest?: string;
  format: "spdx" | "cyclonedx";
  specVersion: string;
  components: number;
  /** RFC 3339 */
  ingestedAt: string;
}

export interface ReleaseDiff {
  service: string;
  from: ReleaseSide;
  to: ReleaseSide;
  diff: SbomDiff;
  /** What the answer chose ("release 1.4.0 has 2 SBOMs; the newest ingested is compared"). */
  notes?: string[];
}

/** What `GET /api/v1/services/{service}/diff` calls (the route holds only this). */
export interface ReleaseDiffer {
  diff(query: ReleaseDiffQuery): Promise<ReleaseDiff>;
}

/**
 * A release names SBOMs by the `version` they were pushed with; `sha256:…` names an SBOM by its id or by the artifact
 * it describes. When a release has several SBOMs (one per format, or pushed again after a rebuild), the newest
 * ingested is compared, and the answer says so.
 *
 * @example
 *   const differ = createReleaseDiffer(store);
 *   const { diff } = await differ.diff({ service: "checkout", from: "1.4.0", to: "1.5.0" });
 *   diff.upgraded; // [{ name: "org.apache.logging.log4j:log4j-core", from: "2.14.1", to: "2.16.0", … }]
 */
export function createReleaseDiffer(store: Pick<IndexStore, "listSboms" | "findSbom" | "readDocument">): ReleaseDiffer {
  async function side(service: string, release: string, notes: string[]): Promise<{ side: ReleaseSide; text: string }> {
    let found: IndexSbom[];
    if (/^sha256:[0-9a-f]{64}$/.test(release)) {
      const byDigest = await store.listSboms({ services: [service], digests: [release] });
      const byId = byDigest.length > 0 ? undefined : await store.findSbom(release);
      found = byId !== undefined && byId.service === service ? [byId] : byDigest;
    } else {
      found = await store.listSboms({ services: [service], version: release });
    }
    const sbom = found.at(-1);
    if (sbom === undefined) {
      throw new VouchError("INPUT_NOT_FOUND", `service ${JSON.stringify(service)} has no SBOM for release ${JSON.stringify(release)} in the index (vouch push sbom --service ${service} --version ${release})`);
    }
    if (found.length > 1) notes.push(`release ${release} has ${found.length} SBOMs; the newest ingested (${sbom.id}, ${sbom.ingestedAt}) is compared`);
    const bytes = await store.readDocument(sbom.id);
    if (bytes === undefined) throw new VouchError("STORE_CORRUPT", `the index lists SBOM ${sbom.id} but holds no document for it`);
    const out: ReleaseSide = {
      release,
      sbom: sbom.id,
      format: sbom.format,
      specVersion: sbom.specVersion,
      components: sbom.components,
      ingestedAt: sbom.ingestedAt,
    };
    if (sbom.version !== undefined) out.version = sbom.version;
    if (sbom.digest !== undefined) out.digest = sbom.digest;
    return { side: out, text: new TextDecoder().decode(bytes) };
  }

  return {
    async diff(query) {
      const notes: string[] = [];
      const from = await side(query.service, query.from, notes);
      const to = await side(query.service, query.to, notes);
      // The documents were read when they were ingested; one that no longer reads is damage, not the caller's input.
      const read = (text: string, id: string) => {
        try {
          return readSbom(text, id).sbom;
        } catch (err) {
          throw new VouchError("STORE_CORRUPT", `the stored document of SBOM ${id} no longer reads as an SBOM: ${(err as Error).message}`, { cause: err });
        }
      };
      const diff = diffSboms(read(from.text, from.side.sbom), read(to.text, to.side.sbom));
      const result: ReleaseDiff = { service: query.service, from: from.side, to: to.side, diff };
      if (notes.length > 0) result.notes = notes;
      return result;
    },
  };
}
