import { VouchError } from "../core/errors.js";
import type { DecisionStore } from "../store/ports.js";
import type { DecisionListQuery, DecisionPage } from "./views.js";

/**
 * `GET /api/v1/decisions`: the policy decision events (admission, CLI gates, reconciliations), newest first, for the
 * on-call view's recent denies and the deployments decided in audit mode or by an outage action that still await
 * re-verification (`pending=true`). Events are answered exactly as recorded.
 */

export interface DecisionLog {
  list(query?: DecisionListQuery): Promise<DecisionPage>;
}

export const DEFAULT_DECISION_PAGE = 50;
export const MAX_DECISION_PAGE = 500;

/**
 * @example
 *   const log = createDecisionLog(store);
 *   const { events, next } = await log.list({ allowed: false, limit: 20 }); // the 20 latest denies
 */
export function createDecisionLog(store: Pick<DecisionStore, "list">): DecisionLog {
  return {
    async list(query: DecisionListQuery = {}): Promise<DecisionPage> {
      const limit = query.limit ?? DEFAULT_DECISION_PAGE;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_DECISION_PAGE) throw new VouchError("INPUT_USAGE", `limit is a whole number from 1 to ${MAX_DECISION_PAGE}, not ${String(limit)}`);
      const page = await store.list({
        order: "desc",
        limit,
        ...(query.allowed === undefined ? {} : { allowed: query.allowed }),
        ...(query.pending === undefined ? {} : { pending: query.pending }),
        ...(query.source === undefined ? {} : { source: query.source }),
        ...(query.since === undefined ? {} : { since: query.since }),
        ...(query.until === undefined ? {} : { until: query.until }),
        ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      });
      return page.next === undefined ? { events: page.events } : { events: page.events, next: page.next };
    },
  };
}
