/**
 * When and how long to wait before trying a registry request again (distribution-spec: "If an 502, 503 or 504
 * error is received, the client SHOULD assume that the download can proceed due to a temporary condition, honoring
 * the appropriate retry mechanism. Other 5xx errors SHOULD be treated as terminal"; 429 TOOMANYREQUESTS with
 * Retry-After, RFC 9110 §10.2.3). Pure: the clock and the randomness come in as parameters.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. Default 4. */
  tries: number;
  /** The first backoff (before jitter). Default 250 ms; doubles per attempt. */
  baseDelayMs: number;
  /** No computed backoff is longer. Default 8 s. */
  maxDelayMs: number;
  /**
   * The longest Retry-After the client waits for. A registry asking for more is not retried: waiting minutes
   * inside one command helps nobody, and the error says when to try again. Default 60 s.
   */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({ tries: 4, baseDelayMs: 250, maxDelayMs: 8_000, maxRetryAfterMs: 60_000 });

/** Statuses that say "later" rather than "no": 429 and the gateway family (not 500/501: terminal per the spec). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

/**
 * Retry-After in milliseconds from now: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). Undefined when absent or
 * unreadable (the caller backs off on its own); a date in the past is 0.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  // IMF-fixdate and the two obsolete forms all start with a day name; Date.parse reads them. Anything else is noise.
  if (!/^[A-Za-z]{3}/.test(text)) return undefined;
  const when = Date.parse(text);
  if (Number.isNaN(when)) return undefined;
  return Math.max(0, when - now);
}

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1): the registry's Retry-After when it gave one,
 * else exponential backoff with "equal jitter" (half fixed, half random), so that many clients failed by the same
 * outage do not come back in step. `random` returns [0, 1).
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(exponential / 2 + (exponential / 2) * r);
}

/** A sleep that an AbortSignal cuts short (rejecting with the signal's reason). */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
