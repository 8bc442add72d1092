import { useContext, useEffect, useState } from "react";
import { apiGet } from "../api/client";
import { ReloadContext } from "../api/reload";
import type { ArtifactSummary, AttestationDetail, AttestationRecord, ComponentPage, ProvenanceGraph, ReleaseDiff, ScanFinding } from "../api/types";
import { isApiError, settled, useApi, type Load } from "../api/useApi";
import { ProvenanceGraphView } from "../components/ProvenanceGraphView";
import { EmptyState, Section } from "../components/states";
import { formatTime, shortDigest } from "../lib/format";
import { predicateName } from "../lib/layout";
import { checkLogEntryProof, type ProofResult } from "../lib/proof";

const enc = encodeURIComponent;

export function Artifact({ digest }: { digest: string }) {
  const summary = useApi<ArtifactSummary>(`/api/v1/artifacts/${enc(digest)}`);
  const graph = useApi<ProvenanceGraph>(`/api/v1/artifacts/${enc(digest)}/provenance`);
  const sboms = summary.state === "ok" ? summary.data.sboms : [];
  const [sbomIndex, setSbomIndex] = useState(0);
  const sbom = sboms[Math.min(sbomIndex, Math.max(0, sboms.length - 1))];
  const [componentsSettled, setComponentsSettled] = useState(false);
  const previous = summary.state === "ok" && sbom !== undefined ? summary.data.previous.find((p) => p.sbomId === sbom.sbomId)?.previous : undefined;
  const diff = useApi<ReleaseDiff>(
    sbom !== undefined && previous !== undefined ? `/api/v1/services/${enc(sbom.service)}/diff` : undefined,
    sbom !== undefined && previous !== undefined ? { from: previous.sbomId, to: sbom.sbomId } : {},
  );
  const proofs = useProofs(summary.state === "ok" ? summary.data.attestations : undefined);

  const loaded = settled(summary, graph, diff) && proofs.state !== "loading" && (summary.state !== "ok" || sbom === undefined || componentsSettled);

  if (summary.state === "error" && isApiError(summary.error, 404) && graph.state !== "ok") {
    return (
      <section className="view" data-testid="view-artifact" data-loaded={loaded ? "true" : "false"}>
        <h1 className="mono wrap">{digest}</h1>
        <EmptyState title="This index knows nothing about this digest: no SBOM, attestation or deployment names it." command={`vouch push sbom FILE --server URL --token T --service NAME --digest ${digest}`}>
          <p className="note">{summary.error.message}</p>
        </EmptyState>
      </section>
    );
  }
  return (
    <section className="view" data-testid="view-artifact" data-loaded={loaded ? "true" : "false"}>
      <h1 className="mono wrap">{digest}</h1>
      <Section load={summary} what="the artifact (/api/v1/artifacts)">
        {(s) => (
          <p className="note">
            {s.services.length === 0 ? "No service names this digest." : `Services: ${s.services.join(", ")}.`}{" "}
            {s.deployments.filter((d) => d.current).map((d) => `${d.service}/${d.environment}`).join(", ") || "Not running anywhere now."}
          </p>
        )}
      </Section>

      <h2>Provenance</h2>
      <Section load={graph} what="the provenance graph (/api/v1/artifacts/…/provenance)">
        {(g) =>
          g.nodes.length <= 1 ? (
            <EmptyState title="Nothing is known about how this artifact was built, signed or deployed." command={`vouch attest provenance … && vouch push attestation BUNDLE --server URL --token T`} />
          ) : (
            <ProvenanceGraphView graph={g} />
          )
        }
      </Section>

      <Section load={summary} what="the artifact's SBOMs">
        {(s) => (
          <>
            <h2>SBOM</h2>
            {s.sboms.length === 0 ? (
              <EmptyState title="No SBOM describes this digest." command={`vouch push sbom FILE --server URL --token T --service NAME --digest ${digest}`} />
            ) : (
              <>
                {s.sboms.length > 1 && (
                  <label className="inline">
                    SBOM{" "}
                    <select value={sbomIndex} onChange={(e) => setSbomIndex(Number(e.target.value))}>
                      {s.sboms.map((x, i) => (
                        <option key={x.sbomId} value={i}>
                          {x.service} {x.version ?? ""} ({x.format}, {formatTime(x.ingestedAt)})
                        </option>
                      ))}
                    </select>
                  </label>
                )}
                {sbom !== undefined && <ComponentTable key={sbom.sbomId} sbomId={sbom.sbomId} onSettled={setComponentsSettled} />}
              </>
            )}
            <h2>Changes since the previous release</h2>
            {sbom === undefined ? (
              <p className="note">No SBOM, nothing to compare.</p>
            ) : previous === undefined ? (
              <EmptyState title={`${sbom.service} has no earlier release in the index to compare with.`} command={`vouch push sbom FILE --server URL --token T --service ${sbom.service} --version PREVIOUS`} />
            ) : (
              <Section load={diff} what="the SBOM diff (/api/v1/services/…/diff)">
                {(d) => <DiffView diff={d} />}
              </Section>
            )}
            <h2>Vulnerabilities</h2>
            <Vulnerabilities scan={s.vulnerabilities} digest={digest} />
            <h2>Attestations</h2>
            <AttestationTable attestations={s.attestations} />
            <h2>Deployments</h2>
            {s.deployments.length === 0 ? (
              <EmptyState title="This digest was never recorded as deployed." command={`vouch push deployment --server URL --token T --service NAME --environment ENV --digest ${digest}`} />
            ) : (
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th>Service</th>
                      <th>Environment</th>
                      <th>Deployed</th>
                      <th>Now</th>
                      <th>Recorded by</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.deployments.map((d) => (
                      <tr key={`${d.service}\n${d.environment}\n${d.at}`} data-testid="deployment-row" data-current={d.current ? "true" : "false"}>
                        <td>{d.service}</td>
                        <td>{d.environment}</td>
                        <td>{formatTime(d.at)}</td>
                        <td>{d.current ? <span className="badge status-ok">running</span> : <span className="muted">replaced</span>}</td>
                        <td>{d.source ?? "—"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <h2>Transparency log entries</h2>
            <LogEntries attestations={s.attestations} proofs={proofs} />
          </>
        )}
      </Section>
    </section>
  );
}

/** Server-side search (`q`), debounced: a keystroke does not cost a request each. */
function ComponentTable({ sbomId, onSettled }: { sbomId: string; onSettled: (settled: boolean) => void }) {
  const [text, setText] = useState("");
  const [q, setQ] = useState("");
  useEffect(() => {
    const t = setTimeout(() => setQ(text.trim()), 250);
    return () => clearTimeout(t);
  }, [text]);
  const page = useApi<ComponentPage>(`/api/v1/sboms/${enc(sbomId)}/components`, { q, limit: 200 });
  const done = page.state !== "loading" && q === text.trim();
  useEffect(() => onSettled(done), [done, onSettled]);
  return (
    <div>
      <div className="toolbar">
        <input type="search" data-testid="sbom-search" value={text} onChange={(e) => setText(e.target.value)} placeholder="Search name, version, purl, licence" spellCheck={false} />
        {page.state === "ok" && (
          <span className="note">
            <span data-testid="component-count" data-count={page.data.total}>
              {page.data.total}
            </span>{" "}
            component{page.data.total === 1 ? "" : "s"}
            {page.data.total > page.data.components.length ? `, first ${page.data.components.length} shown` : ""}
          </span>
        )}
      </div>
      <Section load={page} what="the SBOM's components (/api/v1/sboms/…/components)">
        {(p) =>
          p.components.length === 0 ? (
            <p className="note">{q === "" ? "The SBOM lists no components." : `No component matches “${q}”.`}</p>
          ) : (
            <div className="table-wrap scroll">
              <table>
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Version</th>
                    <th>Type</th>
                    <th>Licences</th>
                    <th>purl</th>
                  </tr>
                </thead>
                <tbody>
                  {p.components.map((c, i) => (
                    <tr key={`${c.purl ?? c.name}\n${c.version ?? ""}\n${i}`} data-testid="component-row">
                      <td>{c.name}</td>
                      <td>{c.version ?? "—"}</td>
                      <td>{c.type ?? "—"}</td>
                      <td className="wrap">{c.licenses.join(", ") || "—"}</td>
                      <td className="mono wrap">{c.purl ?? "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Section>
    </div>
  );
}

function DiffView({ diff }: { diff: ReleaseDiff }) {
  const d = diff.diff;
  const count = (name: string, n: number, label: string) => (
    <span className={`pill${n > 0 ? "" : " muted"}`} data-testid={`diff-${name}`} data-count={n}>
      {n} {label}
    </span>
  );
  return (
    <div data-testid="diff-summary">
      <p className="note">
        {diff.from.version ?? shortDigest(diff.from.sbom)} ({formatTime(diff.from.ingestedAt)}) → {diff.to.version ?? shortDigest(diff.to.sbom)}
      </p>
      <p className="pills">
        {count("added", d.added.length, "added")}
        {count("removed", d.removed.length, "removed")}
        {count("upgraded", d.upgraded.length, "upgraded")}
        {count("downgraded", d.downgraded.length, "downgraded")}
        {d.licenseChanged.length > 0 && <span className="pill">{d.licenseChanged.length} licence changes</span>}
        {d.hashMismatch.length > 0 && <span className="pill bad">{d.hashMismatch.length} hash mismatches</span>}
      </p>
      {diff.notes?.map((n) => (
        <p key={n} className="note">
          {n}
        </p>
      ))}
      {d.added.length + d.removed.length + d.upgraded.length + d.downgraded.length > 0 && (
        <div className="table-wrap scroll short">
          <table>
            <tbody>
              {d.added.map((c) => (
                <tr key={`a${c.key}${c.version}`}>
                  <td className="good">+ added</td>
                  <td>{c.name}</td>
                  <td>{c.version}</td>
                </tr>
              ))}
              {d.removed.map((c) => (
                <tr key={`r${c.key}${c.version}`}>
                  <td className="bad">− removed</td>
                  <td>{c.name}</td>
                  <td>{c.version}</td>
                </tr>
              ))}
              {d.upgraded.map((c) => (
                <tr key={`u${c.key}${c.to}`}>
                  <td>↑ upgraded</td>
                  <td>{c.name}</td>
                  <td>
                    {c.from} → {c.to}
                  </td>
                </tr>
              ))}
              {d.downgraded.map((c) => (
                <tr key={`d${c.key}${c.to}`}>
                  <td className="warn">↓ downgraded</td>
                  <td>{c.name}</td>
                  <td>
                    {c.from} → {c.to}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

const SEVERITY_ORDER = { critical: 0, high: 1, medium: 2, low: 3, none: 4, unknown: 5 } as const;

function Vulnerabilities({ scan, digest }: { scan: ArtifactSummary["vulnerabilities"]; digest: string }) {
  if (scan === undefined) {
    return <EmptyState title="This artifact was never scanned." command={`vouch scan IMAGE -o json > scan.json && vouch push scan scan.json --server URL --token T --service NAME --digest ${digest}`} />;
  }
  if (scan.findings.length === 0) return <p className="note">The latest scan ({formatTime(scan.ingestedAt)}) found nothing.</p>;
  const findings = [...scan.findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || (a.vulnerabilityId < b.vulnerabilityId ? -1 : 1));
  return (
    <div className="table-wrap">
      <p className="note">Latest scan {formatTime(scan.ingestedAt)}; VEX statements applied by the scan are shown with their status.</p>
      <table>
        <thead>
          <tr>
            <th>Vulnerability</th>
            <th>Severity</th>
            <th>Component</th>
            <th>Fixed in</th>
            <th>VEX</th>
          </tr>
        </thead>
        <tbody>
          {findings.map((f: ScanFinding) => (
            <tr key={`${f.vulnerabilityId}\n${f.purl}`} data-testid="vuln-row" data-id={f.vulnerabilityId} data-vex={f.vexStatus ?? "none"} className={f.vexStatus === "not_affected" || f.vexStatus === "fixed" ? "dim" : ""}>
              <td title={f.aliases.join(", ")}>
                {f.vulnerabilityId}
                {f.kev && <span className="badge status-revoked"> KEV</span>}
              </td>
              <td>
                <span className={`badge sev-${f.severity}`}>{f.severity}</span>
                {f.score !== undefined && ` ${f.score.toFixed(1)}`}
              </td>
              <td className="mono wrap">
                {f.name} {f.version}
              </td>
              <td>{f.fixedIn.join(", ") || "—"}</td>
              <td>{f.vexStatus === undefined ? "—" : <span className={`badge vex-${f.vexStatus}`}>{f.vexStatus.replaceAll("_", " ")}</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AttestationTable({ attestations }: { attestations: AttestationRecord[] }) {
  if (attestations.length === 0) {
    return <EmptyState title="No signature or attestation names this digest." command="vouch push attestation BUNDLE --server URL --token T" />;
  }
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Verified</th>
            <th>Predicate</th>
            <th>Signer</th>
            <th>Signed</th>
            <th>Ingested</th>
          </tr>
        </thead>
        <tbody>
          {attestations.map((a) => (
            <tr key={a.id} data-testid="attestation-row" data-id={a.id} data-verified={a.verified ? "true" : "false"}>
              <td className="wrap">{a.verified ? <span className="badge status-ok">verified</span> : <><span className="badge status-revoked">not verified</span> {a.reason}</>}</td>
              <td title={a.predicateType ?? a.payloadType ?? a.kind}>{predicateName(a.predicateType) ?? (a.kind === "bundle" ? "signature" : a.kind)}</td>
              <td className="mono wrap" title={a.signer?.issuer}>
                {a.signer?.identity ?? "—"}
              </td>
              <td>{formatTime(a.signedAt)}</td>
              <td>
                {formatTime(a.ingestedAt)} <span className="sub">by {a.ingestedBy}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface CheckedEntry {
  attestation: AttestationRecord;
  detail?: AttestationDetail;
  error?: Error;
  proofs: ProofResult[];
}

/** Each attestation's detail (its log entries' proofs as the bundle carries them), each proof recomputed here. */
function useProofs(attestations: AttestationRecord[] | undefined): Load<CheckedEntry[]> {
  const reload = useContext(ReloadContext);
  const withEntries = (attestations ?? []).filter((a) => a.logEntries.length > 0).slice(0, 50);
  const key = attestations === undefined ? undefined : withEntries.map((a) => a.id).join(",");
  const [state, setState] = useState<{ key: string | undefined; load: Load<CheckedEntry[]> }>({ key: undefined, load: { state: "idle" } });
  useEffect(() => {
    if (key === undefined) return;
    const controller = new AbortController();
    setState({ key, load: { state: "loading" } });
    void Promise.all(
      withEntries.map(async (attestation): Promise<CheckedEntry> => {
        try {
          const detail = await apiGet<AttestationDetail>(`/api/v1/attestations/${enc(attestation.id)}`, {}, controller.signal);
          const proofs = await Promise.all(detail.logEntries.map((e) => checkLogEntryProof(e)));
          return { attestation, detail, proofs };
        } catch (error) {
          return { attestation, error: error instanceof Error ? error : new Error(String(error)), proofs: [] };
        }
      }),
    ).then((entries) => {
      if (!controller.signal.aborted) setState({ key, load: { state: "ok", data: entries } });
    });
    return () => controller.abort();
    // `key` stands for the attestations list.
  }, [key, reload]);
  if (key === undefined) return { state: "idle" };
  return state.key === key ? state.load : { state: "loading" };
}

function LogEntries({ attestations, proofs }: { attestations: AttestationRecord[]; proofs: Load<CheckedEntry[]> }) {
  if (attestations.every((a) => a.logEntries.length === 0)) {
    return <EmptyState title="No attestation of this artifact was recorded in a transparency log." command="vouch sign --keyless … (or vouch attest) && vouch push attestation BUNDLE --server URL --token T" />;
  }
  return (
    <Section load={proofs} what="the log entries (/api/v1/attestations/…)">
      {(entries) => (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Log index</th>
                <th>Attestation</th>
                <th>Integrated</th>
                <th>Inclusion proof (checked in this browser)</th>
              </tr>
            </thead>
            <tbody>
              {entries.flatMap((e) =>
                e.detail === undefined
                  ? e.attestation.logEntries.map((le) => (
                      <tr key={`${e.attestation.id}\n${le.logId}\n${le.logIndex}`} data-testid="log-entry" data-index={le.logIndex} data-proof="absent">
                        <td className="mono">{le.logIndex}</td>
                        <td className="mono">{shortDigest(e.attestation.id)}</td>
                        <td>{formatTime(le.integratedTime)}</td>
                        <td className="bad">could not load: {e.error?.message}</td>
                      </tr>
                    ))
                  : e.detail.logEntries.map((le, i) => {
                      const p = e.proofs[i];
                      const status = p?.status ?? "absent";
                      return (
                        <tr key={`${e.attestation.id}\n${le.logId}\n${le.logIndex}`} data-testid="log-entry" data-index={le.logIndex} data-proof={status}>
                          <td className="mono" title={`log ${le.logId}`}>
                            {le.logIndex}
                            {le.ownLog ? " (this server)" : ""}
                          </td>
                          <td className="mono" title={e.attestation.id}>
                            {shortDigest(e.attestation.id)} {le.kind ?? ""}
                          </td>
                          <td>{formatTime(le.integratedTime)}</td>
                          <td className="wrap">
                            <span className={`badge proof-${status}`}>{status}</span> {p?.detail}
                          </td>
                        </tr>
                      );
                    }),
              )}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
