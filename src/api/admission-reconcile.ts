import { randomUUID } from "node:crypto";
import type { Decision, DecideRequest, ImageRequest, PolicyEngine } from "../policy/decision.js";
import type { DecisionEvent, DecisionStore } from "../store/ports.js";

/** What reconciliation needs of the engine (createPolicyEngine's): deciding, and probing unhealthy dependencies. */
export interface ReconcilingEngine extends Pick<PolicyEngine, "decide"> {
  /** Asks every unhealthy dependency whether it is back; resolves to the ones still unhealthy. */
  probe(): Promise<string[]>;
  /** Writes the decisions the engine still holds (its background writer), so that they are reconciled too. */
  flush?(): Promise<void>;
}

export interface ReconcileOptions {
  store: DecisionStore;
  engine: ReconcilingEngine;
  /** Only events decided at or after this instant (RFC 3339). */
  since?: string;
  /** Ids of the new events (default randomUUID). */
  newId?: () => string;
  /** Events re-decided at most in this run (default: all pending). */
  limit?: number;
}

/** One event re-decided. */
export interface Reconciled {
  /** The event that needed reconciliation. */
  id: string;
  /** The event recording the new decision (its `reconciles` is `id`). */
  by: string;
  resource: DecisionEvent["resource"];
  wasAllowed: boolean;
  allowed: boolean;
  /** The new decision's reasons (why it is denied now). */
  reasons: readonly string[];
}

export interface ReconcileResult {
  reconciled: Reconciled[];
  /** Pending events left for a later run: their dependency is still unavailable, with why. */
  deferred: { id: string; reason: string }[];
  /** Dependencies still unhealthy after probing. */
  unhealthy: string[];
}

/**
 * `vouch admission reconcile`: re-decides every recorded decision that needs it (taken by an outage action such as
 * allow-and-record, or use-cache) once the dependencies are back, records the new decision as an event that names
 * the old one (`reconciles`), and marks the old one reconciled by it. The new decision is taken now, with the
 * policies and exceptions in force now: an exception that expired since the first decision does not apply.
 *
 * A re-decision that still meets an outage is not recorded; its event stays pending for the next run. Reconciling
 * records; it does not undo what the API server admitted (a denied re-decision is reported, as Kyverno's background
 * scans report, for someone to act on).
 *
 * @example
 *   const r = await reconcileDecisions({ store, engine, since: "2026-03-01T00:00:00Z" });
 *   for (const x of r.reconciled.filter((x) => x.wasAllowed && !x.allowed)) console.log(x.id, x.reasons);
 */
export async function reconcileDecisions(options: ReconcileOptions): Promise<ReconcileResult> {
  const newId = options.newId ?? randomUUID;
  await options.engine.flush?.();
  const unhealthy = await options.engine.probe();
  const result: ReconcileResult = { reconciled: [], deferred: [], unhealthy };
  let cursor: string | undefined;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  do {
    const page = await options.store.list({ pending: true, ...(options.since !== undefined ? { since: options.since } : {}), ...(cursor !== undefined ? { cursor } : {}) });
    for (const event of page.events) {
      if (result.reconciled.length + result.deferred.length >= limit) return result;
      const request = requestOf(event);
      const decision = await options.engine.decide(request);
      if (decision.needsReconciliation) {
        result.deferred.push({ id: event.id, reason: degradedReason(decision) });
        continue;
      }
      const by = newId();
      await options.store.record({
        id: by,
        time: decision.decidedAt,
        source: "reconcile",
        resource: event.resource,
        ...(event.uid !== undefined ? { uid: event.uid } : {}),
        ...(event.operation !== undefined ? { operation: event.operation } : {}),
        allowed: decision.allowed,
        needsReconciliation: false,
        decision: decision as unknown as Record<string, unknown>,
        reconciles: event.id,
      });
      await options.store.markReconciled(event.id, { at: decision.decidedAt, by });
      result.reconciled.push({ id: event.id, by, resource: event.resource, wasAllowed: event.allowed, allowed: decision.allowed, reasons: decision.reasons });
    }
    cursor = page.next;
  } while (cursor !== undefined);
  return result;
}

/** The request the recorded decision answered, for deciding again (dry run: reconciliation records it itself). */
function requestOf(event: DecisionEvent): DecideRequest {
  const decision = event.decision as unknown as Decision;
  const images: ImageRequest[] = (Array.isArray(decision.images) ? decision.images : []).map((i) => ({ reference: i.reference, ...(i.path !== undefined ? { path: i.path } : {}) }));
  return {
    resource: event.resource,
    images,
    source: "reconcile",
    ...(event.uid !== undefined ? { uid: event.uid } : {}),
    ...(event.operation !== undefined ? { operation: event.operation } : {}),
    dryRun: true,
  };
}

function degradedReason(decision: Decision): string {
  for (const image of decision.images) {
    for (const policy of image.policies) if (policy.degraded !== undefined) return `${image.reference}: ${policy.degraded.reason}`;
  }
  return "verification still unavailable";
}

/** Renders a run for the terminal: one line per re-decided event, then what was left. */
export function renderReconcile(result: ReconcileResult): string {
  const lines: string[] = [];
  for (const r of result.reconciled) {
    const what = `${r.resource.kind}${r.resource.namespace !== undefined ? ` ${r.resource.namespace}/` : " "}${r.resource.name ?? "(unnamed)"}`;
    const verdict = r.allowed ? "allowed" : "DENIED";
    lines.push(`${verdict.padEnd(8)}${what}  (was ${r.wasAllowed ? "allowed" : "denied"}; event ${r.id} -> ${r.by})`);
    for (const reason of r.reasons) lines.push(`          ${reason}`);
  }
  for (const d of result.deferred) lines.push(`pending ${d.id}: ${d.reason}`);
  if (result.unhealthy.length > 0) lines.push(`still unavailable: ${result.unhealthy.join(", ")}`);
  lines.push(`${result.reconciled.length} re-decided (${result.reconciled.filter((r) => !r.allowed).length} denied now), ${result.deferred.length} left pending`);
  return `${lines.join("\n")}\n`;
}
