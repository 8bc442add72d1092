import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Worker } from "node:worker_threads";
import { Worker as NodeWorker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { parseTrustedRoot } from "../bundle/trusted-root.js";
import { parseStatement } from "../core/intoto/statement.js";
import { createVerifier, createVerifierWith, spawnVerifyWorker, type IndexedOutcome, type Verifier, type VerifyRequest } from "./verify-many.js";

const REPO = join(import.meta.dirname, "..", "..");
const SIGSTORE = join(REPO, "test", "fixtures", "sigstore");
const JS_BUNDLES = join(SIGSTORE, "sigstore-js", "tests", "bundles");
const CONFORMANCE = join(SIGSTORE, "conformance", "test", "assets", "bundle-verify");
const BEACON = {
  subject: "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
  issuer: "https://token.actions.githubusercontent.com",
};
const brian = { subject: "brian@dehamer.com", issuer: "https://github.com/login/oauth" };

/** A DSSE bundle's own subject digest: the artifacts (npm tarballs) are not part of the test data. */
function subjectDigest(bundleJson: { dsseEnvelope: { payload: string } }): VerifyRequest["artifact"] {
  const subject = parseStatement(Buffer.from(bundleJson.dsseEnvelope.payload, "base64")).subject[0]!;
  const [algorithm, hex] = Object.entries(subject.digest)[0]!;
  return { kind: "digest", algorithm: algorithm as "sha512", hex };
}

const jsFiles = readdirSync(JS_BUNDLES)
  .filter((f) => f.endsWith(".sigstore"))
  .sort();

/** The 9 sigstore-js bundles, then bundleV03-dsse with one payload byte flipped (the artifact digest is the original's). */
function batch(): VerifyRequest[] {
  const requests: VerifyRequest[] = jsFiles.map((file) => {
    const text = readFileSync(join(JS_BUNDLES, file), "utf8");
    return { bundle: text, bundleName: file, artifact: subjectDigest(JSON.parse(text)), identity: brian };
  });
  const json = JSON.parse(readFileSync(join(JS_BUNDLES, "bundleV03-dsse.sigstore"), "utf8"));
  const artifact = subjectDigest(json);
  const payload = Buffer.from(json.dsseEnvelope.payload, "base64");
  payload[payload.length - 2]! ^= 1;
  json.dsseEnvelope.payload = payload.toString("base64");
  requests.push({ bundle: json, bundleName: "tampered.sigstore", artifact, identity: brian });
  return requests;
}

async function collect(verifier: Verifier, requests: Iterable<VerifyRequest> | AsyncIterable<VerifyRequest>, concurrency?: number): Promise<IndexedOutcome[]> {
  const out: IndexedOutcome[] = [];
  for await (const outcome of verifier.verifyMany(requests, concurrency === undefined ? {} : { concurrency })) out.push(outcome);
  return out;
}

const open: Verifier[] = [];
const make = (...args: Parameters<typeof createVerifier>): Verifier => {
  const v = createVerifier(...args);
  open.push(v);
  return v;
};
afterEach(async () => {
  await Promise.all(open.splice(0).map((v) => v.close()));
});

describe("createVerifier: the sigstore-js bundles and a tampered one", () => {
  const outcomes = new Map<number, IndexedOutcome[]>();

  for (const workers of [0, 2]) {
    it(`workers: ${workers} verifies the 9 bundles and refuses the tampered one, in input order`, async () => {
      const verifier = make({ workers });
      expect(verifier.workers).toBe(workers);
      const got = await collect(verifier, batch());
      expect(got.map((o) => o.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      for (const o of got.slice(0, 9)) {
        expect(o).toMatchObject({ ok: true, result: { signer: { kind: "certificate", identity: brian }, predicateType: "https://github.com/npm/attestation/tree/main/specs/publish/v0.1" } });
        if (o.ok) {
          // bigint and Date survive the trip back from the worker thread
          expect(typeof o.result.tlogEntries[0]?.logIndex).toBe("bigint");
          expect(o.result.trustedTimes[0]?.time).toBeInstanceOf(Date);
        }
      }
      // The Rekor entry's body hashes the envelope: a changed payload is caught there, before the signature.
      expect(got[9]).toMatchObject({ ok: false, code: "VERIFY_TLOG_BODY", index: 9 });
      expect(got[9]!.ok === false && got[9]!.message).toMatch(/^tampered\.sigstore: /);
      outcomes.set(workers, got);
    });
  }

  it("in-process and worker threads give the same outcomes", () => {
    expect(outcomes.get(2)).toEqual(outcomes.get(0));
  });
});

describe("createVerifier: requests", () => {
  const aTxt = () => new Uint8Array(readFileSync(join(CONFORMANCE, "a.txt")));
  const keyed = (data: Uint8Array): VerifyRequest => ({
    bundle: readFileSync(join(CONFORMANCE, "managed-key-happy-path", "bundle.sigstore.json"), "utf8"),
    artifact: { kind: "bytes", data },
    publicKeyPem: readFileSync(join(CONFORMANCE, "managed-key-happy-path", "key.pub"), "utf8"),
  });

  it("verify(): artifact bytes owning their buffer are moved to the worker, pooled Buffer bytes are copied", async () => {
    const verifier = make({ workers: 1 });
    const owned = aTxt();
    const outcome = await verifier.verify(keyed(owned));
    expect(outcome).toMatchObject({ ok: true, result: { signer: { kind: "publicKey" } } });
    expect(owned.byteLength).toBe(0); // transferred: detached on this side

    const pooled = Buffer.from(readFileSync(join(CONFORMANCE, "a.txt"), "utf8")); // a slice of Buffer's shared pool
    expect(await verifier.verify(keyed(pooled))).toMatchObject({ ok: true });
    expect(pooled.byteLength).toBeGreaterThan(0);

    const wrong = aTxt();
    wrong[0]! ^= 1;
    expect(await verifier.verify(keyed(wrong))).toMatchObject({ ok: false, code: "VERIFY_TLOG_BODY" });
  });

  it("workers: 0 leaves the caller's bytes alone", async () => {
    const owned = aTxt();
    expect(await make({ workers: 0 }).verify(keyed(owned))).toMatchObject({ ok: true });
    expect(owned.byteLength).toBeGreaterThan(0);
  });

  it("a trusted root given by path or as an object is the one workers verify against", async () => {
    const dir = join(CONFORMANCE, "intoto-with-custom-trust-root");
    const request: VerifyRequest = {
      bundle: JSON.parse(readFileSync(join(dir, "bundle.sigstore.json"), "utf8")),
      artifact: { kind: "bytes", data: readFileSync(join(dir, "artifact")) },
      identity: BEACON,
    };
    const copy = (): VerifyRequest => ({ ...request, artifact: { kind: "bytes", data: readFileSync(join(dir, "artifact")) } });
    expect(await make({ workers: 1 }).verify(copy())).toMatchObject({ ok: false, code: "VERIFY_TIMESTAMP" }); // its TSA is not in public good
    expect(await make({ workers: 1, trustedRoot: join(dir, "trusted_root.json") }).verify(copy())).toMatchObject({ ok: true });
    const root = parseTrustedRoot(readFileSync(join(dir, "trusted_root.json"), "utf8"));
    expect(await make({ workers: 0, trustedRoot: root }).verify(copy())).toMatchObject({ ok: true });
  });

  it("unusable requests are outcomes with INPUT_* codes, never rejections", async () => {
    const [good] = batch();
    for (const workers of [0, 1]) {
      const verifier = make({ workers });
      expect(await verifier.verify({ ...good!, bundle: "{", bundleName: "broken.json" })).toMatchObject({ ok: false, code: "INPUT_MALFORMED", message: expect.stringMatching(/^broken\.json/) });
      expect(await verifier.verify({ ...good!, artifact: { kind: "file" } as never })).toMatchObject({ ok: false, code: "INPUT_USAGE" });
      expect(await verifier.verify({ ...good!, bundle: 42 as never })).toMatchObject({ ok: false, code: "INPUT_USAGE" });
      expect(await verifier.verify({ ...good!, predicateType: "no such type" })).toMatchObject({ ok: false, code: "INPUT_USAGE" });
      expect(await verifier.verify({ ...good!, predicateType: "slsaprovenance" })).toMatchObject({ ok: false, code: "VERIFY_ARTIFACT" });
      expect(await verifier.verify({ ...good!, publicKeyPem: "not a key" })).toMatchObject({ ok: false, code: expect.stringMatching(/^INPUT_/) });
      expect(await verifier.verify({ ...good!, thresholds: { tlog: 2 } })).toMatchObject({ ok: false, code: "VERIFY_THRESHOLD" });
      expect(await verifier.verify({ ...good!, identity: { ...brian, subject: "mallory@example.com" } })).toMatchObject({ ok: false, code: "VERIFY_IDENTITY" });
      expect(await verifier.verify(good!)).toMatchObject({ ok: true });
    }
    // A request that cannot cross to a worker thread (a function inside) is refused; the worker stays usable.
    const pool = make({ workers: 1 });
    expect(await pool.verify({ ...good!, identity: { ...brian, toString: () => "x" } as never })).toMatchObject({ ok: false, code: "INPUT_USAGE" });
    expect(await pool.verify(good!)).toMatchObject({ ok: true });
  });

  it("bad options throw at once", () => {
    expect(() => createVerifier({ workers: -1 })).toThrow(expect.objectContaining({ code: "INPUT_USAGE" }));
    expect(() => createVerifier({ workers: 1.5 })).toThrow(expect.objectContaining({ code: "INPUT_USAGE" }));
    expect(() => createVerifier({ trustedRoot: join(REPO, "no-such-root.json") })).toThrow(expect.objectContaining({ code: "INPUT_NOT_FOUND" }));
  });
});

describe("verifyMany: backpressure", () => {
  for (const workers of [0, 2]) {
    it(`workers: ${workers}: never more than \`concurrency\` requests pulled and not yet yielded`, async () => {
      const requests = [...batch(), ...batch()];
      let pulled = 0;
      let yielded = 0;
      let most = 0;
      async function* source() {
        for (const r of requests) {
          pulled++;
          most = Math.max(most, pulled - yielded);
          yield r;
        }
      }
      const verifier = make({ workers });
      const indexes: number[] = [];
      for await (const o of verifier.verifyMany(source(), { concurrency: 3 })) {
        yielded++;
        indexes.push(o.index);
        expect(o.ok).toBe(o.index % 10 !== 9);
      }
      expect(indexes).toEqual(requests.map((_, i) => i));
      expect(most).toBeLessThanOrEqual(3);
      expect(most).toBeGreaterThan(1); // it did run requests side by side
    });
  }

  it("rejects a concurrency below 1", async () => {
    await expect(collect(make({ workers: 0 }), batch(), 0)).rejects.toMatchObject({ code: "INPUT_USAGE" });
  });
});

describe("createVerifier: worker threads' lifecycle", () => {
  /** Record every worker the pool starts, and when each exits. */
  function tracked(spawn: typeof spawnVerifyWorker = spawnVerifyWorker, size = 2) {
    const workers: { worker: Worker; exited: Promise<number> }[] = [];
    const verifier = createVerifierWith(
      { workers: size },
      {
        spawnWorker: (data) => {
          const worker = spawn(data);
          workers.push({ worker, exited: new Promise((resolve) => worker.once("exit", resolve)) });
          return worker;
        },
      },
    );
    open.push(verifier);
    return { verifier, workers };
  }

  it("close() terminates every worker; later and unanswered requests resolve ok:false", async () => {
    const { verifier, workers } = tracked();
    const requests = batch();
    expect(await collect(verifier, requests.slice(0, 4))).toHaveLength(4);
    expect(workers).toHaveLength(2); // started on demand, at most `workers` of them

    const pending = verifier.verify(requests[0]!);
    await verifier.close();
    expect(await pending).toMatchObject({ ok: false, code: "INPUT_USAGE", message: expect.stringMatching(/closed/) });
    await Promise.all(workers.map((w) => w.exited)); // every thread is gone
    expect(await verifier.verify(requests[0]!)).toMatchObject({ ok: false, code: "INPUT_USAGE" });
    await verifier.close(); // idempotent
  });

  it("a worker killed mid-request fails that request with INTERNAL and is replaced", async () => {
    const { verifier, workers } = tracked();
    const [good] = batch();
    const pending = verifier.verify(good!);
    await workers[0]!.worker.terminate();
    expect(await pending).toMatchObject({ ok: false, code: "INTERNAL", message: expect.stringMatching(/exited unexpectedly/) });
    expect(await verifier.verify(good!)).toMatchObject({ ok: true });
    expect(workers).toHaveLength(2);
  });

  it("the requests queued behind a killed worker's running one are not lost: they run on its replacement", async () => {
    const { verifier, workers } = tracked(spawnVerifyWorker, 1);
    const [good] = batch();
    const running = verifier.verify(good!);
    const queued = verifier.verify(good!); // posted to the same worker, behind the first
    await workers[0]!.worker.terminate();
    expect(await running).toMatchObject({ ok: false, code: "INTERNAL" });
    expect(await queued).toMatchObject({ ok: true });
    expect(workers).toHaveLength(2);
  });

  it("a worker that throws (uncaught) turns into INTERNAL outcomes, one per request, never a rejection", async () => {
    const { verifier, workers } = tracked(() => new NodeWorker("throw new Error('boom')", { eval: true }));
    const [good] = batch();
    const got = await collect(verifier, [good!, good!, good!]);
    expect(got).toMatchObject([0, 1, 2].map((index) => ({ ok: false, code: "INTERNAL", index, message: expect.stringMatching(/crashed: boom/) })));
    expect(workers).toHaveLength(3); // each request got a fresh worker; none was retried
  });

  // `npm test` builds dist/ first and sets VOUCH_CLI_DIST=1: the shipped verify-worker.js must start from
  // dist/api/ under plain Node (no tsx), and a process that closes its verifier must exit by itself.
  if (process.env.VOUCH_CLI_DIST !== "1") {
    console.log("verify-many: the compiled-dist worker test is skipped: it runs under `npm test` (VOUCH_CLI_DIST=1), after the build");
  }
  it.runIf(process.env.VOUCH_CLI_DIST === "1")("from the compiled dist, under plain node, and the process exits after close()", () => {
    const dist = join(REPO, "dist", "index.js");
    expect(existsSync(dist)).toBe(true);
    const [good] = batch();
    const script = `
      import { createVerifier } from ${JSON.stringify(pathToFileURL(dist).href)};
      const v = createVerifier({ workers: 2 });
      const request = JSON.parse(process.argv[1]);
      const outcomes = [];
      for await (const o of v.verifyMany([request, request, request])) outcomes.push(o.ok);
      await v.close();
      process.stdout.write(JSON.stringify(outcomes));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script, JSON.stringify(good)], { encoding: "utf8", timeout: 30_000 });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: "[true,true,true]", stderr: "" });
  });
});
