import type { VexSource, VexStatus } from "../findings.js";
import type { VersRange } from "./vers.js";

/**
 * VEX documents parsed once, at the edge, into one narrow shape for both formats (OpenVEX v0.2.0 and CycloneDX
 * VEX): statements saying what status a vulnerability has in which products. Application (apply.ts) reads only
 * this shape.
 */

/** Something a statement names: a purl ("pkg:…"), a CycloneDX bom-ref, or another IRI (an image reference). */
export type Identifier = string;

export interface VexProduct {
  /** Every identifier of the product (OpenVEX @id and identifiers.purl/cpe; CycloneDX ref and the purl it resolves to). */
  readonly ids: readonly Identifier[];
  /** The subcomponents the statement is about, each with its identifiers; empty: the product itself. */
  readonly subcomponents: readonly (readonly Identifier[])[];
  /**
   * CycloneDX affects[].versions: the statement applies only to these exact versions and to the versions in `ranges`
   * (both undefined: any version).
   */
  readonly versions?: readonly string[];
  /** CycloneDX affects[].versions[].range: vers ranges whose scheme vouch evaluates (vers.ts). */
  readonly ranges?: readonly VersRange[];
}

export interface VexStatement {
  /** The vulnerability name and its aliases, as the document writes them. */
  readonly vulnerability: string;
  readonly aliases: readonly string[];
  readonly status: VexStatus;
  readonly justification?: string;
  readonly impactStatement?: string;
  readonly actionStatement?: string;
  readonly responses?: readonly string[];
  /** The statement's effective time (RFC 3339): its own, else inherited from the document. */
  readonly timestamp?: string;
  readonly products: readonly VexProduct[];
  readonly source: VexSource;
}

export interface VexDocument {
  readonly format: "openvex" | "cyclonedx";
  /** The document's @id or serialNumber (or the caller's name for it). */
  readonly id: string;
  readonly statements: readonly VexStatement[];
  /** Things parsing left out and why (a CycloneDX version range vouch does not evaluate). */
  readonly notes: readonly string[];
}
