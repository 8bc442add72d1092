/**
 * Issue 4, "Durability and faults", against the real `vouch log serve` process over loopback HTTP:
 *
 * - SIGKILL in the middle of a write load (filesystem, SQLite, PostgreSQL): after a restart on the same data, every
 *   acknowledged entry is at the index it was acknowledged with, the tree is consistent with every checkpoint any
 *   client saw (answers and /checkpoint polls), a submission that got no answer is in the log at most once, and
 *   writes resume at the next index. Twice per driver: the second crash must also honour the first one's promises.
 * - A tampered tile, entry bundle or entry record on disk (filesystem driver) is detected on read: the reads that
 *   depend on it answer 500 saying the storage is damaged, never the tampered bytes; untouched reads still work.
 * - Malformed, oversized (> 128 KiB) and badly signed submissions get 400 with a reason, and the tree does not move.
 * - Two processes on one PostgreSQL database: one sequences, both serve reads; SIGKILL of the sequencer under load
 *   and the other takes over within seconds with nothing acknowledged lost.
 *
 * Loads are small (a few hundred entries, 16 in flight) so the file stays well under a minute on two cores.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyConsistency, verifyInclusion } from "../../src/core/merkle/index.js";
import { spawnVouch, type RunningVouch } from "../support/cli.js";
import {
  auditAfterCrash,
  checkAnswer,
  checkConsistentWith,
  checkpointVerifier,
  currentHead,
  eachLimited,
  http,
  httpBytes,
  messageOf,
  onlyEntry,
  pollCheckpoints,
  readWholeLog,
  sequencingState,
  sleep,
  submit,
  WriteLoad,
  type CheckpointCheck,
} from "../support/log-load.js";
import { createTestDatabase, postgresUnavailable, type TestDatabase } from "../support/postgres.js";
import { ecdsaKey, hashedRekordProposal, publicKeyPem } from "../support/rekor-proposals.js";

const work = mkdtempSync(join(tmpdir(), "vouch-log-durability-"));
const LOG_SERVE = ["log", "serve", "--port", "0"];
/** Every process this file starts, so that a failed test leaves none behind. */
const started = new Set<RunningVouch>();

afterAll(async () => {
  for (const server of started) if (server.process.exitCode === null && server.process.signalCode === null) await server.kill();
  rmSync(work, { recursive: true, force: true });
});

async function serve(args: string[], env: Record<string, string>): Promise<RunningVouch> {
  const server = await spawnVouch(args, { env });
  started.add(server);
  return server;
}

interface Deployment {
  args: string[];
  env: Record<string, string>;
  dataDir: string;
}

function deployment(name: string, config?: string, extraEnv: Record<string, string> = {}): Deployment {
  const dataDir = join(work, name);
  let args = LOG_SERVE;
  if (config !== undefined) {
    const file = join(work, `${name}.yaml`);
    writeFileSync(file, config);
    args = ["--config", file, ...LOG_SERVE];
  }
  return { args, env: { VOUCH_DATA_DIR: dataDir, ...extraEnv }, dataDir };
}

/** Submits `count` new entries at once and returns their answers' indexes, sorted (all must be 201). */
async function submitMore(base: string, count: number, tag: string, checkpoints: string[]): Promise<number[]> {
  const load = await new WriteLoad({ url: () => base, key: ecdsaKey(), total: count, concurrency: count, tag, checkpoints }).start().settle();
  expect(load.refused).toEqual([]);
  expect(load.unanswered).toEqual([]);
  expect(load.broken).toEqual([]);
  return load.acknowledged.map((a) => a.logIndex).sort((a, b) => a - b);
}

const NOT_A_KEY = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

// --- 1. SIGKILL under write load -------------------------------------------------------------------------------------

/**
 * Two rounds of: write load with 16 in flight and /checkpoint polled, SIGKILL once `killAfter` answers came back
 * (with submissions still in flight), restart on the same data, audit everything every client was told so far.
 */
