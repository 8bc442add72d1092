import { readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { afterAll, describe, expect, it } from "vitest";
import { ecdsaKey, hashedRekordProposal, publicKeyPem } from "../../test/support/rekor-proposals.js";
import { VouchError } from "../core/errors.js";
import { checkEntry, EntryCheckPool, spawnEntryCheckWorker, type EntryForm } from "./entry-checks.js";

/**
 * The pool must answer every submission exactly as the inline check does: the same canonical entry, or an error of
 * the same class, code and message (the HTTP answer is made from those), whatever happens to its worker threads.
 */

const corrupt = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`./entries/fixtures/corrupt/${name}`, import.meta.url)));
const b64 = (s: string | Uint8Array): string => Buffer.from(s).toString("base64");

const key = ecdsaKey();
const good = hashedRekordProposal(key, "pool artifact");
const otherKey = ecdsaKey();
const badSignature = { ...good, spec: { ...good.spec, signature: { ...good.spec.signature, publicKey: { content: b64(publicKeyPem(otherKey)) } } } };
// The same P-256 key with its point compressed: a second spelling of one key, which the log refuses.
const compressed = (() => {
  const der = Buffer.from(compressedSpki(key));
  const pem = `-----BEGIN PUBLIC KEY-----\n${der.toString("base64")}\n-----END PUBLIC KEY-----\n`;
  return { ...good, spec: { ...good.spec, signature: { ...good.spec.signature, publicKey: { content: b64(pem) } } } };
})();

/** The compressed-point SPKI of an EC key (P-256: 0x02/0x03 || X after a 26-byte prefix). */
function compressedSpki(k: typeof key): Uint8Array {
  const jwk = k.export({ format: "jwk" });
  const x = Buffer.from(jwk.x!, "base64url");
  const y = Buffer.from(jwk.y!, "base64url");
  const prefix = Buffer.from("3039301306072a8648ce3d020106082a8648ce3d030107032200", "hex");
  return Buffer.concat([prefix, Buffer.of(2 + (y[31]! & 1)), x]);
}

const cases: [string, EntryForm, unknown, number?][] = [
  ["a good hashedrekord, parsed", "v1", good],
  ["a good hashedrekord, as text", "v1", JSON.stringify(good)],
  ["a good hashedrekord, as bytes", "v1", new Uint8Array(Buffer.from(JSON.stringify(good)))],
  ["a signature by another key", "v1", badSignature],
  ["a compressed EC point", "v1", compressed],
  ["an unsupported kind", "v1", { kind: "rpm", apiVersion: "0.0.1", spec: {} }],
  ["text that is not JSON", "v1", "{"],
  ["bytes that are not UTF-8", "v1", new Uint8Array([0x7b, 0xff, 0x7d])],
  ["too large", "v1", good, 100],
  ["an invalid limit (a RangeError, not a VouchError)", "v1", good, 0],
  ["a BigInt (JSON.stringify refuses it)", "v1", { kind: 1n }],
  ["undefined", "v1", undefined],
  ["corrupt hashedrekord 0.0.1", "v1", corrupt("hashedrekord-0.0.1.json")],
  ["corrupt dsse 0.0.1", "v1", corrupt("dsse-0.0.1.json")],
  ["corrupt intoto 0.0.2", "v1", corrupt("intoto-0.0.2.json")],
  ["corrupt hashedrekord 0.0.2", "v2", corrupt("hashedrekord-0.0.2.json")],
  ["corrupt dsse 0.0.2 (the error has a cause)", "v2", corrupt("dsse-0.0.2.json")],
  ["a v2 request with neither member", "v2", {}],
];

type Outcome = { entry: unknown } | { error: { class: string; code?: string; message: string; cause?: string } };

function describeError(error: unknown): Outcome {
  const e = error as Error & { code?: string };
  const cause = e.cause instanceof Error ? e.cause.message : undefined;
  return { error: { class: error instanceof VouchError ? "VouchError" : e.name, ...(error instanceof VouchError ? { code: e.code } : {}), message: e.message, ...(cause === undefined ? {} : { cause }) } };
}

