import { createHash } from "node:crypto";
import { sql, type Kysely } from "kysely";
import type { SqlFlavor } from "./schema.js";

/**
 * The SBOM facts of a deployment (IndexDeploymentSbomFacts), kept on its rows in `deployments` and
 * `current_deployments` as SBOMs and deployments arrive, instead of computed when the SLIs are asked:
 *
 * - `digest_first_sbom_at`: the first ingested_at of an SBOM of the deployed digest;
 * - `digest_sbom_at_deploy`: the latest ingested_at of an SBOM of that digest at or before deployed_at, compared to the
 *   millisecond (the first 23 characters of the canonical text: what JavaScript's Date compares);
 * - `service_first_sbom_at`: the first ingested_at of an SBOM of the deployment's service.
 *
 * Why kept, not computed: the SLI summary reads every current deployment, and joining 5,000 of them with 10,000 SBOMs
 * on each call was its largest cost on PostgreSQL (22–28 ms in the server, 33–39 ms round trip, whatever the plan
 * shape: docs/benchmarks.md, issue 9). Kept, the summary reads 5,000 rows of one table.
 *
 * Both ingests keep them in their own transaction: a deployment takes its facts from the SBOMs stored when it is
 * ingested, and an SBOM moves the facts of the deployments of its digest and its service that it changes (min and
 * max only ever move one way, so the order SBOMs arrive in does not matter). Canonical timestamps (canonicalTimestamp)
 * are fixed-width, so text order is instant order and min / max over text are min / max over instants.
 */

/** The rows of `table` whose facts an SBOM of `digest` ingested at `at` (canonical) changes, changed. */
export async function spreadDigestFacts<DB>(db: Kysely<DB>, table: "deployments" | "current_deployments", digest: string, at: string): Promise<void> {
  const atMs = at.slice(0, 23);
  // Each column moves only toward its aggregate: an earlier first, a later at-deploy that is not after the deploy.
  const earlierFirst = sql`(digest_first_sbom_at is null or digest_first_sbom_at > ${at})`;
  const laterAtDeploy = sql`(${atMs} <= substr(deployed_at, 1, 23) and (digest_sbom_at_deploy is null or digest_sbom_at_deploy < ${at}))`;
  await sql`update ${sql.table(table)}
    set digest_first_sbom_at = case when ${earlierFirst} then ${at} else digest_first_sbom_at end,
        digest_sbom_at_deploy = case when ${laterAtDeploy} then ${at} else digest_sbom_at_deploy end
    where digest = ${digest} and (${earlierFirst} or ${laterAtDeploy})`.execute(db);
}

/** The rows of `table` of `service` whose first SBOM is later than `at` (or none yet), given `at`. */
export async function spreadServiceFacts<DB>(db: Kysely<DB>, table: "deployments" | "current_deployments", service: string, at: string): Promise<void> {
  await sql`update ${sql.table(table)} set service_first_sbom_at = ${at}
    where service = ${service} and (service_first_sbom_at is null or service_first_sbom_at > ${at})`.execute(db);
}

export interface SbomFactColumns {
  digest_first_sbom_at: string | null;
  digest_sbom_at_deploy: string | null;
  service_first_sbom_at: string | null;
}

/** A new deployment's facts, from the SBOMs stored now (each a min / max over one range of 0003's indexes). */
export async function factsOfDeployment<DB>(db: Kysely<DB>, d: { service: string; digest: string; deployedAt: string }): Promise<SbomFactColumns> {
  const { rows } = await sql<SbomFactColumns>`select
      (select min(ingested_at) from sboms where digest = ${d.digest}) as digest_first_sbom_at,
      (select max(ingested_at) from sboms where digest = ${d.digest} and substr(ingested_at, 1, 23) <= ${d.deployedAt.slice(0, 23)}) as digest_sbom_at_deploy,
      (select min(ingested_at) from sboms where service = ${d.service}) as service_first_sbom_at`.execute(db);
  const row = rows[0]!;
  return { digest_first_sbom_at: row.digest_first_sbom_at ?? null, digest_sbom_at_deploy: row.digest_sbom_at_deploy ?? null, service_first_sbom_at: row.service_first_sbom_at ?? null };
}

/**
 * PostgreSQL: serialises the ingests that touch one digest's or one service's facts (transaction-scoped advisory
 * locks, released at commit). Under READ COMMITTED, without it, a deployment could read the SBOMs before a concurrent
 * SBOM ingest commits while that ingest's update ran before the deployment's row was committed: each misses the other
 * and the facts stay wrong until the next SBOM. With it, whichever takes the lock second sees the first committed
 * (each statement reads a new snapshot). The locks are taken in ascending key order, so two ingests never deadlock.
 * An SBOM ingest takes them only after its component rows are written, so a long ingest holds them for two updates.
 * SQLite has one writer at a time: nothing to do.
 */
export async function lockFacts<DB>(db: Kysely<DB>, flavor: SqlFlavor, keys: { digest?: string; service: string }): Promise<void> {
  if (flavor !== "postgres") return;
  const locks = [lockKey("service", keys.service)];
  if (keys.digest !== undefined) locks.push(lockKey("digest", keys.digest));
  locks.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const key of locks) await sql`select pg_advisory_xact_lock(${key.toString()}::bigint)`.execute(db);
}

/** A 64-bit lock key per (kind, value), derived from a name to stay clear of other applications' advisory locks. */
function lockKey(kind: "digest" | "service", value: string): bigint {
  return createHash("sha256").update(`vouch index sbom facts\u0000${kind}\u0000${value}`).digest().readBigInt64BE(0);
}

/**
 * 0005: the fact columns on both deployment tables, filled once from the SBOMs stored (the same aggregates the
 * SLI summary computed per call before).
 */
export async function addDeploymentSbomFacts(db: Kysely<unknown>): Promise<void> {
  for (const table of ["deployments", "current_deployments"] as const) {
    for (const column of ["digest_first_sbom_at", "digest_sbom_at_deploy", "service_first_sbom_at"]) {
      await db.schema.alterTable(table).addColumn(column, "text").execute();
    }
    await sql`update ${sql.table(table)} set
        digest_first_sbom_at = (select min(s.ingested_at) from sboms s where s.digest = ${sql.table(table)}.digest),
        digest_sbom_at_deploy = (select max(s.ingested_at) from sboms s where s.digest = ${sql.table(table)}.digest and substr(s.ingested_at, 1, 23) <= substr(${sql.table(table)}.deployed_at, 1, 23)),
        service_first_sbom_at = (select min(s.ingested_at) from sboms s where s.service = ${sql.table(table)}.service)`.execute(db);
  }
}