async function crashAndRecover(where: Deployment, label: string): Promise<void> {
  const observed: string[] = [];
  const loads: WriteLoad[] = [];
  let server = await serve(where.args, where.env);
  expect(await sequencingState(server)).toBe("sequencing");
  const verify = await checkpointVerifier(server.url);
  let unansweredPresent = 0;

  for (const [round, killAfter] of [60, 40].entries()) {
    const target = server;
    const poller = pollCheckpoints(() => target.url, observed);
    const load = new WriteLoad({ url: () => target.url, key: ecdsaKey(), total: 400, concurrency: 16, tag: `${label} round ${round}`, checkpoints: observed });
    loads.push(load.start());
    await load.untilAcknowledged(killAfter);
    load.stopIssuing();
    const inFlight = load.inFlight;
    await target.kill();
    await load.settle();
    await poller.stop();
    expect(inFlight, "submissions in flight when the server was killed").toBeGreaterThan(0);
    expect(load.acknowledged.length).toBeGreaterThanOrEqual(killAfter);
    expect(load.refused).toEqual([]);
    expect(load.broken).toEqual([]);

    server = await serve(where.args, where.env);
    expect(await sequencingState(server)).toBe("sequencing");
    const audit = await auditAfterCrash(server.url, loads, observed, verify);
    expect(audit.failures).toEqual([]);
    unansweredPresent = audit.unansweredPresent;
    const acknowledged = loads.flatMap((l) => l.acknowledged);
    expect(audit.head.size).toBeGreaterThanOrEqual(acknowledged.length);
    expect(audit.head.size).toBeLessThanOrEqual(acknowledged.length + loads.reduce((n, l) => n + l.unanswered.length, 0));
  }

  // A client retries what got no answer: an entry the crash let in is found (409, its one UUID), the others are
  // logged now; either way no leaf is in the log twice (readWholeLog checks).
  const retried: Record<string, number> = {};
  await eachLimited(
    loads.flatMap((l) => l.unanswered),
    8,
    async (proposal) => {
      const answer = await submit(server.url, proposal);
      retried[answer.status] = (retried[answer.status] ?? 0) + 1;
    },
  );
  expect(Object.keys(retried).filter((status) => status !== "201" && status !== "409")).toEqual([]);
  expect(retried["409"] ?? 0).toBe(unansweredPresent);
  expect((await readWholeLog(server.url, await currentHead(server.url, verify))).failures).toEqual([]);

  // Writes resume where the tree ends, and the new head extends everything seen before the crashes.
  const before = await currentHead(server.url, verify);
  expect(await submitMore(server.url, 16, `${label} after`, observed)).toEqual(range(before.size, 16));
  const after = await currentHead(server.url, verify);
  expect(after.size).toBe(before.size + 16);
  expect(await checkConsistentWith(server.url, observed, after, verify)).toEqual([]);
  expect(await server.stop()).toBe(0);
}

describe("SIGKILL in the middle of a write load, then a restart on the same data", () => {
  it("filesystem driver: acknowledged entries keep their index, the tree extends every checkpoint seen, writes resume", async () => {
    await crashAndRecover(deployment("crash-fs"), "fs");
  });

  it("SQLite driver: acknowledged entries keep their index, the tree extends every checkpoint seen, writes resume", async () => {
    await crashAndRecover(deployment("crash-sqlite", "log:\n  store: sqlite\n"), "sqlite");
  });

  it("PostgreSQL driver (one process): acknowledged entries keep their index, the tree extends every checkpoint seen, writes resume", async (ctx) => {
    const why = await postgresUnavailable();
    if (why !== undefined) return ctx.skip(`no PostgreSQL: ${why}`);
    const db = await createTestDatabase();
    try {
      await crashAndRecover(deployment("crash-pg", undefined, { DATABASE_URL: db.url }), "pg");
    } finally {
      await db.drop();
    }
  });
});

// --- 2. tampering on disk ----------------------------------------------------------------------------------------------