function inlineOutcome(form: EntryForm, input: unknown, maxBytes: number): Outcome {
  try {
    const entry = checkEntry(form, input, maxBytes);
    return { entry: { ...entry, body: Buffer.from(entry.body).toString("utf8") } };
  } catch (error) {
    return describeError(error);
  }
}

async function poolOutcome(pool: EntryCheckPool, form: EntryForm, input: unknown, maxBytes: number): Promise<Outcome> {
  try {
    const entry = await pool.check(form, input, maxBytes);
    expect(entry.body).toBeInstanceOf(Uint8Array);
    return { entry: { ...entry, body: Buffer.from(entry.body).toString("utf8") } };
  } catch (error) {
    return describeError(error);
  }
}

const pools: EntryCheckPool[] = [];
const pool = (options: ConstructorParameters<typeof EntryCheckPool>[0]): EntryCheckPool => {
  const made = new EntryCheckPool(options);
  pools.push(made);
  return made;
};
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

describe("EntryCheckPool", () => {
  const shared = pool({ workers: 2 });

  it.each(cases)("%s: the same answer as the inline check", async (_name, form, input, maxBytes = 128 * 1024) => {
    const expected = inlineOutcome(form, input, maxBytes);
    expect(await poolOutcome(shared, form, input, maxBytes)).toEqual(expected);
  });

  it("the cases between them cover entries and VouchErrors, with and without a cause, and other errors", () => {
    const outcomes = cases.map(([, form, input, maxBytes = 128 * 1024]) => inlineOutcome(form, input, maxBytes));
    expect(outcomes.filter((o) => "entry" in o)).toHaveLength(3);
    const errors = outcomes.flatMap((o) => ("error" in o ? [o.error] : []));
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(["LOG_INVALID_ENTRY", "LOG_ENTRY_TOO_LARGE", undefined]));
    expect(errors.some((e) => e.cause !== undefined)).toBe(true);
    expect(errors.some((e) => e.class === "RangeError")).toBe(true);
    expect(outcomes[4]).toEqual({ error: { class: "VouchError", code: "LOG_INVALID_ENTRY", message: "spec.signature.publicKey.content is not a DER-canonical SubjectPublicKeyInfo" } });
  });

  it("many submissions at once: each gets its own answer, in any order of completion", async () => {
    const proposals = Array.from({ length: 40 }, (_, i) => (i % 5 === 4 ? badSignature : hashedRekordProposal(key, `many ${i}`)));
    const answers = await Promise.all(proposals.map((p) => poolOutcome(shared, "v1", p, 128 * 1024)));
    answers.forEach((answer, i) => expect(answer).toEqual(inlineOutcome("v1", proposals[i], 128 * 1024)));
  });

  it("a worker that cannot start turns the pool off: every submission is checked inline, with the same answers", async () => {
    const broken = pool({ workers: 1, spawn: () => new Worker("throw new Error('cannot load')", { eval: true }) });
    const answers = await Promise.all(cases.map(([, form, input, maxBytes = 128 * 1024]) => poolOutcome(broken, form, input, maxBytes)));
    answers.forEach((answer, i) => {
      const [, form, input, maxBytes = 128 * 1024] = cases[i]!;
      expect(answer).toEqual(inlineOutcome(form, input, maxBytes));
    });
    expect(broken.active).toBe(false);
  });

  it("a process started with V8 flags a worker refuses (--max-semi-space-size) still checks on its workers", async () => {
    // The flags are read when a worker is spawned: give this process one for the spawn, as `node --max-semi-space-size=16
    // dist/cli/main.js serve` would have, and take it back.
    const spawnWithFlag = () => {
      process.execArgv.push("--max-semi-space-size=16");
      try {
        return spawnEntryCheckWorker();
      } finally {
        process.execArgv.pop();
      }
    };
    const flagged = pool({ workers: 1, spawn: spawnWithFlag });
    expect(await poolOutcome(flagged, "v1", good, 128 * 1024)).toEqual(inlineOutcome("v1", good, 128 * 1024));
    expect(flagged.active).toBe(true);
  });

  it("a spawn that throws turns the pool off too", async () => {
    const broken = pool({ workers: 1, spawn: () => { throw new Error("no threads"); } }); // prettier-ignore
    expect(await poolOutcome(broken, "v1", good, 128 * 1024)).toEqual(inlineOutcome("v1", good, 128 * 1024));
    expect(broken.active).toBe(false);
  });

  it("a worker that dies while checking fails that submission only (not a VouchError: a 500), and is replaced", async () => {
    // The first worker loads, then exits on its first request; the replacement is a real one.
    let spawned = 0;
    const dying = `const { parentPort } = require("node:worker_threads"); parentPort.postMessage({ ready: true }); parentPort.on("message", () => process.exit(3));`;
    const flaky = pool({ workers: 1, spawn: () => (spawned++ === 0 ? new Worker(dying, { eval: true }) : spawnEntryCheckWorker()) });
    const proposals = [1, 2, 3].map((i) => hashedRekordProposal(key, `dying ${i}`));
    // Its "ready" arrives before its exit (a worker's messages are delivered before its exit event).
    expect(await poolOutcome(flaky, "v1", proposals[0], 128 * 1024)).toEqual({
      error: { class: "Error", message: "the entry check worker exited unexpectedly (exit code 3)" },
    });
    const rest = await Promise.all(proposals.slice(1).map((p) => poolOutcome(flaky, "v1", p, 128 * 1024)));
    rest.forEach((answer, i) => expect(answer).toEqual(inlineOutcome("v1", proposals[i + 1], 128 * 1024)));
    expect(flaky.active).toBe(true);
  });

  it("a worker that dies on a message of several fails only the submission that killed it, once each is posted alone", async () => {
    // A stand-in worker: answers every request with the same entry, and exits on a message holding the poison.
    let spawned = 0;
    const stub = `const { parentPort } = require("node:worker_threads"); parentPort.postMessage({ ready: true });
      parentPort.on("message", (requests) => {
        if (requests.some((r) => String(r.input).includes("poison"))) process.exit(3);
        parentPort.postMessage(requests.map((r) => ({ id: r.id, entry: { kind: "hashedrekord", apiVersion: "0.0.1", body: new Uint8Array([r.id % 256]), signers: [] } })));
      });`;
    const flaky = pool({ workers: 1, spawn: () => (spawned++, new Worker(stub, { eval: true })) });
    // 64 (the pipeline) go out one per message (nothing waits), the last 4 wait for room and go together, poison among them.
    const inputs = Array.from({ length: 68 }, (_, i) => JSON.stringify({ n: i, ...(i === 65 ? { poison: true } : {}) }));
    const outcomes = await Promise.all(inputs.map((input) => flaky.check("v1", input, 128 * 1024).then(() => "ok", (e: Error) => e.message)));
    expect(outcomes.filter((o) => o !== "ok")).toEqual(["the entry check worker exited unexpectedly (exit code 3)"]);
    expect(outcomes[65]).not.toBe("ok");
    // The worker that died on the message of four, and the one that died on the poison alone, were replaced.
    expect(spawned).toBe(3);
    expect(flaky.active).toBe(true);
  });

  it("after close(), submissions are refused with LOG_UNAVAILABLE, as by a log shutting down", async () => {
    const closing = pool({ workers: 1 });
    const pending = Array.from({ length: 20 }, (_, i) => closing.check("v1", hashedRekordProposal(key, `closing ${i}`), 128 * 1024).then(() => "ok", (e: VouchError) => e.code));
    await closing.close();
    const codes = await Promise.all(pending);
    for (const code of codes) expect(["ok", "LOG_UNAVAILABLE"]).toContain(code);
    await expect(closing.check("v1", good, 128 * 1024)).rejects.toMatchObject({ code: "LOG_UNAVAILABLE" });
    await closing.close();
  });

  it("refuses a size below 1", () => {
    expect(() => new EntryCheckPool({ workers: 0 })).toThrow(RangeError);
    expect(() => new EntryCheckPool({ workers: 1.5 })).toThrow(RangeError);
  });
});
