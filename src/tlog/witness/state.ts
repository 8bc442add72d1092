/**
 * The witness's memory of each log: the latest checkpoint it cosigned (c2sp.org/tlog-witness: "for each log ... the
 * witness is only required to keep track of the latest checkpoint it observed and verified").
 */
export interface WitnessCheckpoint {
  /** Tree size of the cosigned checkpoint. */
  size: number;
  /** Its root hash (32 bytes). */
  rootHash: Uint8Array;
  /** The signed note as the log submitted it: the log's signature is the evidence the witness keeps. */
  note: string;
}

/**
 * Where a witness keeps its state, per log origin.
 *
 * Contract (every implementation):
 * - `get` returns the last checkpoint `compareAndSet` stored for the origin, or undefined when none was.
 * - `compareAndSet` MUST be atomic with respect to every other call for the same origin: it stores `next` and
 *   resolves true only if the stored size is `oldSize` (0 when nothing is stored); otherwise it MUST change nothing
 *   and resolve false. Without this, two concurrent requests could roll the witness back (tlog-witness, the race
 *   "stored size is updated to N for request A, rolling back K leaves").
 * - When `compareAndSet` resolves true, `next` MUST be durable (survive a crash): the witness releases its
 *   cosignature only after that, and MUST NOT later cosign a checkpoint inconsistent with it.
 * - Implementations MUST NOT let one origin's state overwrite another's, whatever bytes the origin contains.
 */
export interface WitnessStateStore {
  get(origin: string): Promise<WitnessCheckpoint | undefined>;
  compareAndSet(origin: string, oldSize: number, next: WitnessCheckpoint): Promise<boolean>;
}

/** An in-memory WitnessStateStore (tests, and witnesses that may forget everything on restart: none should). */
export function memoryWitnessState(): WitnessStateStore {
  const states = new Map<string, WitnessCheckpoint>();
  const copy = (c: WitnessCheckpoint): WitnessCheckpoint => ({ size: c.size, rootHash: Uint8Array.from(c.rootHash), note: c.note });
  return {
    get: async (origin) => {
      const state = states.get(origin);
      return state === undefined ? undefined : copy(state);
    },
    // Synchronous between the read and the write, so atomic on one event loop.
    compareAndSet: async (origin, oldSize, next) => {
      if ((states.get(origin)?.size ?? 0) !== oldSize) return false;
      states.set(origin, copy(next));
      return true;
    },
  };
}
