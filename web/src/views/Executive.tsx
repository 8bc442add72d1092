import type { KeyHealthReport, ServiceList, SliAbsent, SliAnswer, SliGroup, SliName, SliRatio, SliValues } from "../api/types";
import { SLI_NAMES } from "../api/types";
import { settled, useApi } from "../api/useApi";
import { CountChart, RatioChart } from "../components/charts";
import { Link, navigate } from "../components/router";
import { EmptyState, Section } from "../components/states";
import { dataValue, formatPercent, formatTime, plural, shortDigest } from "../lib/format";
import { artifactPath, executivePath, type SliFilter } from "../lib/route";

export const SLI_TITLES: Record<SliName, string> = {
  signedDeploymentRatio: "Signed deployments",
  sbomCoverage: "SBOM coverage",
  sbomAlignment: "SBOM alignment",
  provenanceCompleteness: "Provenance completeness",
  denyRate: "Deny rate",
};

function ratioOf(v: SliRatio | SliAbsent): { value: number | null; ratio?: SliRatio; reason?: string } {
  return "absent" in v ? { value: null, reason: v.reason } : { value: v.value, ratio: v };
}

export function Executive({ filter, keysOnly = false }: { filter: SliFilter; keysOnly?: boolean }) {
  // bucket=day without from/to: the server's default series, the 30 days ending now (src/sbom-index/sli.ts).
  const slis = useApi<SliAnswer>(keysOnly ? undefined : "/api/v1/slis", { bucket: "day", ...filter });
  const keys = useApi<KeyHealthReport>("/api/v1/keys");
  // The filters' choices: every service the index knows, its team and environments (not only the filtered report's).
  const services = useApi<ServiceList>(keysOnly ? undefined : "/api/v1/services");
  const loaded = settled(slis, keys, services);
  return (
    <section className="view" data-testid="view-executive" data-loaded={loaded ? "true" : "false"}>
      <div className="title-row">
        <h1>{keysOnly ? "Key management" : "Supply-chain health"}</h1>
        {!keysOnly && <Filters filter={filter} services={services.state === "ok" ? services.data : undefined} report={slis.state === "ok" ? slis.data : undefined} />}
      </div>
      {!keysOnly && (
        <Section load={slis} what="the SLIs (/api/v1/slis)">
          {(report) => <SliReportView report={report} scoped={Object.keys(filter).length > 0} />}
        </Section>
      )}
      <h2>Key management</h2>
      <Section load={keys} what="key health (/api/v1/keys)">
        {(report) => <KeyTable report={report} />}
      </Section>
    </section>
  );
}

