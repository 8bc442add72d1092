/**
 * Dependency health for the policy engine: a circuit breaker per dependency (a registry host, the advisory
 * database), pure (the clock is a parameter, no timers).
 *
 * healthy → a failure opens the breaker: the dependency is unhealthy until `nextProbeAt`, and requests meanwhile do
 * not wait on it (each covering policy's `onVerificationUnavailable` decides at once, instead of every admission
 * request waiting out the registry's timeout). From `nextProbeAt` one caller is let through as the probe (half-open);
 * its success closes the breaker (normal evaluation again, automatically), its failure opens it again with the
 * delay doubled up to `maxDelayMs`.
 */

export interface HealthOptions {
  /** Delay before the first probe after a failure (ms). */
  baseDelayMs: number;
  /** Longest delay between probes (ms). */
  maxDelayMs: number;
  now: () => number;
}

export interface DependencyState {
  readonly healthy: boolean;
  /** Why it is unhealthy (the last failure). */
  readonly reason?: string;
  /** When it became unhealthy (ms). */
  readonly since?: number;
  readonly nextProbeAt?: number;
  readonly failures: number;
}

/** `call`: healthy, go ahead. `probe`: unhealthy, but this caller is the probe. `skip`: unhealthy, do not call. */
export type Admission = "call" | "probe" | "skip";

interface State {
  reason: string;
  since: number;
  failures: number;
  nextProbeAt: number;
  probing: boolean;
}

export class DependencyHealth {
  readonly #states = new Map<string, State>();
  readonly #options: HealthOptions;

  constructor(options: HealthOptions) {
    if (!(options.baseDelayMs > 0) || !(options.maxDelayMs >= options.baseDelayMs)) throw new RangeError("need 0 < baseDelayMs <= maxDelayMs");
    this.#options = options;
  }

  /** Whether to call `dependency` now. A `probe` answer MUST be followed by succeeded() or failed(). */
  admit(dependency: string): Admission {
    const state = this.#states.get(dependency);
    if (state === undefined) return "call";
    if (state.probing || this.#options.now() < state.nextProbeAt) return "skip";
    state.probing = true;
    return "probe";
  }

  succeeded(dependency: string): void {
    this.#states.delete(dependency);
  }

  failed(dependency: string, reason: string): void {
    const now = this.#options.now();
    const previous = this.#states.get(dependency);
    const failures = (previous?.failures ?? 0) + 1;
    const delay = Math.min(this.#options.baseDelayMs * 2 ** Math.min(failures - 1, 30), this.#options.maxDelayMs);
    this.#states.set(dependency, { reason, since: previous?.since ?? now, failures, nextProbeAt: now + delay, probing: false });
  }

  state(dependency: string): DependencyState {
    const state = this.#states.get(dependency);
    if (state === undefined) return { healthy: true, failures: 0 };
    return { healthy: false, reason: state.reason, since: state.since, nextProbeAt: state.nextProbeAt, failures: state.failures };
  }

  /** Every unhealthy dependency, by name. */
  unhealthy(): string[] {
    return [...this.#states.keys()].sort();
  }

  /** Whether `dependency` is due for a probe (for a background prober: no request may come to probe it). */
  dueForProbe(dependency: string): boolean {
    const state = this.#states.get(dependency);
    return state !== undefined && !state.probing && this.#options.now() >= state.nextProbeAt;
  }
}
