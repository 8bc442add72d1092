import { createPublicKey, type KeyObject } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { createNoteSigner, parseSignedNote, signCheckpoint, verifyNoteSignature } from "../../core/note/index.js";
import { createLogSigner } from "../log-signer.js";
import { rejectedVouchError } from "../../../test/support/errors.js";
import {
  certificateProposal,
  identityCertificate,
  injectFetch,
  instantSleep,
  memoryFiles,
  startTestLog,
  steppingClock,
  type TestLog,
} from "../../../test/support/monitor-harness.js";
import { ecdsaKey, hashedRekordProposal } from "../../../test/support/rekor-proposals.js";
import type { Alert } from "./alerts.js";
import { checkpointVerifier } from "./checkpoint.js";
import { HttpClient, type FetchLike } from "./http.js";
import { createMonitor, type MonitorOptions } from "./monitor.js";
import { alertSink } from "./notify.js";
import { keyFingerprint } from "./signers.js";
import { tilesSource, type LogApi } from "./sources.js";
import { archiveLine, fileMonitorState, parseArchive } from "./state.js";
import { compileWatchList, type WatchRule } from "./watch-list.js";

const ORIGIN = "monitor.test/log";
const logKey = ecdsaKey();
const signer = createLogSigner(logKey, ORIGIN);
const vkey = signer.note.formatVerifierKey();
const submitter = ecdsaKey();
const ARCHIVE = "/state/checkpoints.jsonl";
const CURSOR = "/state/cursor.json";

const open: TestLog[] = [];
afterEach(async () => {
  for (const log of open.splice(0)) await log.close();
});

async function newLog(entries = 0, key: KeyObject = submitter, logSigner = signer): Promise<TestLog> {
  const log = await startTestLog(logSigner);
  open.push(log);
  if (entries > 0) await log.add(key, entries);
  return log;
}

/** A monitor of `ORIGIN` over an injected fetch, with its state, alerts and files in memory. */
function monitorOf(api: LogApi, fetch: FetchLike, extra: Partial<MonitorOptions> & { rules?: WatchRule[] } = {}) {
  const files = memoryFiles();
  const lines: string[] = [];
  const now = steppingClock();
  const sleep = instantSleep();
  const { rules, ...rest } = extra;
  const monitor = createMonitor({
    log: { origin: ORIGIN, keys: [vkey] },
    url: "http://log.test/",
    api,
    fetch,
    state: fileMonitorState(files, { archive: ARCHIVE, cursor: CURSOR }),
    alert: alertSink({ lines: [(line) => void lines.push(line)], now }),
    now,
    sleep,
    ...(rules === undefined ? {} : { watch: compileWatchList(rules) }),
    ...rest,
  });
  return {
    monitor,
    files,
    lines,
    sleep,
    archive: () => parseArchive(files.files.get(ARCHIVE) ?? "", ARCHIVE),
    cursor: () => JSON.parse(files.files.get(CURSOR) ?? "null")?.nextIndex as number | undefined,
  };
}

/** The monitor's view of a log: which app answers, switchable to simulate a log that shows another history. */
function pointer(initial: FastifyInstance) {
  let app = initial;
  return { point: (next: FastifyInstance) => void (app = next), target: () => app };
}

/** The checkpoint answer in the API's form (Rekor v1: log info JSON; tiles: the note). */
function checkpointResponse(api: LogApi, note: string): Response {
  if (api === "tiles") return new Response(note, { status: 200 });
  return Response.json({ rootHash: "00".repeat(32), treeSize: 1, signedTreeHead: note, treeID: "1", inactiveShards: [] });
}

const isCheckpointRequest = (api: LogApi, url: URL) => (api === "tiles" ? url.pathname === "/checkpoint" : url.pathname === "/api/v1/log");

const kinds = (alerts: Alert[]) => alerts.map((a) => a.kind);