function Filters({ filter, services, report }: { filter: SliFilter; services: ServiceList | undefined; report: SliAnswer | undefined }) {
  const options = (k: keyof SliFilter): string[] => {
    const set = new Set<string>();
    for (const s of services?.services ?? []) {
      if (k === "service") set.add(s.name);
      if (k === "team" && s.team !== undefined) set.add(s.team);
      if (k === "environment") for (const d of s.deployments) set.add(d.environment);
    }
    const groups = k === "team" ? report?.byTeam : k === "environment" ? report?.byEnvironment : report?.byService;
    for (const g of groups ?? []) set.add(g.key);
    if (filter[k] !== undefined) set.add(filter[k]!);
    return [...set].sort();
  };
  return (
    <form className="filters" aria-label="scope" onSubmit={(e) => e.preventDefault()}>
      {(["team", "environment", "service"] as const).map((k) => {
        const values = options(k);
        if (values.length === 0) return null;
        return (
          <label key={k}>
            {k}{" "}
            <select data-testid={`filter-${k}`} value={filter[k] ?? ""} onChange={(e) => navigate(executivePath({ ...filter, [k]: e.target.value }))}>
              <option value="">all</option>
              {values.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </label>
        );
      })}
      {Object.keys(filter).length > 0 && (
        <button type="button" className="ghost" onClick={() => navigate("/")}>
          Clear
        </button>
      )}
    </form>
  );
}

function SliReportView({ report, scoped }: { report: SliAnswer; scoped: boolean }) {
  const series = report.series ?? [];
  const madeInWindow = series.reduce((n, b) => n + b.values.deployments, 0);
  const anomalies = "absent" in report.signers ? undefined : report.signers.anomalies;
  if (report.overall.deployments === 0 && madeInWindow === 0 && scoped) {
    return (
      <EmptyState title="Nothing runs in this scope: no current deployment and none in the last 30 days." command="vouch push deployment --server URL --token T --service NAME --environment ENV --digest sha256:…" />
    );
  }
  if (report.overall.deployments === 0 && madeInWindow === 0) {
    return (
      <EmptyState title="No deployments recorded yet: the SLIs are measured over what runs where." command="vouch push deployment --server URL --token T --service NAME --environment prod --digest sha256:…">
        <p>Push the service's SBOM first (vouch push sbom FILE --service NAME --version V), and its signatures (vouch push attestation BUNDLE).</p>
      </EmptyState>
    );
  }
  return (
    <>
      <div className="big-numbers">
        <div className="big" title="current deployments in scope">
          <span className="big-value" data-testid="deployments-count" data-value={report.overall.deployments}>
            {report.overall.deployments}
          </span>
          <span className="big-label">Deployments</span>
        </div>
        {SLI_NAMES.map((name) => (
          <BigNumber key={name} name={name} values={report.overall} target={report.targets?.[name]} />
        ))}
        <div className="big" title="a service met a signer identity it never had before">
          <span className={`big-value${anomalies !== undefined && anomalies.length > 0 ? " warn" : ""}`} data-testid="signer-anomalies-count" data-value={anomalies?.length ?? "absent"}>
            {anomalies?.length ?? "—"}
          </span>
          <span className="big-label">Signer anomalies</span>
        </div>
      </div>
      <h2>Last 30 days</h2>
      <div className="charts">
        {SLI_NAMES.filter((n) => n !== "denyRate").map((name) => (
          <RatioChart
            key={name}
            name={name}
            title={SLI_TITLES[name]}
            points={series.map((b) => ({ start: b.start, value: ratioOf(b.values[name]).value }))}
            {...(report.targets === undefined ? {} : { target: report.targets[name] })}
          />
        ))}
        <RatioChart
          name="denyRate"
          title={SLI_TITLES.denyRate}
          emptyText={series.some((b) => "absent" in b.values.denyRate) ? "not measured in this scope" : "no admission decisions in this window"}
          points={series.map((b) => ({ start: b.start, value: ratioOf(b.values.denyRate).value }))}
          ceiling
          {...(report.targets === undefined ? {} : { target: report.targets.denyRate })}
        />
        <CountChart
          name="denies"
          title="Deny events"
          points={series.map((b) => {
            const r = ratioOf(b.values.denyRate);
            return { start: b.start, value: r.ratio === undefined ? null : r.ratio.numerator };
          })}
        />
      </div>
      <GroupTable title="By team" group="team" groups={report.byTeam} empty="No teams configured: index.teams in vouch.yaml maps teams to their services." />
      <GroupTable title="By environment" group="environment" groups={report.byEnvironment} />
      <GroupTable title="By service" group="service" groups={report.byService} />
      {anomalies !== undefined && anomalies.length > 0 && (
        <p className="note">
          {plural(anomalies.length, "signer anomaly", "signer anomalies")}: see the <Link to="/oncall">on-call view</Link>.
        </p>
      )}
    </>
  );
}

function BigNumber({ name, values, target }: { name: SliName; values: SliValues; target: number | undefined }) {
  const { value, ratio, reason } = ratioOf(values[name]);
  const miss = value !== null && target !== undefined && (name === "denyRate" ? value > target : value < target);
  return (
    <div className="big" title={reason ?? (ratio === undefined ? "" : `${ratio.numerator} of ${ratio.denominator}`)}>
      <span className={`big-value${miss ? " bad" : ""}`} data-testid={`sli-${name}`} data-value={dataValue(value)}>
        {formatPercent(value)}
      </span>
      <span className="big-label">{SLI_TITLES[name]}</span>
      <span className="big-sub">
        {ratio !== undefined ? `${ratio.numerator} / ${ratio.denominator}` : "not measured"}
        {target !== undefined && ` · SLO ${name === "denyRate" ? "≤" : "≥"} ${formatPercent(target)}`}
      </span>
    </div>
  );
}

function GroupTable({ title, group, groups, empty }: { title: string; group: "team" | "environment" | "service"; groups: SliGroup[]; empty?: string }) {
  return (
    <>
      <h2>{title}</h2>
      {groups.length === 0 ? (
        <p className="note">{empty ?? "Nothing in scope."}</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{group}</th>
                <th className="num">Deployments</th>
                {SLI_NAMES.filter((n) => n !== "denyRate").map((n) => (
                  <th key={n} className="num">
                    {SLI_TITLES[n]}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => (
                <tr key={g.key} data-testid="group-row" data-group={group} data-key={g.key}>
                  <td>{g.key}</td>
                  <td className="num">{g.values.deployments}</td>
                  {SLI_NAMES.filter((n) => n !== "denyRate").map((n) => {
                    const { value, ratio, reason } = ratioOf(g.values[n]);
                    return (
                      <td key={n} className="num" data-sli={n} data-value={dataValue(value)} title={reason ?? (ratio === undefined ? "" : `${ratio.numerator} of ${ratio.denominator}`)}>
                        {formatPercent(value)}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

const STATUS_TEXT = { ok: "ok", "rotate-soon": "rotate soon", "rotate-now": "rotate now", revoked: "revoked" } as const;

function KeyTable({ report }: { report: KeyHealthReport }) {
  if (report.keys.length === 0) {
    return <EmptyState title="No signers seen yet: key health comes from the verified signatures the index holds." command="vouch push attestation BUNDLE --server URL --token T" />;
  }
  const order = { revoked: 0, "rotate-now": 1, "rotate-soon": 2, ok: 3 } as const;
  const keys = [...report.keys].sort((a, b) => order[a.status] - order[b.status] || (a.identity < b.identity ? -1 : 1));
  return (
    <div className="table-wrap">
      <p className="note">
        Keys rotate after {report.rotateAfterDays} days (warned {report.warnBeforeDays} days before); keyless certificates never need rotating.
      </p>
      <table>
        <thead>
          <tr>
            <th>Signer</th>
            <th>Status</th>
            <th className="num">Age</th>
            <th className="num">Signatures</th>
            <th>Services</th>
            <th>Last seen</th>
            <th>Revoked, still running</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={`${k.identity}\n${k.issuer ?? ""}`} data-testid="key-row" data-identity={k.identity} data-status={k.status}>
              <td className="mono wrap" title={k.issuer === undefined ? k.identity : `${k.identity} (issuer ${k.issuer})`}>
                {k.kind === "key" ? shortDigest(k.identity, 16) : k.identity}
              </td>
              <td>
                <span className={`badge status-${k.status}`}>{STATUS_TEXT[k.status]}</span>
                {k.revoked !== undefined && (
                  <span className="sub" title={k.revoked.reason}>
                    {" "}
                    compromised {formatTime(k.revoked.compromisedAt)}
                  </span>
                )}
              </td>
              <td className="num">{k.ageDays === undefined ? "—" : `${k.ageDays} d`}</td>
              <td className="num">{k.signatures}</td>
              <td>{k.services.join(", ") || "—"}</td>
              <td>{formatTime(k.lastSeen)}</td>
              <td>
                {k.inUse.length === 0
                  ? "—"
                  : k.inUse.map((u) => (
                      <div key={`${u.service}/${u.environment}/${u.digest}`} className={u.afterCompromise ? "bad" : ""}>
                        {u.service}/{u.environment} <Link to={artifactPath(u.digest)}>{shortDigest(u.digest)}</Link>
                        {u.afterCompromise ? " · signed after compromise" : ""}
                      </div>
                    ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
