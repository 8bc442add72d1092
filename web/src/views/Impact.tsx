import { useState, type FormEvent } from "react";
import type { AffectedResult } from "../api/types";
import { affectedWhole } from "../api/affected";
import { useApi } from "../api/useApi";
import { Link, navigate } from "../components/router";
import { EmptyState, Section } from "../components/states";
import { formatTime, shortDigest } from "../lib/format";
import { exportFileName, groupRows, impactParams, impactRows, toCsv, toJson, type ImpactRow } from "../lib/impact";
import { artifactPath } from "../lib/route";

/** The question lives in the address (/impact?q=…&range=…): a result can be linked in an incident channel. */
export function Impact({ query, range }: { query: string; range: string }) {
  const [q, setQ] = useState(query);
  const [r, setR] = useState(range);
  const [deployedOnly, setDeployedOnly] = useState(false);
  const asked = query.trim() !== "";
  const params = asked ? impactParams(query, range, deployedOnly) : {};
  const result = useApi<AffectedResult>(asked ? "/api/v1/affected" : undefined, params);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const search = new URLSearchParams();
    if (q.trim() !== "") search.set("q", q.trim());
    if (r.trim() !== "") search.set("range", r.trim());
    const qs = search.toString();
    navigate(qs === "" ? "/impact" : `/impact?${qs}`);
  };

  return (
    <section className="view" data-testid="view-impact" data-loaded={result.state === "loading" ? "false" : "true"}>
      <h1>Impact</h1>
      <form className="query" onSubmit={submit} role="search">
        <label>
          Package, purl or advisory
          <input
            data-testid="impact-query"
            value={q}
            onChange={(e) => setQ(e.target.value)}
            placeholder="pkg:maven/org.apache.logging.log4j/log4j-core · log4j-core · CVE-2021-44228"
            spellCheck={false}
            autoFocus
          />
        </label>
        <label>
          Version range
          <input data-testid="impact-range" value={r} onChange={(e) => setR(e.target.value)} placeholder="<2.17.1" spellCheck={false} />
        </label>
        <label className="check">
          <input type="checkbox" checked={deployedOnly} onChange={(e) => setDeployedOnly(e.target.checked)} /> deployed now only
        </label>
        <button type="submit" data-testid="impact-search">
          Search
        </button>
      </form>
      {!asked ? (
        <EmptyState title="Ask which services and environments run a package or are hit by an advisory." command="vouch query affected --purl pkg:maven/org.apache.logging.log4j/log4j-core --range '<2.17.1'">
          <p>The index answers from the SBOMs pushed to it (vouch push sbom FILE --service NAME) and the deployments recorded (vouch push deployment).</p>
        </EmptyState>
      ) : (
        <Section load={result} what="affected artifacts (/api/v1/affected)">
          {(answer) => <ImpactResult answer={answer} query={query} params={params} />}
        </Section>
      )}
    </section>
  );
}

function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  // Revoked on the next turn: the click has handed the blob to the download by then.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

function ImpactResult({ answer, query, params }: { answer: AffectedResult; query: string; params: Record<string, string> }) {
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<string | undefined>(undefined);
  const rows = impactRows(answer);
  if (rows.length === 0) {
    return (
      <EmptyState title={`No indexed artifact contains ${query}.`} command="vouch push sbom FILE --server URL --token T --service NAME --version V">
        {answer.notes?.map((n) => (
          <p key={n} className="note">
            {n}
          </p>
        ))}
        <p>If a service should be here, its SBOM has not been pushed to this index.</p>
      </EmptyState>
    );
  }
  // An export holds the whole answer: the rows shown when this page is all of it, else every page fetched first.
  const exportAll = (write: (all: ImpactRow[]) => void) => {
    if (answer.next === undefined) return write(rows);
    setExporting(true);
    setExportError(undefined);
    affectedWhole(params)
      .then((whole) => write(impactRows(whole)))
      .catch((error: unknown) => setExportError(error instanceof Error ? error.message : String(error)))
      .finally(() => setExporting(false));
  };
  const deployedRows = rows.filter((row) => row.environment !== "");
  const idle = rows.filter((row) => row.environment === "");
  const now = () => new Date();
  return (
    <>
      <div className="result-head">
        <p>
          <strong>{answer.services.length}</strong> service{answer.services.length === 1 ? "" : "s"} running it in <strong>{answer.environments.length}</strong> environment
          {answer.environments.length === 1 ? "" : "s"} · {answer.total} artifact{answer.total === 1 ? "" : "s"} · {deployedRows.length} deployment{deployedRows.length === 1 ? "" : "s"}
        </p>
        <div className="buttons">
          <button type="button" data-testid="impact-export-csv" disabled={exporting} onClick={() => exportAll((all) => download(exportFileName(query, "csv", now()), "text/csv;charset=utf-8", toCsv(all)))}>
            Export CSV
          </button>
          <button type="button" data-testid="impact-export-json" disabled={exporting} onClick={() => exportAll((all) => download(exportFileName(query, "json", now()), "application/json", toJson(params, all, now())))}>
            Export JSON
          </button>
        </div>
      </div>
      {answer.notes?.map((n) => (
        <p key={n} className="note">
          {n}
        </p>
      ))}
      {answer.next !== undefined && <p className="note">The list shows the first {answer.artifacts.length} of {answer.total} artifacts; the services and environments above, and the exports, cover all of them.</p>}
      {exportError !== undefined && (
        <p className="error-banner" data-testid="error-banner" role="alert">
          The export failed: {exportError}
        </p>
      )}
      {deployedRows.length === 0 ? (
        <p className="note">No affected artifact is deployed now.</p>
      ) : (
        <ImpactTable rows={deployedRows} testid="impact-row" />
      )}
      {idle.length > 0 && (
        <>
          <h2>In the index, not running now</h2>
          <p className="note">Affected releases with no current deployment (a rollback or a new environment could bring them back).</p>
          <ImpactTable rows={idle} testid="impact-undeployed-row" />
        </>
      )}
    </>
  );
}

function ImpactTable({ rows, testid }: { rows: ImpactRow[]; testid: string }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Service</th>
            <th>Environment</th>
            <th>Artifact</th>
            <th>Version</th>
            <th>Matching components</th>
            <th>Deployed</th>
          </tr>
        </thead>
        <tbody>
          {groupRows(rows).flatMap((service) =>
            service.environments.flatMap((env, ei) =>
              env.rows.map((row, ri) => (
                <Row key={`${row.service}\n${row.environment}\n${row.digest}\n${row.sbom}`} row={row} testid={testid} first={ei === 0 && ri === 0} firstInEnv={ri === 0} />
              )),
            ),
          )}
        </tbody>
      </table>
    </div>
  );
}

function Row({ row, testid, first, firstInEnv }: { row: ImpactRow; testid: string; first: boolean; firstInEnv: boolean }) {
  return (
    <tr data-testid={testid} data-service={row.service} data-environment={row.environment} data-digest={row.digest} className={first ? "group-start" : ""}>
      <td>{first ? <strong>{row.service}</strong> : ""}</td>
      <td>{firstInEnv ? row.environment === "" ? <span className="muted">not deployed</span> : row.environment : ""}</td>
      <td className="mono">{row.digest === "" ? <span className="muted">no digest</span> : <Link to={artifactPath(row.digest)} title={row.digest}>{shortDigest(row.digest)}</Link>}</td>
      <td>{row.version || "—"}</td>
      <td className="mono wrap">{row.components.join(", ")}</td>
      <td>{row.deployedAt === "" ? "—" : formatTime(row.deployedAt)}</td>
    </tr>
  );
}
