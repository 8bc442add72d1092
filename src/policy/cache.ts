import type { ImagePolicy } from "./model/types.js";

/**
 * The policy engine's cache logic, pure: the clock is a parameter (milliseconds since the epoch), there are no timers.
 *
 * - VerdictCache: values by key with a positive and a negative TTL; an entry past its TTL is *stale*, not gone: the
 *   `use-cache` outage action replays it (policy-controller's and Kyverno's caches drop it, and then fail closed or
 *   open; a stale verdict for exactly the same inputs is the better answer during an outage). Least recently used
 *   entries are evicted past `maxEntries`, and stale ones past `maxStaleMs`.
 * - Coalescer: concurrent requests for one key share one computation (one registry walk for 20 Pods of one image).
 * - exceptionBoundary: a cached verdict is never served fresh past an exception's expiry (an expired exception stops
 *   applying everywhere, the issue says; evaluate re-judges the exceptions of a verdict use-cache replays).
 */

export interface VerdictCacheOptions {
  /** How long a positive entry (allowed, no warnings) is fresh. */
  positiveTtlMs: number;
  /** How long a negative entry (denied or warned) is fresh: short, so a signature pushed after a deny is seen soon. */
  negativeTtlMs: number;
  /** Entries kept at most (least recently used evicted first). */
  maxEntries: number;
  /** How long past its TTL an entry may still be replayed by `use-cache` (default one day). */
  maxStaleMs?: number;
  now: () => number;
}

export interface CacheHit<V> {
  readonly value: V;
  /** Within its TTL. A stale hit is only for the outage path. */
  readonly fresh: boolean;
  readonly storedAt: number;
}

interface Entry<V> {
  value: V;
  storedAt: number;
  freshUntil: number;
}

export const DEFAULT_MAX_STALE_MS = 24 * 60 * 60 * 1000;

export class VerdictCache<V> {
  readonly #entries = new Map<string, Entry<V>>();
  readonly #options: VerdictCacheOptions;

  constructor(options: VerdictCacheOptions) {
    for (const name of ["positiveTtlMs", "negativeTtlMs", "maxEntries"] as const) {
      if (!(options[name] >= 0) || !Number.isFinite(options[name])) throw new RangeError(`${name} must be a finite number >= 0, got ${options[name]}`);
    }
    this.#options = options;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The entry for `key`, fresh or stale; undefined when there is none or it is too stale to replay. */
  lookup(key: string): CacheHit<V> | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    const now = this.#options.now();
    if (now >= entry.freshUntil + (this.#options.maxStaleMs ?? DEFAULT_MAX_STALE_MS)) {
      this.#entries.delete(key);
      return undefined;
    }
    // Map order is the LRU order: a read moves the entry to the end.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return { value: entry.value, fresh: now < entry.freshUntil, storedAt: entry.storedAt };
  }

  /**
   * Stores `value`: fresh for the positive or negative TTL, but never past `notAfter` (ms; an exception's expiry, a
   * certificate's end), so that what changes at a known instant is decided again from that instant on.
   */
  store(key: string, value: V, how: { positive: boolean; notAfter?: number }): void {
    const now = this.#options.now();
    const ttl = how.positive ? this.#options.positiveTtlMs : this.#options.negativeTtlMs;
    const freshUntil = Math.min(now + ttl, how.notAfter ?? Number.POSITIVE_INFINITY);
    this.#entries.delete(key);
    this.#entries.set(key, { value, storedAt: now, freshUntil });
    while (this.#entries.size > this.#options.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** Concurrent calls with one key share the first call's promise until it settles (success or failure). */
export class Coalescer<V> {
  readonly #inFlight = new Map<string, Promise<V>>();

  get inFlight(): number {
    return this.#inFlight.size;
  }

  run(key: string, work: () => Promise<V>): Promise<V> {
    const running = this.#inFlight.get(key);
    if (running !== undefined) return running;
    const started = (async () => {
      try {
        return await work();
      } finally {
        this.#inFlight.delete(key);
      }
    })();
    this.#inFlight.set(key, started);
    return started;
  }
}

/**
 * The first instant after `now` at which one of the policies' exceptions expires (ms), or undefined: a verdict taken
 * before it may rest on the exception, and must not be served fresh after it.
 */
export function exceptionBoundary(policies: readonly ImagePolicy[], now: number): number | undefined {
  let first: number | undefined;
  for (const policy of policies) {
    for (const exception of policy.exceptions) {
      const at = exception.expiresAt.getTime();
      if (at > now && (first === undefined || at < first)) first = at;
    }
  }
  return first;
}

/** A cache key from parts (order matters; parts may hold any character): JSON of the list. */
export function cacheKey(parts: readonly (string | number | boolean | undefined)[]): string {
  return JSON.stringify(parts);
}
