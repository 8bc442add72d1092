import { parsePurl } from "../../sbom/model/purl.js";
import type { Finding, FindingComponent, VexAssessment } from "../findings.js";
import { instant } from "./read.js";
import type { Identifier, VexDocument, VexProduct, VexStatement } from "./types.js";
import { versContains, versScheme } from "./vers.js";

/**
 * Apply VEX statements to findings. A statement applies to a finding when
 *   - it names the finding's vulnerability: its name or one of its aliases is the finding's id or one of the
 *     finding's aliases (a CVE statement covers the GHSA finding that lists that CVE), and
 *   - one of its products covers the finding's component:
 *       · a product without subcomponents that IS the component (its purl covers the component's purl, or its
 *         identifier is the component's bom-ref), or that is the scanned artifact itself (one of `products`: the
 *         image or application the SBOM describes): a statement about the whole product covers every component;
 *       · a product with subcomponents applies only inside that product: the product must be the scanned artifact
 *         and a subcomponent must cover the component (as grype and go-vex match them). A statement about
 *         log4j inside some other product never switches off this product's log4j.
 * Purl coverage is go-vex's PurlMatches: same type, namespace and name; the statement's version, when it has one,
 * equal; each qualifier it states present with the same value (`pkg:apk/wolfi/git` covers every version and arch).
 *
 * Of the statements that apply, the latest wins (the statement's timestamp, else its document's; nanosecond
 * precision); on equal times the later one in the input (later document, later statement). A finding no statement
 * covers is returned unchanged. Pure: the clock is never read.
 */

export interface ApplyVexOptions {
  /**
   * Identifiers of the scanned artifact (the SBOM's root purl and bom-ref, an image reference or digest purl):
   * what statements about a whole product, and products with subcomponents, are matched against.
   */
  readonly products?: readonly Identifier[];
}

/**
 * @example
 * const out = applyVex(findings, [parseOpenVexJson(text)], { products: ["pkg:oci/app@sha256%3Aabc"] });
 * out.filter(isSuppressed) // the findings a not_affected statement switched off (kept, with the justification)
 */
export function applyVex(findings: readonly Finding[], documents: readonly VexDocument[], options: ApplyVexOptions = {}): Finding[] {
  const scanned = options.products ?? [];
  const byName = new Map<string, { statement: VexStatement; order: number; time: bigint | undefined }[]>();
  let order = 0;
  for (const doc of documents) {
    for (const statement of doc.statements) {
      const entry = { statement, order: order++, time: statement.timestamp === undefined ? undefined : instant(statement.timestamp) };
      for (const name of new Set([statement.vulnerability, ...statement.aliases])) {
        const list = byName.get(name) ?? [];
        list.push(entry);
        byName.set(name, list);
      }
    }
  }
  return findings.map((finding) => {
    let best: { statement: VexStatement; order: number; time: bigint | undefined } | undefined;
    const seen = new Set<number>();
    for (const name of [finding.vulnerability.id, ...finding.vulnerability.aliases]) {
      for (const entry of byName.get(name) ?? []) {
        if (seen.has(entry.order)) continue;
        seen.add(entry.order);
        if (!entry.statement.products.some((p) => productCovers(p, finding.component, scanned))) continue;
        if (best === undefined || later(entry, best)) best = entry;
      }
    }
    return best === undefined ? finding : { ...finding, vex: assessment(best.statement) };
  });
}

function later(a: { order: number; time: bigint | undefined }, b: { order: number; time: bigint | undefined }): boolean {
  const ta = a.time ?? -1n;
  const tb = b.time ?? -1n;
  return ta !== tb ? ta > tb : a.order > b.order;
}

function assessment(s: VexStatement): VexAssessment {
  return {
    status: s.status,
    ...(s.justification !== undefined ? { justification: s.justification } : {}),
    ...(s.impactStatement !== undefined ? { impactStatement: s.impactStatement } : {}),
    ...(s.actionStatement !== undefined ? { actionStatement: s.actionStatement } : {}),
    ...(s.responses !== undefined ? { responses: s.responses } : {}),
    source: s.source,
  };
}

function productCovers(product: VexProduct, component: FindingComponent, scanned: readonly Identifier[]): boolean {
  if ((product.versions !== undefined || product.ranges !== undefined) && !coversVersion(product, component.version)) return false;
  const isScanned = product.ids.some((id) => scanned.some((s) => identifierCovers(id, s)));
  if (product.subcomponents.length === 0) {
    return isScanned || product.ids.some((id) => coversComponent(id, component));
  }
  return isScanned && product.subcomponents.some((ids) => ids.some((id) => coversComponent(id, component)));
}

/** The product's versions list it, or one of its vers ranges contains it (a version the scheme cannot read is in none). */
function coversVersion(product: VexProduct, version: string): boolean {
  if (product.versions?.includes(version) === true) return true;
  return (product.ranges ?? []).some((range) => {
    try {
      return versContains(range, version, versScheme(range.scheme)!);
    } catch {
      return false;
    }
  });
}

function coversComponent(id: Identifier, component: FindingComponent): boolean {
  if (component.bomRef !== undefined && id === component.bomRef) return true;
  return identifierCovers(id, component.purl);
}

/** An identifier covers another when they are equal, or both are purls and the first covers the second. */
export function identifierCovers(general: Identifier, specific: Identifier): boolean {
  if (general === specific) return true;
  if (!general.startsWith("pkg:") || !specific.startsWith("pkg:")) return false;
  return purlCovers(general, specific);
}

/**
 * go-vex's PurlMatches: `general` covers `specific` when type, namespace and name are equal, general's version
 * (if any) equals specific's, and every qualifier of general is on specific with the same value (and its subpath,
 * if any, equal). An unparsable purl covers nothing: a malformed statement leaves the finding visible.
 */
export function purlCovers(general: string, specific: string): boolean {
  const g = parsePurl(general);
  const s = parsePurl(specific);
  if (!g || !s) return false;
  if (g.type !== s.type || (g.namespace ?? "") !== (s.namespace ?? "") || g.name !== s.name) return false;
  if (g.version !== undefined && g.version !== s.version) return false;
  for (const [key, value] of Object.entries(g.qualifiers ?? {})) {
    if (s.qualifiers?.[key] !== value) return false;
  }
  const gSub = general.split("#")[1];
  if (gSub !== undefined && gSub !== specific.split("#")[1]) return false;
  return true;
}
