import type { AffectedResult } from "./types";
import { apiGet, type Params } from "./client";

/** The most artifacts the impact route gives in one page. */
const PAGE = 10_000;

/**
 * The whole impact answer, every page joined: the route pages its artifacts (1,000 by default) and the view shows
 * the first page, but an export must hold every affected artifact. A page that does not move the cursor ends the
 * walk with an error instead of looping (a broken server).
 */
export async function affectedWhole(params: Params): Promise<AffectedResult> {
  const first = await apiGet<AffectedResult>("/api/v1/affected", { ...params, limit: PAGE });
  const artifacts = [...first.artifacts];
  let next = first.next;
  while (next !== undefined) {
    const page: AffectedResult = await apiGet<AffectedResult>("/api/v1/affected", { ...params, limit: PAGE, cursor: next });
    if (page.next === next || (page.artifacts.length === 0 && page.next !== undefined)) throw new Error("the server's impact pages do not advance");
    artifacts.push(...page.artifacts);
    next = page.next;
  }
  const whole: AffectedResult = { ...first, artifacts };
  delete whole.next;
  return whole;
}
