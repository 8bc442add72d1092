import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { link, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import type { SequencerLease } from "./ports.js";

/**
 * Cross-process locks for the drivers that live on one machine (filesystem, SQLite). Node has no flock(2), so a
 * lock names its owner — pid, host, boot and process start time — and a lock whose owner is dead is stale and may be
 * taken over (ports.ts: "a lease held by a process that died MUST become available again within seconds").
 *
 * The start time defeats pid reuse: a container restarted after a crash usually gets the same pid (often 1) as the
 * process that left the lock, and `kill(pid, 0)` alone would call that lock live forever. The boot id does the same
 * across a reboot. A lock from another host cannot be judged and is treated as live: these drivers are for one host
 * (PostgreSQL is the multi-host store).
 */

export interface LockOwner {
  pid: number;
  host: string;
  /** Linux /proc/sys/kernel/random/boot_id, when readable. */
  boot?: string;
  /** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), when readable. */
  start?: string;
  /** Names one holding: two stores in one process (or two leases over time) never share it. */
  token: string;
}

const HOST = hostname();
const BOOT = readProcText("/proc/sys/kernel/random/boot_id")?.trim();
const OWN_START = processStart(process.pid)?.start;
/** Tokens this process holds right now: our own pid is alive, so liveness of our locks is decided by token. */
const heldHere = new Set<string>();

/** A new owner identity for this process (not yet holding anything). */
export function newLockOwner(): LockOwner {
  return { pid: process.pid, host: HOST, boot: BOOT, start: OWN_START, token: randomBytes(16).toString("hex") };
}

/** Records that this process holds (or no longer holds) the lock named by `token`. */
export function markHeld(token: string, held: boolean): void {
  if (held) heldHere.add(token);
  else heldHere.delete(token);
}

/** Whether the process that owns a lock may still hold it. Conservative: when in doubt, it is alive. */
export function isOwnerAlive(owner: LockOwner): boolean {
  if (owner.host !== HOST) return true;
  if (owner.boot !== undefined && BOOT !== undefined && owner.boot !== BOOT) return false;
  if (owner.pid === process.pid && (owner.start === undefined || owner.start === OWN_START)) return heldHere.has(owner.token);
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
  }
  const now = processStart(owner.pid);
  if (now === undefined) return true;
  if (now.zombie) return false;
  return owner.start === undefined || owner.start === now.start;
}

/** Parses a stored owner; undefined for anything that is not one (a lock we cannot read is stale). */
export function parseLockOwner(text: string): LockOwner | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { pid, host, boot, start, token } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(pid) || (pid as number) <= 0 || typeof host !== "string" || typeof token !== "string" || token === "") {
    return undefined;
  }
  if ((boot !== undefined && typeof boot !== "string") || (start !== undefined && typeof start !== "string")) return undefined;
  return { pid: pid as number, host, boot, start, token };
}

/** A held lock file. */
export interface FileLock {
  readonly owner: LockOwner;
  /** Whether the file still names this holding (an operator or a stale-lock takeover may have replaced it). */
  isHeld(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * Takes the lock file at `path`, or returns undefined when a live process holds it.
 *
 * The file appears whole or not at all: the owner is written to a temporary file that is then hard-linked to `path`
 * (link(2) fails with EEXIST atomically, unlike open-then-write, which lets others read an empty lock). A stale lock
 * is claimed by renaming it away — only one contender's rename can move that file — and checked to be the one judged
 * stale; if a contender replaced it in between, it is put back. What remains is a window of microseconds in which
 * two contenders for the same stale lock can both win; `isHeld` polling (see `pollingLease`) then shows the loser its
 * loss, and the log's own compare-and-swap keeps the tree append-only meanwhile.
 */
export async function tryLockFile(path: string): Promise<FileLock | undefined> {
  const owner = newLockOwner();
  const text = `${JSON.stringify(owner)}\n`;
  const mine = `${path}.${owner.token}`;
  // Marked before the link: another store in this process may read the lock the moment it exists, and must see
  // it live (our pid is alive, so the token decides).
  markHeld(owner.token, true);
  let locked = false;
  try {
    await writeFile(mine, text, { flag: "wx" });
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await link(mine, path);
        locked = true;
        return fileLock(path, owner);
      } catch (err) {
        if (errorCode(err) !== "EEXIST") throw err;
      }
      const seen = await readOptional(path);
      if (seen === undefined) continue; // released meanwhile: try again
      const seenOwner = parseLockOwner(seen);
      if (seenOwner !== undefined && isOwnerAlive(seenOwner)) return undefined;
      const claimed = `${path}.${owner.token}.stale`;
      try {
        await rename(path, claimed);
      } catch (err) {
        if (errorCode(err) === "ENOENT") continue; // another contender claimed it first
        throw err;
      }
      const moved = await readFile(claimed, "utf8");
      if (moved !== seen) {
        // Not the stale lock we judged: a contender took over between our read and our rename. Put it back.
        await link(claimed, path).catch(() => undefined);
        await unlink(claimed);
        return undefined;
      }
      await unlink(claimed);
    }
    return undefined;
  } finally {
    if (!locked) markHeld(owner.token, false);
    await unlink(mine).catch(() => undefined);
  }
}

function fileLock(path: string, owner: LockOwner): FileLock {
  const isHeld = async () => parseLockOwner((await readOptional(path)) ?? "")?.token === owner.token;
  let released = false;
  return {
    owner,
    isHeld,
    async release() {
      if (released) return;
      released = true;
      try {
        if (await isHeld()) await unlink(path);
      } finally {
        markHeld(owner.token, false);
      }
    },
  };
}

/**
 * A SequencerLease whose loss is found by polling `stillHeld` (a lock file or a row has no connection to drop).
 * `lost` also resolves when the lease is released, so that a holder awaiting it always wakes up.
 */
export function pollingLease(stillHeld: () => Promise<boolean>, release: () => Promise<void>, intervalMs = 1000): SequencerLease {
  let resolveLost!: () => void;
  const lost = new Promise<void>((resolve) => (resolveLost = resolve));
  let ended = false;
  let released = false;
  const end = () => {
    ended = true;
    clearInterval(timer);
    resolveLost();
  };
  const timer = setInterval(() => {
    stillHeld().then(
      (held) => {
        if (!held && !ended) end();
      },
      () => end(),
    );
  }, intervalMs);
  timer.unref();
  return {
    lost,
    async release() {
      if (released) return;
      released = true;
      end();
      await release();
    },
  };
}

function processStart(pid: number): { start: string; zombie: boolean } | undefined {
  const stat = readProcText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so fields are counted after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const start = fields[19];
  return start === undefined ? undefined : { start, zombie: fields[0] === "Z" };
}

function readProcText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if (errorCode(err) === "ENOENT") return undefined;
    throw err;
  }
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}
