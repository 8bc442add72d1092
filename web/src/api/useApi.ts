import { useContext, useEffect, useState } from "react";
import { ApiError, apiGet, type Params } from "./client";
import { ReloadContext } from "./reload";

export type Load<T> =
  | { state: "loading" }
  | { state: "ok"; data: T }
  | { state: "error"; error: ApiError | Error }
  /** Not asked (a request that depends on another's answer, not there yet or not needed). */
  | { state: "idle" };

/**
 * One GET, re-run when the path, the parameters or the sign-in changes; an answer to an older request (the user
 * typed on) is dropped, never shown for the newer question.
 */
export function useApi<T>(path: string | undefined, params: Params = {}): Load<T> {
  const reload = useContext(ReloadContext);
  const key = path === undefined ? "" : JSON.stringify([path, params]);
  const [result, setResult] = useState<{ key: string; load: Load<T> }>({ key: "", load: { state: "idle" } });
  useEffect(() => {
    if (path === undefined) return;
    const controller = new AbortController();
    setResult({ key, load: { state: "loading" } });
    apiGet<T>(path, params, controller.signal).then(
      (data) => setResult({ key, load: { state: "ok", data } }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setResult({ key, load: { state: "error", error: error instanceof Error ? error : new Error(String(error)) } });
      },
    );
    return () => controller.abort();
    // `key` stands for path and params (a new object each render).
  }, [key, reload]);
  if (path === undefined) return { state: "idle" };
  return result.key === key ? result.load : { state: "loading" };
}

/** A view is settled (data-loaded="true") when none of its requests is still running. */
export function settled(...loads: Load<unknown>[]): boolean {
  return loads.every((l) => l.state !== "loading");
}

export function isApiError(error: unknown, status?: number): error is ApiError {
  return error instanceof ApiError && (status === undefined || error.status === status);
}
