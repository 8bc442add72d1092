import { describe, expect, it } from "vitest";
import { backoffDelay, DEFAULT_RETRY_POLICY, isRetryableStatus, parseRetryAfter } from "./retry.js";

describe("retry policy", () => {
  it("retries 429 and the gateway family only (500 and 501 are terminal per distribution-spec)", () => {
    expect([429, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([200, 400, 401, 404, 500, 501, 505].some(isRetryableStatus)).toBe(false);
  });

  it("reads Retry-After as seconds or an HTTP-date, and ignores anything else", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now)).toBe(0); // in the past
    for (const junk of ["", "-1", "1.5", "soon", "2026-01-01T00:00:30Z", "99999999999"]) expect(parseRetryAfter(junk, now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it("backs off exponentially with equal jitter, capped, and takes Retry-After as it is", () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
    const low = () => 0;
    const high = () => 0.999999;
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy, low))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy, high))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffDelay(1, policy, low, 2500)).toBe(2500);
    // a random source out of range is clamped rather than trusted
    expect(backoffDelay(1, policy, () => 7)).toBe(100);
  });
});
