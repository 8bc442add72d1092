import { createHash } from "node:crypto";
import { sql, type Kysely, type RawBuilder } from "kysely";
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

/**
 * The rows of `table` whose facts an SBOM ingested at `at` (canonical) changes, changed: those deploying its digest
 * (the first and the at-deploy) and those of its service (the service's first). One statement per table: an ingest
 * is a few round trips, and these were four more.
 */
export async function spreadSbomFacts<DB>(db: Kysely<DB>, table: "deployments" | "current_deployments", sbom: { service: string; digest?: string; at: string }): Promise<void> {
  const { at } = sbom;
  const atMs = at.slice(0, 23);
  // Each column moves only toward its aggregate: an earlier first, a later at-deploy that is not after the deploy.
  const ofDigest = sbom.digest === undefined ? sql`false` : sql`digest = ${sbom.digest}`;
  const earlierFirst = sql`(${ofDigest} and (digest_first_sbom_at is null or digest_first_sbom_at > ${at}))`;
  const laterAtDeploy = sql`(${ofDigest} and ${atMs} <= substr(deployed_at, 1, 23) and (digest_sbom_at_deploy is null or digest_sbom_at_deploy < ${at}))`;
  const earlierServiceFirst = sql`(service = ${sbom.service} and (service_first_sbom_at is null or service_first_sbom_at > ${at}))`;
  await sql`update ${sql.table(table)}
    set digest_first_sbom_at = case when ${earlierFirst} then ${at} else digest_first_sbom_at end,
        digest_sbom_at_deploy = case when ${laterAtDeploy} then ${at} else digest_sbom_at_deploy end,
        service_first_sbom_at = case when ${earlierServiceFirst} then ${at} else service_first_sbom_at end
    where ${earlierFirst} or ${laterAtDeploy} or ${earlierServiceFirst}`.execute(db);
}

export interface SbomFactColumns {
  digest_first_sbom_at: string | null;
  digest_sbom_at_deploy: string | null;
  service_first_sbom_at: string | null;
}

/**
 * The three facts of a deployment as subqueries over `sboms` (each a min / max over one range of 0003's indexes), for
 * a deployment's digest and service and the millisecond prefix of its deployed_at (the first 23 characters).
 */
function factSubqueries(digest: RawBuilder<unknown>, service: RawBuilder<unknown>, deployedMs: RawBuilder<unknown>): { [K in keyof SbomFactColumns]: RawBuilder<string | null> } {
  return {
    digest_first_sbom_at: sql`(select min(s.ingested_at) from sboms s where s.digest = ${digest})`,
    digest_sbom_at_deploy: sql`(select max(s.ingested_at) from sboms s where s.digest = ${digest} and substr(s.ingested_at, 1, 23) <= ${deployedMs})`,
    service_first_sbom_at: sql`(select min(s.ingested_at) from sboms s where s.service = ${service})`,
  };
}

/**
 * A new deployment's facts, from the SBOMs stored when the statement runs, as values of the deployment's own INSERT:
 * no round trip of their own.
 */
export function factsOfDeployment(d: { service: string; digest: string; deployedAt: string }): { [K in keyof SbomFactColumns]: RawBuilder<string | null> } {
  return factSubqueries(sql.val(d.digest), sql.val(d.service), sql.val(d.deployedAt.slice(0, 23)));
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
  // One statement: PostgreSQL evaluates volatile functions in the select list after ORDER BY (9.6 and later).
  await sql`select pg_advisory_xact_lock(k) from unnest(${`{${locks.join(",")}}`}::bigint[]) as k order by k`.execute(db);
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
    const facts = factSubqueries(sql.ref(`${table}.digest`), sql.ref(`${table}.service`), sql`substr(${sql.ref(`${table}.deployed_at`)}, 1, 23)`);
    await sql`update ${sql.table(table)} set
        digest_first_sbom_at = ${facts.digest_first_sbom_at},
        digest_sbom_at_deploy = ${facts.digest_sbom_at_deploy},
        service_first_sbom_at = ${facts.service_first_sbom_at}`.execute(db);
  }
}