describe("a tampered tile, entry bundle or entry record on disk (filesystem driver)", () => {
  const where = deployment("tamper");
  const tilesDir = join(where.dataDir, "log", "tiles");
  const file = (name: string) => join(tilesDir, name);
  let entries: { uuid: string; logIndex: number }[] = [];
  let verify: CheckpointCheck;
  let headCheckpoint = "";

  /** Restarts the log on its data after `tamper` changed it, runs `check`, stops it and restores the files. */
  async function withTampered(names: string[], tamper: () => void, check: (base: string) => Promise<void>): Promise<void> {
    const originals = names.map((name) => [name, readFileSync(file(name))] as const);
    tamper();
    try {
      const server = await serve(where.args, where.env);
      try {
        await check(server.url);
      } finally {
        expect(await server.stop()).toBe(0);
      }
    } finally {
      for (const [name, bytes] of originals) writeFileSync(file(name), bytes);
    }
  }

  function flipByte(name: string, at: number): void {
    const bytes = readFileSync(file(name));
    bytes[at]! ^= 0x01;
    writeFileSync(file(name), bytes);
  }

  async function expectDamaged(base: string, path: string, tampered?: Buffer): Promise<void> {
    const answer = await httpBytes(`${base}${path}`);
    expect(answer.status, `GET ${path}`).toBe(500);
    expect(JSON.parse(answer.bytes.toString()).message, `GET ${path}`).toMatch(/storage is damaged/);
    if (tampered !== undefined) expect(answer.bytes.includes(tampered), `GET ${path} served the tampered bytes`).toBe(false);
  }

  async function expectEntry(base: string, logIndex: number): Promise<void> {
    const { uuid } = entries[logIndex]!;
    for (const path of [`/api/v1/log/entries/${uuid}`, `/api/v1/log/entries?logIndex=${logIndex}`]) {
      const answer = await http(`${base}${path}`);
      expect(answer.status, `GET ${path}`).toBe(200);
      const [key, entry] = onlyEntry(answer.json);
      expect(key).toBe(uuid);
      expect(entry.logIndex).toBe(logIndex);
      expect(checkAnswer(key, entry)).toBeUndefined();
    }
  }

  // 270 entries: one full tile and bundle, then a partial right edge.
  beforeAll(async () => {
    const server = await serve(where.args, where.env);
    verify = await checkpointVerifier(server.url);
    const load = await new WriteLoad({ url: () => server.url, key: ecdsaKey(), total: 270, concurrency: 48, tag: "tamper", checkpoints: [] }).start().settle();
    expect(load.refused).toEqual([]);
    expect(load.acknowledged).toHaveLength(270);
    entries = [...load.acknowledged].sort((a, b) => a.logIndex - b.logIndex);
    expect(entries.map((e) => e.logIndex)).toEqual(range(0, 270));
    headCheckpoint = (await currentHead(server.url, verify)).checkpoint;
    // The driver keeps the tlog-tiles layout: the files are what /tile serves (so flipping a byte in them is tampering
    // with exactly what a client would read).
    expect((await httpBytes(`${server.url}/tile/0/000`)).bytes.equals(readFileSync(file("tile/0/000")))).toBe(true);
    expect((await httpBytes(`${server.url}/tile/entries/000`)).bytes.equals(readFileSync(file("tile/entries/000")))).toBe(true);
    expect(await server.stop()).toBe(0);
  }, 30_000);

  it("an entry changed inside a full entry bundle: its reads answer 500 'damaged'; other entries and tiles are served", async () => {
    // Entry 20's body, in the middle: the length prefixes stay intact, so only the content is wrong.
    const bundle = readFileSync(file("tile/entries/000"));
    let at = 0;
    for (let i = 0; i < 20; i++) at += 2 + bundle.readUInt16BE(at);
    const length = bundle.readUInt16BE(at);
    const spot = at + 2 + Math.floor(length / 2);
    const tampered = Buffer.from(bundle.subarray(at + 2, at + 2 + length));
    tampered[spot - at - 2]! ^= 0x01;
    await withTampered(["tile/entries/000"], () => flipByte("tile/entries/000", spot), async (base) => {
      await expectDamaged(base, `/api/v1/log/entries/${entries[20]!.uuid}`, tampered);
      await expectDamaged(base, "/api/v1/log/entries?logIndex=20", tampered);
      await expectDamaged(base, "/tile/entries/000", tampered);
      const retrieve = await http(`${base}/api/v1/log/entries/retrieve`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ logIndexes: [20] }),
      });
      expect(retrieve.status).toBe(500);
      // Entries before it in the bundle, entries of the next bundle, hash tiles, checkpoints and proofs: untouched.
      await expectEntry(base, 0);
      await expectEntry(base, 19);
      await expectEntry(base, 265);
      expect((await httpBytes(`${base}/tile/0/000`)).status).toBe(200);
      expect((await http(`${base}/checkpoint`)).text).toBe(headCheckpoint);
      expect((await http(`${base}/api/v1/log/proof?firstSize=21&lastSize=270`)).status).toBe(200);
    });
  });

  it("a hash changed in a full tile: every read that needs it answers 500 'damaged'; reads beside it are served", async () => {
    const tile = readFileSync(file("tile/0/000"));
    const tampered = Buffer.from(tile.subarray(10 * 32, 11 * 32));
    tampered[7]! ^= 0x01;
    await withTampered(["tile/0/000"], () => flipByte("tile/0/000", 10 * 32 + 7), async (base) => {
      await expectDamaged(base, "/tile/0/000", tampered);
      // Entries 0-255 cannot be proven without the tile (nor their bundle served), whichever hash was changed.
      await expectDamaged(base, `/api/v1/log/entries/${entries[10]!.uuid}`, tampered);
      await expectDamaged(base, "/api/v1/log/entries?logIndex=200", tampered);
      await expectDamaged(base, "/tile/entries/000", tampered);
      await expectDamaged(base, "/api/v1/log/proof?firstSize=11&lastSize=270", tampered);
      // The right edge (entries 256+, tile 1/000) and proofs over whole tiles do not need it.
      await expectEntry(base, 256);
      await expectEntry(base, 269);
      const proof = await http(`${base}/api/v1/log/proof?firstSize=256&lastSize=270`);
      expect(proof.status).toBe(200);
      const head = verify(headCheckpoint);
      const at256 = await httpBytes(`${base}/tile/1/000.p/1`);
      expect(at256.status).toBe(200);
      const hashes = (proof.json as { hashes: string[] }).hashes.map((h) => Buffer.from(h, "hex"));
      expect(verifyConsistency(256n, 270n, hashes, at256.bytes, head.rootHash)).toEqual({ ok: true });
      expect((await http(`${base}/api/v1/log`)).status).toBe(200);
    });
  });

  it("a damaged right edge (partial tile or bundle): the log refuses to start, saying the storage is damaged", async () => {
    // The sequencer needs the right edge to extend the tree; it is checked against the signed root at startup.
    for (const [name, at] of [
      ["tile/0/001", 5],
      ["tile/1/000", 5],
      ["tile/entries/001", 40],
    ] as const) {
      const original = readFileSync(file(name));
      flipByte(name, at);
      try {
        const failed = await serve(where.args, where.env).then(
          async (server) => `started anyway: ${JSON.stringify(server.output())} (exit ${await server.stop()})`,
          (error: Error) => error.message,
        );
        expect(failed, name).toMatch(/exited with [1-9]\d* before serving[\s\S]*log storage is damaged/);
      } finally {
        writeFileSync(file(name), original);
      }
    }
    // Restored, it serves again.
    const server = await serve(where.args, where.env);
    await expectEntry(server.url, 265);
    expect(await server.stop()).toBe(0);
  });

  it("an entry record whose leaf hash was changed: GET by index never names an entry by a UUID its body does not hash to", async () => {
    // entry-records: 40 bytes per entry (leaf hash, integrated time). The record is the driver's index from UUID to
    // log index; the UUID it holds must not reach a client unchecked (the body beside it is checked against the tree).
    const tamperedUuid = Buffer.from(entries[7]!.uuid, "hex");
    tamperedUuid[3]! ^= 0x01;
    await withTampered(["entry-records"], () => flipByte("entry-records", 7 * 40 + 3), async (base) => {
      const byIndex = await http(`${base}/api/v1/log/entries?logIndex=7`);
      if (byIndex.status === 200) {
        const [key, entry] = onlyEntry(byIndex.json);
        expect(checkAnswer(key, entry), "GET ?logIndex=7 answered with a UUID that is not its body's leaf hash").toBeUndefined();
      } else {
        expect(byIndex.status).toBe(500);
        expect(messageOf(byIndex)).toMatch(/storage is damaged/);
      }
      expect(byIndex.text.includes(tamperedUuid.toString("hex"))).toBe(false);
      await expectEntry(base, 8);
    });
  });
});