describe.each(["rekor-v1", "tiles"] as const)("monitor over %s", (api) => {
  it("follows a growing log over several rounds, archiving each new checkpoint", async () => {
    const log = await newLog(3);
    const { monitor, archive, cursor, lines } = monitorOf(api, injectFetch(() => log.app));

    const first = await monitor.round();
    expect(first).toMatchObject({ alerts: [], archived: true, checkpoint: { size: 3 } });
    await log.add(submitter, 2);
    expect(await monitor.round()).toMatchObject({ alerts: [], archived: true, checkpoint: { size: 5 } });
    // Across a full tile and several entry bundles.
    await log.add(submitter, 300);
    expect(await monitor.round()).toMatchObject({ alerts: [], archived: true, checkpoint: { size: 305 } });
    expect(await monitor.round()).toMatchObject({ alerts: [], archived: false, checkpoint: { size: 305 } });

    const archived = archive();
    expect(archived.map((c) => [c.size, c.trust])).toEqual([
      [3, "tofu"],
      [5, "consistent"],
      [305, "consistent"],
    ]);
    // Each line is the log's own signed note: evidence anyone can check with the log's key.
    for (const c of archived) expect(verifyNoteSignature(parseSignedNote(c.checkpoint), { name: ORIGIN, publicKeyDer: signer.note.publicKeyDer, keyDetails: signer.note.keyDetails }).ok).toBe(true);
    // No watch list: entries are not read, the cursor follows the checkpoints.
    expect(cursor()).toBe(305);
    expect(lines).toEqual([]);
  });

  it("alerts on new entries signed by a watched identity, issuer, anchored regexp or key fingerprint", async () => {
    const watchedKey = ecdsaKey();
    const release = identityCertificate("release@example.com", "https://issuer.example");
    const otherIssuer = identityCertificate("release@example.com", "https://other-issuer.example");
    const lookalike = identityCertificate("release@example.com.attacker.net", "https://issuer.example");
    const log = await newLog();
    // Logged before the monitor's first checkpoint: not "new", so not reported.
    await log.submit(certificateProposal(release, "old release"));
    await log.add(submitter, 2);
    const rules: WatchRule[] = [
      { name: "release", identity: "release@example.com", issuer: "https://issuer.example" },
      { identityRegExp: "release@example\\.com" },
      { name: "hsm key", keyFingerprint: keyFingerprint(new Uint8Array(createPublicKey(watchedKey).export({ type: "spki", format: "der" }))) },
    ];
    const { monitor, cursor, lines } = monitorOf(api, injectFetch(() => log.app), { rules, batchSize: 100 });
    expect((await monitor.round()).alerts).toEqual([]);

    await log.add(submitter, 260);
    await log.submit(certificateProposal(release, "new release")); // 263
    await log.submit(certificateProposal(otherIssuer, "other issuer")); // 264
    await log.submit(hashedRekordProposal(watchedKey, "signed with the watched key")); // 265
    await log.submit(certificateProposal(lookalike, "lookalike")); // 266
    await log.add(submitter, 5);

    const round = await monitor.round();
    expect(round.scanned).toEqual({ from: 3, to: 272 });
    expect(round.unreadable).toBe(0);
    expect(round.alerts.map((a) => a.kind === "unexpected-signer" && [a.logIndex, a.rule])).toEqual([
      [263, "release"],
      [263, "identity~/release@example\\.com/"],
      [264, "identity~/release@example\\.com/"],
      [265, "hsm key"],
    ]);
    const first = round.alerts[0]!;
    expect(first).toMatchObject({
      kind: "unexpected-signer",
      log: ORIGIN,
      signer: { identities: ["release@example.com"], issuer: "https://issuer.example" },
    });
    const entry = (await log.app.inject({ url: "/api/v1/log/entries?logIndex=263" })).json();
    expect(first.kind === "unexpected-signer" && first.leafHash).toBe(Object.keys(entry)[0]);
    expect(lines.map((l) => JSON.parse(l).kind)).toEqual(Array(4).fill("unexpected-signer"));
    expect(cursor()).toBe(272);
    // Nothing new: nothing scanned, nothing raised again.
    expect(await monitor.round()).toMatchObject({ alerts: [], scanned: { from: 272, to: 272 } });
  });

  it("detects a split view: a fork signed with the same key, at a larger and at the same size", async () => {
    const honest = await newLog(4);
    const fork = await newLog(4, ecdsaKey());
    const view = pointer(honest.app);
    const { monitor, archive } = monitorOf(api, injectFetch(view.target));
    expect((await monitor.round()).alerts).toEqual([]);

    view.point(fork.app);
    const same = await monitor.round();
    expect(kinds(same.alerts)).toEqual(["inconsistent"]);
    expect(same.alerts[0]!.message).toMatch(/two different root hashes for tree size 4/);

    await fork.add(submitter, 3);
    const larger = await monitor.round();
    expect(kinds(larger.alerts)).toEqual(["inconsistent"]);
    const alert = larger.alerts[0]!;
    if (alert.kind !== "inconsistent") throw new Error("unreachable");
    expect(alert.stored.size).toBe(4);
    expect(alert.seen.size).toBe(7);
    // The evidence: two checkpoints, both signed by the log's key, that cannot both be true.
    for (const c of [alert.stored.checkpoint, alert.seen.checkpoint]) {
      expect(verifyNoteSignature(parseSignedNote(c), { name: ORIGIN, publicKeyDer: signer.note.publicKeyDer, keyDetails: signer.note.keyDetails }).ok).toBe(true);
    }
    expect(alert.proof?.length).toBeGreaterThan(0);
    // The fork did not get into the archive, so the alarm keeps ringing, and the honest log still checks out.
    expect(kinds((await monitor.round()).alerts)).toEqual(["inconsistent"]);
    expect(archive().map((c) => c.size)).toEqual([4]);
    view.point(honest.app);
    await honest.add(submitter, 2);
    expect(await monitor.round()).toMatchObject({ alerts: [], archived: true, checkpoint: { size: 6 } });
  });

  it("detects a log that shrinks", async () => {
    const log = await newLog(5);
    const smaller = await newLog(2);
    const view = pointer(log.app);
    const { monitor, archive } = monitorOf(api, injectFetch(view.target));
    await monitor.round();
    view.point(smaller.app);
    const round = await monitor.round();
    expect(kinds(round.alerts)).toEqual(["shrunk"]);
    expect(round.alerts[0]).toMatchObject({ stored: { size: 5 }, seen: { size: 2 } });
    expect(archive().map((c) => c.size)).toEqual([5]);
  });

  it("refuses checkpoints that are not signed by the log's key, malformed, or for another origin", async () => {
    const log = await newLog(2);
    const impostor = await newLog(3, submitter, createLogSigner(ecdsaKey(), ORIGIN));
    let serve: string | undefined;
    const { monitor, archive } = monitorOf(
      api,
      injectFetch(
        () => log.app,
        (url) => (serve !== undefined && isCheckpointRequest(api, url) ? checkpointResponse(api, serve) : undefined),
      ),
    );
    await monitor.round();
    const genuine = await log.log.checkpoint();
    const head = log.store.head!;
    const wrongOrigin = signCheckpoint({ origin: "another.test/log", size: 9, rootHash: head.rootHash }, [createNoteSigner({ name: ORIGIN, privateKey: logKey })]);
    const flipped = genuine.slice(0, -10) + (genuine.at(-10) === "A" ? "B" : "A") + genuine.slice(-9);
    const cases: [string, Alert["kind"], RegExp][] = [
      [await impostor.log.checkpoint(), "bad-signature", /not signed by the log's key/],
      [flipped, "bad-signature", /not signed by the log's key/],
      ["not a note at all", "bad-checkpoint", /not a signed note/],
      [wrongOrigin, "bad-checkpoint", /another\.test\/log/],
    ];
    for (const [note, kind, message] of cases) {
      serve = note;
      const round = await monitor.round();
      expect(kinds(round.alerts), note).toEqual([kind]);
      expect(round.alerts[0]!.message).toMatch(message);
    }
    serve = undefined;
    await log.add(submitter, 1);
    expect(await monitor.round()).toMatchObject({ alerts: [], checkpoint: { size: 3 } });
    expect(archive().map((c) => c.size)).toEqual([2, 3]);
  });

  it("reports an unreachable log after retrying, and a 4xx at once", async () => {
    const log = await newLog(1);
    let fail: (() => Response) | undefined = () => new Response("busy", { status: 503 });
    const fetch = injectFetch(
      () => log.app,
      () => fail?.(),
    );
    const { monitor, sleep, archive } = monitorOf(api, fetch, { http: { attempts: 3, backoffMs: 100 } });
    const round = await monitor.round();
    expect(kinds(round.alerts)).toEqual(["unreachable"]);
    expect(round.alerts[0]).toMatchObject({ attempts: 3, message: expect.stringMatching(/HTTP 503 \(after 3 attempts\)/) });
    expect(sleep.calls).toEqual([100, 200]);

    fail = () => {
      throw new TypeError("fetch failed");
    };
    expect((await monitor.round()).alerts[0]).toMatchObject({ kind: "unreachable", message: expect.stringMatching(/fetch failed/) });
    fail = () => new Response("no", { status: 404 });
    expect((await monitor.round()).alerts[0]).toMatchObject({ kind: "unreachable", attempts: 1 });
    fail = undefined;
    expect((await monitor.round()).alerts).toEqual([]);
    expect(archive().map((c) => c.size)).toEqual([1]);
  });

  it("starts from a given checkpoint instead of trusting the first one seen", async () => {
    const honest = await newLog(3);
    const given = await honest.log.checkpoint();
    const fork = await newLog(5, ecdsaKey());
    const forked = monitorOf(api, injectFetch(() => fork.app), { trustedCheckpoint: given });
    expect(kinds((await forked.monitor.round()).alerts)).toEqual(["inconsistent"]);
    expect(forked.files.files.has(ARCHIVE)).toBe(false);

    await honest.add(submitter, 2);
    const { monitor, archive, cursor } = monitorOf(api, injectFetch(() => honest.app), { trustedCheckpoint: given, rules: [{ identity: "nobody@example.com" }] });
    expect(await monitor.round()).toMatchObject({ alerts: [], scanned: { from: 3, to: 5 } });
    expect(archive().map((c) => [c.size, c.trust])).toEqual([
      [3, "given"],
      [5, "consistent"],
    ]);
    expect(cursor()).toBe(5);
  });

  it("refuses to start from damaged state: INPUT_MALFORMED naming the file and line", async () => {
    const log = await newLog(2);
    const good = monitorOf(api, injectFetch(() => log.app));
    await good.monitor.round();
    const line = good.files.files.get(ARCHIVE)!;

    const damaged = monitorOf(api, injectFetch(() => log.app));
    damaged.files.files.set(ARCHIVE, `${line}{"origin": "monitor.test/log", "size": 3\n`);
    const error = await rejectedVouchError(() => damaged.monitor.round());
    expect(error.code).toBe("INPUT_MALFORMED");
    expect(error.location).toEqual({ file: ARCHIVE, line: 2 });
    expect(error.describe()).toMatch(/^\/state\/checkpoints\.jsonl:2: checkpoint archive: not a JSON line/);

    // A checkpoint of another log (another key) in the archive is not this log's history.
    const other = (await newLog(2, submitter, createLogSigner(ecdsaKey(), ORIGIN))).store.head!;
    const swapped = monitorOf(api, injectFetch(() => log.app));
    const foreignLine = archiveLine({ origin: ORIGIN, size: other.size, rootHash: other.rootHash, checkpoint: other.checkpoint, observedAt: "2025-01-01T00:00:00Z", trust: "tofu" });
    swapped.files.files.set(ARCHIVE, `${foreignLine}\n`);
    const foreign = await rejectedVouchError(() => swapped.monitor.round());
    expect(foreign.code).toBe("INPUT_MALFORMED");
    expect(foreign.message).toMatch(/not this log's/);

    const badCursor = monitorOf(api, injectFetch(() => log.app));
    badCursor.files.files.set(ARCHIVE, line);
    badCursor.files.files.set(CURSOR, "{\"nextIndex\": 99}\n");
    expect((await rejectedVouchError(() => badCursor.monitor.round())).code).toBe("INPUT_MALFORMED");
  });

  it("runs rounds until the abort signal, and once when asked", async () => {
    const log = await newLog(1);
    const controller = new AbortController();
    let sleeps = 0;
    const { monitor } = monitorOf(api, injectFetch(() => log.app), {
      signal: controller.signal,
      sleep: async () => {
        if (++sleeps === 3) controller.abort();
        await log.add(submitter, 1);
      },
    });
    const summary = await monitor.run({ intervalMs: 1000 });
    expect(summary).toEqual({ rounds: 3, alerts: 0, byKind: {}, stopped: true });

    const once = monitorOf(api, injectFetch(() => log.app));
    expect(await once.monitor.run({ once: true })).toEqual({ rounds: 1, alerts: 0, byKind: {}, stopped: false });
  });

  it("stops in the middle of a request when aborted, without an alert", async () => {
    const log = await newLog(1);
    const controller = new AbortController();
    const { monitor, lines } = monitorOf(
      api,
      injectFetch(
        () => log.app,
        (_url, init) => {
          controller.abort();
          init?.signal?.throwIfAborted();
          return undefined;
        },
      ),
      { signal: controller.signal },
    );
    expect(await monitor.run()).toMatchObject({ rounds: 1, alerts: 0, stopped: true });
    expect(lines).toEqual([]);
  });
});

describe("monitor over Rekor v1: entries", () => {
  it("binds an entry proven against a newer tree to the verified checkpoint with a consistency proof", async () => {
    const log = await newLog(3);
    let grow = false;
    const fetch = injectFetch(
      () => log.app,
      async (url) => {
        if (grow && url.pathname === "/api/v1/log/entries") {
          grow = false;
          await log.add(submitter, 3); // the log moves on between the checkpoint and the entries
        }
        return undefined;
      },
    );
    const { monitor } = monitorOf("rekor-v1", fetch, { rules: [{ identity: "nobody@example.com" }] });
    await monitor.round();
    await log.add(submitter, 2);
    grow = true;
    expect(await monitor.round()).toMatchObject({ alerts: [], checkpoint: { size: 5 }, scanned: { from: 3, to: 5 } });
    expect(fetch.requests).toContain("GET /api/v1/log/proof?firstSize=5&lastSize=8");
  });

  it("reports an entry the log cannot prove as bad-entry, and does not skip it", async () => {
    const log = await newLog(2);
    let lie = true;
    const fetch = injectFetch(
      () => log.app,
      async (url) => {
        if (!lie || url.pathname !== "/api/v1/log/entries" || url.searchParams.get("logIndex") !== "3") return undefined;
        // Entry 3 served with entry 2's body: its inclusion proof cannot hold.
        const real = (await log.app.inject({ url: "/api/v1/log/entries?logIndex=3" })).json();
        const other = (await log.app.inject({ url: "/api/v1/log/entries?logIndex=2" })).json();
        const uuid = Object.keys(real)[0]!;
        return Response.json({ [Object.keys(other)[0]!]: { ...real[uuid], body: (Object.values(other)[0] as { body: string }).body } });
      },
    );
    const { monitor, cursor } = monitorOf("rekor-v1", fetch, { rules: [{ identity: "nobody@example.com" }] });
    await monitor.round();
    await log.add(submitter, 3);
    const round = await monitor.round();
    expect(kinds(round.alerts)).toEqual(["bad-entry"]);
    expect(round.alerts[0]).toMatchObject({ logIndex: 2, message: expect.stringMatching(/inclusion proof does not verify/) });
    expect(cursor()).toBe(2);
    lie = false;
    expect(await monitor.round()).toMatchObject({ alerts: [], scanned: { from: 2, to: 5 } });
  });
  it("numbers entries across the inactive shards of a sharded Rekor, and proves them in the active one", async () => {
    const log = await newLog(2);
    const OFFSET = 1000;
    const fetch = injectFetch(
      () => log.app,
      async (url) => {
        if (url.pathname === "/api/v1/log") return Response.json({ ...(await log.app.inject({ url: "/api/v1/log" })).json(), inactiveShards: [{ treeSize: 600 }, { treeSize: 400 }] });
        if (url.pathname !== "/api/v1/log/entries") return undefined;
        const global = Number(url.searchParams.get("logIndex"));
        const answer = (await log.app.inject({ url: `/api/v1/log/entries?logIndex=${global - OFFSET}` })).json();
        const uuid = Object.keys(answer)[0]!;
        return Response.json({ [`0123456789abcdef${uuid}`]: { ...answer[uuid], logIndex: global } });
      },
    );
    const { monitor } = monitorOf("rekor-v1", fetch, { rules: [{ identity: "nobody@example.com" }], startIndex: 0 });
    expect(await monitor.round()).toMatchObject({ alerts: [], scanned: { from: 0, to: 2 } });
    expect(fetch.requests).toEqual(expect.arrayContaining(["GET /api/v1/log/entries?logIndex=1000", "GET /api/v1/log/entries?logIndex=1001"]));
  });

  it("reads at most maxEntriesPerRound entries per round, in batches, resuming where it stopped", async () => {
    const log = await newLog(1);
    const { monitor, cursor } = monitorOf("rekor-v1", injectFetch(() => log.app), { rules: [{ identity: "nobody@example.com" }], batchSize: 4, maxEntriesPerRound: 10 });
    await monitor.round();
    await log.add(submitter, 15);
    expect(await monitor.round()).toMatchObject({ alerts: [], checkpoint: { size: 16 }, scanned: { from: 1, to: 11 } });
    expect(cursor()).toBe(11);
    expect(await monitor.round()).toMatchObject({ alerts: [], scanned: { from: 11, to: 16 } });
  });
});

describe("monitor over tlog-tiles: tiles", () => {
  it("does not believe a tile that does not hash to the signed checkpoint", async () => {
    const log = await newLog(3);
    let tamper = true;
    const fetch = injectFetch(
      () => log.app,
      async (url) => {
        if (!tamper || !url.pathname.startsWith("/tile/0/")) return undefined;
        const real = await log.app.inject({ url: url.pathname });
        const bytes = Uint8Array.from(real.rawPayload);
        bytes[0]! ^= 1;
        return new Response(bytes, { status: 200 });
      },
    );
    const { monitor, archive } = monitorOf("tiles", fetch);
    await monitor.round();
    await log.add(submitter, 2);
    const round = await monitor.round();
    expect(kinds(round.alerts)).toEqual(["inconsistent"]);
    expect(round.alerts[0]!.message).toMatch(/cannot prove size 5 extends size 3: .*damaged/);
    tamper = false;
    expect(await monitor.round()).toMatchObject({ alerts: [], archived: true });
    expect(archive().map((c) => c.size)).toEqual([3, 5]);
  });

  it("reads the full tile when a partial one it needs is gone (the log grew past it)", async () => {
    const log = await newLog(250);
    const checked = checkpointVerifier({ origin: ORIGIN, keys: [vkey] }).check(await log.log.checkpoint());
    if (!checked.ok) throw new Error(checked.message);
    const head250 = checked.head;
    await log.add(submitter, 10); // tile 0/000 and entry bundle 000 are full now
    const fetch = injectFetch(
      () => log.app,
      (url) => (url.pathname.includes(".p/") ? new Response("gone", { status: 404 }) : undefined),
    );
    const source = tilesSource(new HttpClient({ fetch, sleep: instantSleep() }), "http://log.test");
    const entries = await source.entries(248, 2, head250);
    expect(entries.map((e) => JSON.parse(Buffer.from(e).toString()).kind)).toEqual(["hashedrekord", "hashedrekord"]);
    expect(fetch.requests).toEqual(expect.arrayContaining(["GET /tile/0/000.p/250", "GET /tile/0/000", "GET /tile/entries/000.p/250", "GET /tile/entries/000"]));
  });
});
