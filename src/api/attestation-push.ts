import { namingFile, readBytesFile } from "./files.js";
import type { ProvenanceGraph, ProvenanceNode } from "../sbom-index/provenance.js";
import type { AttestationRecord } from "../store/ports.js";
import type { IndexClient } from "./index-client.js";

/**
 * `vouch push attestation FILE` and `vouch query provenance`: attestations into a `vouch serve` index, and the
 * provenance graph out.
 *
 * @example
 *   const { attestation } = await pushAttestationFile(new IndexClient({ server, token }), "app.sigstore.json");
 *   attestation.verified; // false: attestation.reason says why
 */
export async function pushAttestationFile(client: IndexClient, file: string): Promise<{ created: boolean; attestation: AttestationRecord }> {
  const bytes = readBytesFile(file);
  return namingFile(file, client.pushAttestation(bytes));
}

/** One line for a human, and the reason when the server could not verify it. */
export function renderAttestationPush(result: { created: boolean; attestation: AttestationRecord }): string {
  const a = result.attestation;
  const subjects = a.subjects.map((s) => (s.name === "" ? s.digest : `${s.name} (${s.digest})`)).join(", ") || "no subject";
  const signer = a.signer ? ` signed by ${a.signer.identity}${a.signer.issuer ? ` (${a.signer.issuer})` : ""}` : "";
  const verdict = a.verified ? `verified${signer}` : `NOT verified: ${a.reason ?? "no reason given"}`;
  return `${result.created ? "stored" : "already stored"} ${a.id} (${a.predicateType ?? a.mediaType ?? a.kind}) for ${subjects}: ${verdict}\n`;
}

/** The graph as indented text: each node once, then what it links to. */
export function renderProvenanceGraph(graph: ProvenanceGraph): string {
  if (graph.nodes.length === 0) return "nothing found\n";
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const lines: string[] = [];
  for (const node of graph.nodes) {
    lines.push(`${node.type.padEnd(11)} ${describe(node)}`);
    for (const e of graph.edges.filter((x) => x.from === node.id)) {
      const to = byId.get(e.to);
      lines.push(`  ${e.kind} → ${to ? `${to.type} ${short(describe(to))}` : e.to}`);
    }
  }
  if (graph.truncated) lines.push("(more artifacts matched than one answer holds)");
  return `${lines.join("\n")}\n`;
}

function describe(n: ProvenanceNode): string {
  switch (n.type) {
    case "source":
      return `${n.repo ?? "(repository not named)"} @ ${n.commit}`;
    case "builder":
      return `${n.builderId}${n.buildType ? ` (${n.buildType})` : ""}`;
    case "run":
      return n.invocationId || "(no invocation id)";
    case "artifact":
      return `${n.digest}${n.names.length > 0 ? ` (${n.names.join(", ")})` : ""}`;
    case "sbom":
      return `${n.sbomId} ${n.service}${n.version ? ` ${n.version}` : ""} (${n.format})`;
    case "attestation":
      return `${n.attestationId} ${n.predicateType ?? n.kind} ${n.verified ? "verified" : `NOT verified: ${n.reason ?? ""}`}`;
    case "signer":
      return `${n.identity}${n.issuer ? ` (${n.issuer})` : ""}`;
    case "logEntry":
      return `log ${n.logId.slice(0, 16)}… index ${n.logIndex}${n.integratedTime ? ` at ${n.integratedTime}` : ""}`;
    case "deployment":
      return `${n.service} in ${n.environment} since ${n.deployedAt}${n.current ? " (current)" : ""}`;
  }
}

function short(text: string): string {
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}