// --- 3. refused submissions --------------------------------------------------------------------------------------------

describe("malformed, oversized and badly signed submissions (real process)", () => {
  it("get 400 with a reason, and none changes the tree", async () => {
    const where = deployment("refusals");
    const server = await serve(where.args, where.env);
    const base = server.url;
    const verify = await checkpointVerifier(base);
    expect(await submitMore(base, 3, "refusals", [])).toEqual([0, 1, 2]);
    const before = await currentHead(base, verify);

    const key = ecdsaKey();
    const other = ecdsaKey();
    const good = () => hashedRekordProposal(key, `refusal ${randomBytes(8).toString("hex")}`);
    const tweak = (change: (p: any) => void) => {
      const proposal: any = good();
      change(proposal);
      return proposal;
    };
    // [what, body, what the reason must be about]
    const cases: [string, unknown, RegExp][] = [
      ["not JSON", '{"kind": "hashedrekord", ', /JSON/],
      ["JSON, not an object", "[1,2,3]", /object/],
      ["no kind", { apiVersion: "0.0.1", spec: {} }, /kind/],
      ["an unknown kind", { apiVersion: "0.0.1", kind: "nosuchkind", spec: {} }, /nosuchkind/],
      ["an unknown hashedrekord version", tweak((p) => (p.apiVersion = "9.9.9")), /9\.9\.9/],
      ["no spec", { apiVersion: "0.0.1", kind: "hashedrekord" }, /spec/],
      ["a digest that is not hex", tweak((p) => (p.spec.data.hash.value = "zz".repeat(32))), /hash\.value/],
      ["a digest of the wrong length", tweak((p) => (p.spec.data.hash.value = "ab".repeat(20))), /hash\.value/],
      ["a public key that is not a key", tweak((p) => (p.spec.signature.publicKey.content = Buffer.from(NOT_A_KEY).toString("base64"))), /publicKey/],
      ["a signature that is not base64", tweak((p) => (p.spec.signature.content = "%%%not base64%%%")), /signature\.content/],
      ["an empty signature", tweak((p) => (p.spec.signature.content = "")), /signature\.content/],
      ["oversized: 130 KiB of JSON (the limit is 128 KiB)", tweak((p) => (p.spec.padding = "x".repeat(130 * 1024))), /too large/],
      ["oversized: 200 KiB of other JSON", "[" + "0,".repeat(100 * 1024) + "0]", /too large/],
      ["signed over other data", tweak((p) => (p.spec.data.hash.value = createHash("sha256").update("other data").digest("hex"))), /does not verify/],
      ["a signature with a flipped bit", tweak((p) => {
        const sig = Buffer.from(p.spec.signature.content, "base64");
        sig[sig.length - 5]! ^= 0x01;
        p.spec.signature.content = sig.toString("base64");
      }), /does not verify/],
      ["signed by another key than the one given", tweak((p) => (p.spec.signature.publicKey.content = Buffer.from(publicKeyPem(other)).toString("base64"))), /does not verify/],
    ];
    const answers: Record<string, string> = {};
    for (const [what, body, reason] of cases) {
      const answer = await submit(base, body);
      const message = messageOf(answer) ?? "";
      answers[what] = answer.status === 400 && reason.test(message) ? "400 with the reason" : `${answer.status} ${message || answer.text.slice(0, 200)}`;
    }
    expect(answers).toEqual(Object.fromEntries(cases.map(([what]) => [what, "400 with the reason"])));

    const after = await currentHead(base, verify);
    expect(after.size).toBe(before.size);
    expect(Buffer.from(after.rootHash).equals(Buffer.from(before.rootHash))).toBe(true);
    expect((await http(`${base}/checkpoint`)).text).toBe(before.checkpoint);
    // The limit is the documented one, not lower: 120 KiB (a field Rekor's schema does not know, which
    // canonicalisation drops) is taken, at the next index.
    const large = await submit(base, tweak((p) => (p.spec.padding = "x".repeat(120 * 1024))));
    expect(large.status, large.text).toBe(201);
    expect(onlyEntry(large.json)[1].logIndex).toBe(3);
    expect(await server.stop()).toBe(0);
  });
});

