import parseSpdx, { type SpdxNode } from "spdx-expression-parse";
import type { License } from "../model/types.js";

/**
 * A component's licences in one canonical form, so that two tools writing the same thing differently do not
 * show as a licence change: "Apache-2.0 OR MIT" equals "MIT OR Apache-2.0", and CycloneDX's list of two
 * licences equals SPDX's "MIT AND Apache-2.0". Named (non-SPDX) licences are kept as written, after the expression.
 */
export function canonicalLicenses(licenses: readonly License[]): string[] {
  const nodes: SpdxNode[] = [];
  const names = new Set<string>();
  for (const license of licenses) {
    if ("name" in license) {
      names.add(license.name.trim());
      continue;
    }
    const node = parse(license.expression);
    if (node) nodes.push(node);
    else names.add(license.expression.trim());
  }
  const expression = nodes.length === 0 ? [] : [render(nodes.reduce((left, right) => ({ left, conjunction: "and", right })), undefined)];
  return [...expression, ...[...names].sort()];
}

function parse(expression: string): SpdxNode | undefined {
  try {
    return parseSpdx(expression);
  } catch {
    return undefined;
  }
}

/** Operands of a chain of the same operator, flattened and sorted (AND and OR are commutative and associative). */
function render(node: SpdxNode, parent: "and" | "or" | undefined): string {
  if ("license" in node) {
    const id = `${node.license}${node.plus ? "+" : ""}`;
    return node.exception ? `${id} WITH ${node.exception}` : id;
  }
  const operands = [...new Set(flatten(node, node.conjunction).map((n) => render(n, node.conjunction)))].sort();
  const text = operands.join(node.conjunction === "and" ? " AND " : " OR ");
  return parent === undefined || operands.length < 2 ? text : `(${text})`;
}

function flatten(node: SpdxNode, conjunction: "and" | "or"): SpdxNode[] {
  if ("license" in node || node.conjunction !== conjunction) return [node];
  return [...flatten(node.left, conjunction), ...flatten(node.right, conjunction)];
}
