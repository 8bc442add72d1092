import { useState } from "react";
import { apiGet } from "../api/client";
import type { AttestationPage, DecisionEvent, DecisionPage, SliAnswer } from "../api/types";
import { settled, useApi } from "../api/useApi";
import { Link } from "../components/router";
import { EmptyState, Section } from "../components/states";
import { summarizeDecision } from "../lib/decision";
import { formatTime, shortDigest } from "../lib/format";
import { artifactPath } from "../lib/route";

export function OnCall() {
  const denies = useApi<DecisionPage>("/api/v1/decisions", { allowed: false, limit: 100 });
  const slis = useApi<SliAnswer>("/api/v1/slis");
  const failures = useApi<AttestationPage>("/api/v1/attestations", { verified: false, limit: 100 });
  const pending = useApi<DecisionPage>("/api/v1/decisions", { pending: true, limit: 100 });
  return (
    <section className="view" data-testid="view-oncall" data-loaded={settled(denies, slis, failures, pending) ? "true" : "false"}>
      <h1>On-call</h1>
      <h2>Recent denies</h2>
      <Section load={denies} what="recent denies (/api/v1/decisions)">
        {(page) =>
          page.events.length === 0 ? (
            <EmptyState title="No admission denies recorded." command="vouch admission serve --policy DIR --tls-cert C --tls-key K">
              <p>Denies appear here once the admission webhook (or vouch policy evaluate with a server) records decisions.</p>
            </EmptyState>
          ) : (
            <DenyTable first={page} />
          )
        }
      </Section>
      <h2>Signer anomalies</h2>
      <Section load={slis} what="signer anomalies (/api/v1/slis)">
        {(report) =>
          "absent" in report.signers ? (
            <p className="note">Not measured: {report.signers.reason}.</p>
          ) : report.signers.anomalies.length === 0 ? (
            <EmptyState title="No service has met a new signer identity." command="vouch push attestation BUNDLE --server URL --token T" />
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Service</th>
                    <th>New signer</th>
                    <th>Issuer</th>
                    <th>First signed</th>
                    <th>Seen</th>
                  </tr>
                </thead>
                <tbody>
                  {report.signers.anomalies.map((a) => (
                    <tr key={`${a.service}\n${a.identity}\n${a.digest}`} data-testid="anomaly-row" data-service={a.service} data-identity={a.identity}>
                      <td>{a.service}</td>
                      <td className="mono wrap">{a.identity}</td>
                      <td className="wrap">{a.issuer ?? "—"}</td>
                      <td>
                        <Link to={artifactPath(a.digest)} className="mono">
                          {shortDigest(a.digest)}
                        </Link>
                      </td>
                      <td>{formatTime(a.firstSeen)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Section>
      <h2>Verification failures</h2>
      <Section load={failures} what="verification failures (/api/v1/attestations)">
        {(page) =>
          page.attestations.length === 0 ? (
            <EmptyState title="No stored attestation failed verification." command="vouch push attestation BUNDLE --server URL --token T" />
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Ingested</th>
                    <th>Subject</th>
                    <th>Claimed signer</th>
                    <th>Why it failed</th>
                  </tr>
                </thead>
                <tbody>
                  {page.attestations.map((a) => {
                    const subject = a.subjects[0]?.digest;
                    return (
                      <tr key={a.id} data-testid="verification-failure-row" data-id={a.id}>
                        <td>{formatTime(a.ingestedAt)}</td>
                        <td>
                          {subject === undefined ? (
                            "—"
                          ) : (
                            <Link to={artifactPath(subject)} className="mono">
                              {a.subjects[0]?.name ?? shortDigest(subject)}
                            </Link>
                          )}
                        </td>
                        <td className="mono wrap">{a.signer?.identity ?? "—"}</td>
                        <td className="wrap">{a.reason ?? "—"}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )
        }
      </Section>
      <h2>Awaiting re-verification</h2>
      <Section load={pending} what="pending re-verification (/api/v1/decisions?pending=true)">
        {(page) =>
          page.events.length === 0 ? (
            <EmptyState title="Nothing decided in audit mode or by an outage action is waiting." command="vouch admission reconcile --since 24h --policy DIR" />
          ) : (
            <div className="table-wrap">
              <p className="note">Admitted while verification was unavailable (or in audit mode): re-decide them with vouch admission reconcile.</p>
              <table>
                <thead>
                  <tr>
                    <th>Decided</th>
                    <th>Resource</th>
                    <th>Image</th>
                    <th>Why</th>
                    <th>Outcome</th>
                  </tr>
                </thead>
                <tbody>
                  {page.events.map((e) => {
                    const s = summarizeDecision(e);
                    return (
                      <tr key={e.id} data-testid="pending-row" data-id={e.id}>
                        <td>{formatTime(e.time)}</td>
                        <td>{resourceName(e)}</td>
                        <td className="mono wrap">{s.digest === undefined ? s.image : <Link to={artifactPath(s.digest)}>{s.image}</Link>}</td>
                        <td className="wrap">{s.reason}</td>
                        <td>{e.allowed ? "admitted" : "denied"}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )
        }
      </Section>
    </section>
  );
}

function resourceName(e: DecisionEvent): string {
  const r = e.resource;
  return `${r.kind} ${r.namespace === undefined ? "" : `${r.namespace}/`}${r.name ?? ""}`.trim();
}

/** The newest page, then older pages on demand (the API's cursor), appended in order. */
function DenyTable({ first }: { first: DecisionPage }) {
  const [older, setOlder] = useState<{ events: DecisionEvent[]; next?: string; error?: string; loading: boolean }>({ events: [], loading: false, ...(first.next === undefined ? {} : { next: first.next }) });
  const events = [...first.events, ...older.events];
  const loadOlder = () => {
    if (older.next === undefined) return;
    setOlder({ ...older, loading: true });
    apiGet<DecisionPage>("/api/v1/decisions", { allowed: false, limit: 100, cursor: older.next }).then(
      (page) => setOlder({ events: [...older.events, ...page.events], loading: false, ...(page.next === undefined ? {} : { next: page.next }) }),
      (error: unknown) => setOlder({ ...older, loading: false, error: error instanceof Error ? error.message : String(error) }),
    );
  };
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th>When</th>
            <th>Resource</th>
            <th>Reason</th>
            <th>Policy</th>
            <th>Image</th>
            <th>Signer</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => {
            const s = summarizeDecision(e);
            return (
              <tr key={e.id} data-testid="deny-row" data-id={e.id}>
                <td>{formatTime(e.time)}</td>
                <td>{resourceName(e)}</td>
                <td className="wrap" data-testid="deny-reason" title={s.reasons.join("\n")}>
                  {s.reason}
                </td>
                <td data-testid="deny-policy">{s.policy}</td>
                <td className="mono wrap" data-testid="deny-image">
                  {s.digest === undefined ? (
                    s.image
                  ) : (
                    <Link to={artifactPath(s.digest)} data-testid="deny-artifact-link" title={s.digest}>
                      {s.image}
                    </Link>
                  )}
                </td>
                <td className="mono wrap" data-testid="deny-signer">
                  {s.signer}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {older.next !== undefined && (
        <p className="note">
          Showing the newest {events.length}.{" "}
          <button type="button" className="ghost" data-testid="deny-load-older" onClick={loadOlder} disabled={older.loading}>
            {older.loading ? "Loading…" : "Load older"}
          </button>
        </p>
      )}
      {older.error !== undefined && <p className="error-banner">Could not load older denies: {older.error}</p>}
    </div>
  );
}
