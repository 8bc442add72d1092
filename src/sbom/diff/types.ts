import type { Ecosystem, HashAlgorithm } from "../model/types.js";

/**
 * The diff of two SBOMs. Plain data (JSON.stringify writes it as is for `-o json`); every list sorted by
 * component, then version.
 */

export const DIFF_KINDS = ["added", "removed", "upgraded", "downgraded", "license", "hash-mismatch"] as const;

export type DiffKind = (typeof DIFF_KINDS)[number];

export interface DiffComponent {
  /** What matched the two sides: the purl without version, else "ecosystem/group/name". */
  key: string;
  /** The name as people write it: "@scope/name", "group:artifact", "github.com/a/b". */
  name: string;
  version: string;
  ecosystem: Ecosystem;
  purl?: string;
  /** Declared licences (SPDX expression or name); empty when none is declared. */
  licenses: string[];
}

export interface VersionChange {
  key: string;
  name: string;
  from: string;
  to: string;
  /** The new side's purl, else the old side's. */
  purl?: string;
}

export interface LicenseChange {
  key: string;
  name: string;
  /** The new side's version (the same as the old one unless it also moved). */
  version: string;
  /** Empty: no licence declared on that side. */
  from: string[];
  to: string[];
  purl?: string;
}

export interface DigestMismatch {
  algorithm: HashAlgorithm;
  old: string[];
  new: string[];
}

/** The same component at the same version with a different digest: the artifact was swapped or rebuilt. */
export interface HashMismatch {
  key: string;
  name: string;
  version: string;
  purl?: string;
  digests: DigestMismatch[];
}

export interface SbomDiff {
  summary: Record<DiffKind, number> & { unchanged: number };
  added: DiffComponent[];
  removed: DiffComponent[];
  upgraded: VersionChange[];
  downgraded: VersionChange[];
  licenseChanged: LicenseChange[];
  hashMismatch: HashMismatch[];
}