// --- 4. two processes on one PostgreSQL database ---------------------------------------------------------------------

describe("two vouch log serve processes on one PostgreSQL database", () => {
  /** Two processes on a fresh database sharing one data dir (the log key); the first to start sequences. */
  async function pair(name: string): Promise<{ db: TestDatabase; a: RunningVouch; b: RunningVouch; env: Record<string, string> }> {
    const db = await createTestDatabase();
    const where = deployment(name, undefined, {});
    const env = { ...where.env, DATABASE_URL: db.url };
    const a = await serve(where.args, env);
    expect(await sequencingState(a)).toBe("sequencing");
    const b = await serve(where.args, env);
    expect(await sequencingState(b)).toBe("serving reads");
    return { db, a, b, env };
  }

  /** Waits until `base` serves a checkpoint of at least `size` (a replica re-reads the head every 250 ms). */
  async function untilSize(base: string, size: number, verify: CheckpointCheck): Promise<string> {
    for (let tries = 0; ; tries++) {
      const text = (await http(`${base}/checkpoint`)).text;
      if (verify(text).size >= size) return text;
      if (tries > 200) throw new Error(`${base} still serves a checkpoint below ${size}`);
      await sleep(20);
    }
  }

  it("one sequences, both serve checkpoints, proofs and tiles; SIGKILL the sequencer under load and the other takes over within seconds, nothing acknowledged lost", async (ctx) => {
    const why = await postgresUnavailable();
    if (why !== undefined) return ctx.skip(`no PostgreSQL: ${why}`);
    const { db, a, b } = await pair("pg-pair");
    try {
      const verify = await checkpointVerifier(a.url);
      const observed: string[] = [];
      const first = new WriteLoad({ url: () => a.url, key: ecdsaKey(), total: 20, concurrency: 8, tag: "pair first", checkpoints: observed });
      await first.start().settle();
      expect(first.acknowledged).toHaveLength(20);

      // Both serve the same checkpoint, tiles and proofs.
      const checkpoint = await untilSize(b.url, 20, verify);
      expect((await http(`${a.url}/checkpoint`)).text).toBe(checkpoint);
      for (const path of ["/tile/0/000.p/20", "/tile/entries/000.p/20"]) {
        const [fromA, fromB] = await Promise.all([httpBytes(`${a.url}${path}`), httpBytes(`${b.url}${path}`)]);
        expect([fromA.status, fromB.status], path).toEqual([200, 200]);
        expect(fromB.bytes.equals(fromA.bytes), path).toBe(true);
      }
      const head = verify(checkpoint);
      for (const base of [a.url, b.url]) {
        const proof = await http(`${base}/api/v1/log/proof?firstSize=7&lastSize=20`);
        const at7 = await http(`${base}/api/v1/log/proof?firstSize=7&lastSize=7`);
        expect([proof.status, at7.status]).toEqual([200, 200]);
        const hashes = (proof.json as { hashes: string[] }).hashes.map((h) => Buffer.from(h, "hex"));
        expect(verifyConsistency(7n, 20n, hashes, Buffer.from((at7.json as { rootHash: string }).rootHash, "hex"), head.rootHash)).toEqual({ ok: true });
        const entry = await http(`${base}/api/v1/log/entries/${first.acknowledged[0]!.uuid}`);
        expect(entry.status).toBe(200);
        const [uuid, body] = onlyEntry(entry.json);
        expect(checkAnswer(uuid, body)).toBeUndefined();
      }

      // Load on both (the replica relays through the database queue), checkpoints polled from both; SIGKILL of the
      // sequencer with submissions in flight on both. The replica's clients give up after 4 s: a body the dead
      // sequencer had taken off the queue is never committed, and its submitter cannot be told so (see below).
      const pollers = [pollCheckpoints(() => a.url, observed), pollCheckpoints(() => b.url, observed)];
      const load = new WriteLoad({ url: () => a.url, key: ecdsaKey(), total: 400, concurrency: 12, tag: "pair load", checkpoints: observed }).start();
      const relayed = new WriteLoad({ url: () => b.url, key: ecdsaKey(), total: 400, concurrency: 6, tag: "pair relayed", checkpoints: observed, timeoutMs: 4_000 }).start();
      await Promise.all([load.untilAcknowledged(50), relayed.untilAcknowledged(10)]);
      load.stopIssuing();
      const inFlight = load.inFlight;
      await a.kill();
      const killedAt = Date.now();
      await load.settle();
      expect(inFlight).toBeGreaterThan(0);
      expect(load.refused).toEqual([]);
      expect(load.broken).toEqual([]);

      // The survivor takes the lease: its submissions start succeeding within seconds.
      const key = ecdsaKey();
      let takeoverMs = -1;
      const tried: number[] = [];
      while (Date.now() - killedAt < 15_000) {
        const answer = await submit(b.url, hashedRekordProposal(key, `takeover ${tried.length}`), { timeoutMs: 5_000 }).catch(() => ({ status: 0, text: "", json: undefined }));
        tried.push(answer.status);
        if (answer.status === 201) {
          takeoverMs = Date.now() - killedAt;
          const [uuid, entry] = onlyEntry(answer.json);
          expect(checkAnswer(uuid, entry)).toBeUndefined();
          observed.push(entry.verification.inclusionProof.checkpoint);
          break;
        }
        await sleep(100);
      }
      expect(takeoverMs, `no 201 from the survivor in 15 s (answers: ${tried.join(" ")})`).toBeGreaterThanOrEqual(0);
      expect(takeoverMs).toBeLessThan(10_000);
      relayed.stopIssuing();
      await relayed.settle();
      await Promise.all(pollers.map((p) => p.stop()));
      expect(relayed.refused).toEqual([]);
      expect(relayed.broken).toEqual([]);
      expect(relayed.acknowledged.length).toBeGreaterThanOrEqual(10);

      const audit = await auditAfterCrash(b.url, [first, load, relayed], observed, verify);
      expect(audit.failures).toEqual([]);
      const resumed = await submitMore(b.url, 16, "pair after", observed);
      expect(resumed).toEqual(range(audit.head.size, 16));
      expect(await checkConsistentWith(b.url, observed, await currentHead(b.url, verify), verify)).toEqual([]);
      expect(await b.stop()).toBe(0);
    } finally {
      await db.drop();
    }
  });

  it("both accept submissions: the replica that does not sequence takes entries too, and they are logged once", async (ctx) => {
    const why = await postgresUnavailable();
    if (why !== undefined) return ctx.skip(`no PostgreSQL: ${why}`);
    const { db, a, b } = await pair("pg-both");
    try {
      const verify = await checkpointVerifier(a.url);
      const observed: string[] = [];
      const loads = [a, b].map((server) =>
        new WriteLoad({ url: () => server.url, key: ecdsaKey(), total: 24, concurrency: 8, tag: `both ${server.url}`, checkpoints: observed }).start(),
      );
      await Promise.all(loads.map((l) => l.settle()));
      expect(loads[1]!.refused.slice(0, 1), "the non-sequencing replica refused submissions").toEqual([]);
      expect(loads.map((l) => l.acknowledged.length)).toEqual([24, 24]);
      const indexes = loads.flatMap((l) => l.acknowledged.map((e) => e.logIndex)).sort((x, y) => x - y);
      expect(indexes).toEqual(range(0, 48));
      for (const server of [a, b]) {
        const head = verify(await untilSize(server.url, 48, verify));
        expect(await checkConsistentWith(server.url, observed, head, verify)).toEqual([]);
      }
      for (const entry of loads[1]!.acknowledged) {
        const [, found] = onlyEntry((await http(`${a.url}/api/v1/log/entries/${entry.uuid}`)).json);
        const p = found.verification.inclusionProof;
        expect(
          verifyInclusion(BigInt(p.logIndex), BigInt(p.treeSize), Buffer.from(entry.uuid, "hex"), p.hashes.map((h) => Buffer.from(h, "hex")), Buffer.from(p.rootHash, "hex")),
        ).toEqual({ ok: true });
      }
      expect(await a.stop()).toBe(0);
      expect(await b.stop()).toBe(0);
    } finally {
      await db.drop();
    }
  });
});
