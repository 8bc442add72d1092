import { Gauge, type Registry } from "prom-client";
import type { SliAbsent, SliRatio, SliReport, SliService } from "../../../sbom-index/sli.js";

/**
 * The supply-chain SLIs (src/sbom-index/sli.ts) as Prometheus gauges, computed on scrape: one report per scrape,
 * shared by every gauge (prom-client collects the gauges of one scrape together).
 *
 * Per current deployment (labels service, environment, team; team "" when index.teams names none), each 0 or 1 so
 * that `avg by (team) (vouch_sli_signed_deployment_ratio)` is the team's ratio and `sum` counts:
 *   vouch_sli_deployments, vouch_sli_signed_deployment_ratio, vouch_sli_sbom_coverage_ratio,
 *   vouch_sli_sbom_alignment_ratio, vouch_sli_provenance_complete_ratio; and vouch_sli_sbom_age_at_deploy_seconds.
 * Per service: vouch_sli_new_signer_identities (anomaly events). Per signer: vouch_sli_signer_signatures (key usage).
 * Overall: vouch_sli_admission_deny_ratio and vouch_sli_admission_decisions (the last 24 hours' admission decisions).
 * An SLI vouch cannot compute is not exported as a number: vouch_sli_absent{sli, reason} says so (the deny rate
 * without a decision store). A scrape whose SLI computation fails sets vouch_sli_scrape_error 1 and exports no SLI values, so the
 * request metrics still scrape.
 */
export function registerSliGauges(registry: Registry, slis: SliService): void {
  // prom-client starts every metric's collect in the same tick of a scrape: sharing the report in flight gives the
  // scrape one consistent computation, and the next scrape a fresh one.
  let inFlight: Promise<SliReport | Error> | undefined;
  const snapshot = (): Promise<SliReport | Error> => {
    inFlight ??= slis
      .report()
      .catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))))
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  const perDeployment = ["service", "environment", "team"] as const;
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>, report: SliReport) => void) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const report = await snapshot();
        this.reset();
        if (!(report instanceof Error)) fill(this, report);
      },
    });

  const deploymentGauge = (name: string, help: string, pick: (d: SliReport["deployments"][number]) => boolean | number | undefined) =>
    gauge(name, help, perDeployment, (g, report) => {
      for (const d of report.deployments) {
        const v = pick(d);
        if (v === undefined) continue;
        g.set({ service: d.service, environment: d.environment, team: d.team ?? "" }, typeof v === "boolean" ? Number(v) : v);
      }
    });

  deploymentGauge("vouch_sli_deployments", "Current deployments (1 per service and environment)", () => 1);
  deploymentGauge("vouch_sli_signed_deployment_ratio", "1 when the deployed digest is the subject of a verified attestation or signature", (d) => d.signed);
  deploymentGauge("vouch_sli_sbom_coverage_ratio", "1 when the deployed service has an SBOM in the index", (d) => d.serviceHasSbom);
  deploymentGauge("vouch_sli_sbom_alignment_ratio", "1 when the deployed digest has an SBOM", (d) => d.sbom);
  deploymentGauge("vouch_sli_sbom_age_at_deploy_seconds", "Age at deploy of the newest SBOM of the deployed digest", (d) => d.sbomAgeSeconds);
  deploymentGauge("vouch_sli_provenance_complete_ratio", "1 when the deployed digest has verified SLSA provenance with every required field", (d) => d.provenanceComplete);
  gauge("vouch_sli_new_signer_identities", "Signer identities new to a service after its first (anomaly events)", ["service"] as const, (g, report) => {
    if ("absent" in report.signers) return;
    const counts = new Map<string, number>();
    for (const a of report.signers.anomalies) counts.set(a.service, (counts.get(a.service) ?? 0) + 1);
    for (const service of new Set(report.deployments.map((d) => d.service))) g.set({ service }, counts.get(service) ?? 0);
    for (const [service, n] of counts) g.set({ service }, n);
  });
  gauge("vouch_sli_signer_signatures", "Verified signatures per signer identity (key usage)", ["identity", "issuer"] as const, (g, report) => {
    if ("absent" in report.signers) return;
    for (const u of report.signers.keyUsage) g.set({ identity: u.identity, issuer: u.issuer ?? "" }, u.signatures);
  });
  // Labelled by window: prom-client exports a label-less gauge as 0 even when never set, and an absent rate is not 0%.
  gauge("vouch_sli_admission_deny_ratio", "Admission decisions denied / made over the window", ["window"] as const, (g, report) => {
    const v = report.overall.denyRate;
    if (!("absent" in v) && v.value !== null) g.set({ window: "24h" }, v.value);
  });
  gauge("vouch_sli_admission_decisions", "Admission decisions made over the window", ["window"] as const, (g, report) => {
    const v = report.overall.denyRate;
    if (!("absent" in v)) g.set({ window: "24h" }, v.denominator);
  });
  gauge("vouch_sli_absent", "An SLI vouch does not compute here, with the reason (1 while absent)", ["sli", "reason"] as const, (g, report) => {
    const o = report.overall;
    const absent: [string, SliRatio | SliAbsent][] = [
      ["deny_rate", o.denyRate],
      ["signed_deployment_ratio", o.signedDeploymentRatio],
      ["provenance_complete_ratio", o.provenanceCompleteness],
    ];
    for (const [sli, v] of absent) if ("absent" in v) g.set({ sli, reason: v.reason }, 1);
  });
  new Gauge({
    name: "vouch_sli_scrape_error",
    help: "1 when the SLIs could not be computed for this scrape (GET /api/v1/slis answers the reason)",
    registers: [registry],
    async collect() {
      this.set((await snapshot()) instanceof Error ? 1 : 0);
    },
  });
}
