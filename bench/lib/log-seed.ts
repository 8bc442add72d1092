/**
 * Builds the large log that bench/log-throughput.ts measures reads on, in a process of its own, with vouch's own
 * storage and sequencing code as built in dist/ (runtime.ts openLogStore, the store's sequencer lease, Sequencer:
 * batching, integration into tiles, checkpoint signing, durable LogStore.append). The server is started on the same
 * data directory (or database) afterwards and loads this head, so the key and the checkpoint name are what it uses:
 * <data>/log/log-key.pem, and the name "127.0.0.1" (the host the bench's server listens on).
 *
 * What it skips: the HTTP front, TransparencyLog.submit's per-entry validation and signature check, and the per-entry
 * answer (proof and SET), which together made 100,000 entries take minutes when this was written. The
 * leaves are still exactly what vouch would log: each is the RFC 8785 form of a proposal signed by
 * bench/lib/log-proposals.ts, and the first few are checked byte for byte against vouch's own
 * canonicalizeProposedEntry (which does verify them). Reads only look at the tree, which is the same either way.
 *
 *   node --import tsx bench/lib/log-seed.ts --dist DIST --data-dir DIR --store filesystem|sqlite|postgres --size N
 *        (DATABASE_URL in the environment for postgres)
 *
 * Prints one JSON line: {"size": N, "seconds": S}.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import canonicalize from "canonicalize";
import { makeProposals } from "./log-proposals.js";

const { values } = parseArgs({
  options: {
    dist: { type: "string" },
    "data-dir": { type: "string" },
    store: { type: "string", default: "filesystem" },
    size: { type: "string" },
  },
});

interface Store {
  tryAcquireSequencer(): Promise<{ release(): Promise<void> } | undefined>;
  readHead(): Promise<{ size: number } | undefined>;
  close(): Promise<void>;
}

interface SequencerLike {
  submit(body: Uint8Array, leafHashHex: string): Promise<unknown>;
  stop(): Promise<void>;
  readonly head: { size: number };
}

async function main(): Promise<void> {
  const dist = values.dist!;
  const dataDir = values["data-dir"]!;
  const size = Number(values.size);
  const runtime = (await import(fileUrl(dist, "runtime.js"))) as {
    openLogStore(config: unknown, dataDir: string): Promise<{ store: Store }>;
    logDir(dataDir: string): string;
  };
  const logApi = (await import(fileUrl(dist, "public/log.js"))) as {
    loadOrCreateLogKey(file: string): unknown;
    logKeyFile(logDir: string): string;
    createLogSigner(privateKey: unknown, name: string): { checkpoint(size: number, rootHash: Uint8Array): string };
  };
  const { Sequencer } = (await import(fileUrl(dist, "tlog/sequencer.js"))) as {
    Sequencer: { start(options: Record<string, unknown>): Promise<SequencerLike> };
  };
  const { canonicalizeProposedEntry } = (await import(fileUrl(dist, "tlog/entries/index.js"))) as {
    canonicalizeProposedEntry(json: unknown): { body: Uint8Array };
  };
  const { leafHash } = (await import(fileUrl(dist, "core/merkle/index.js"))) as { leafHash(body: Uint8Array): Uint8Array };

  const { store } = await runtime.openLogStore({ log: { store: values.store } }, dataDir);
  const lease = await store.tryAcquireSequencer();
  if (lease === undefined) throw new Error("log-seed: the store's sequencer lease is held by someone else");
  const signer = logApi.createLogSigner(logApi.loadOrCreateLogKey(logApi.logKeyFile(runtime.logDir(dataDir))), "127.0.0.1");
  const sequencer = await Sequencer.start({ store, signCheckpoint: ({ size: n, rootHash }: { size: number; rootHash: Uint8Array }) => signer.checkpoint(n, rootHash), maxBatch: 4096, maxDelayMs: 5 });
  const start = performance.now();
  const CHUNK = 4096;
  for (let done = 0; done < size; done += CHUNK) {
    const n = Math.min(CHUNK, size - done);
    const proposals = makeProposals(n, { keyEvery: 64, tag: `seed ${done}` });
    const bodies = proposals.map((text) => new Uint8Array(Buffer.from(canonicalize(JSON.parse(text) as object)!, "utf8")));
    if (done === 0) {
      // The fast path must log exactly what vouch's own (verifying) path would.
      for (let i = 0; i < Math.min(4, n); i++) {
        const vouchBody = canonicalizeProposedEntry(JSON.parse(proposals[i]!)).body;
        if (Buffer.compare(Buffer.from(vouchBody), Buffer.from(bodies[i]!)) !== 0) throw new Error("log-seed: RFC 8785 body differs from vouch's canonical entry");
      }
    }
    await Promise.all(bodies.map((body) => sequencer.submit(body, Buffer.from(leafHash(body)).toString("hex"))));
    if ((done / CHUNK) % 5 === 4) process.stderr.write(`[seed] ${done + n}/${size}\n`);
  }
  const seconds = (performance.now() - start) / 1000;
  await sequencer.stop();
  await lease.release();
  const head = await store.readHead();
  await store.close();
  if (head?.size !== size) throw new Error(`seeded log has ${head?.size} entries, not ${size}`);
  process.stdout.write(`${JSON.stringify({ size: head.size, seconds })}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});

function fileUrl(...parts: string[]): string {
  return pathToFileURL(join(...parts)).href;
}
