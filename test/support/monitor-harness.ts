import { createHash, sign, type KeyObject } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/server/app.js";
import type { LogSigner } from "../../src/tlog/log-signer.js";
import { TransparencyLog } from "../../src/tlog/log.js";
import type { FetchLike, MonitorFiles, Sleep } from "../../src/tlog/monitor/index.js";
import { Sequencer } from "../../src/tlog/sequencer.js";
import { MemoryLogStore } from "./memory-log-store.js";
import { hashedRekordProposal } from "./rekor-proposals.js";
import { buildCertificate, extension, ia5, utf8, type TestCertificate } from "./x509-builder.js";

/** An in-process vouch log (store, sequencer, HTTP app) for monitor tests. */
export interface TestLog {
  app: FastifyInstance;
  log: TransparencyLog;
  store: MemoryLogStore;
  /** Logs `count` hashedrekord entries signed by `key`, with distinct artifacts under `label`. */
  add(key: KeyObject, count: number, label?: string): Promise<void>;
  submit(proposal: unknown): Promise<void>;
  size(): number;
  close(): Promise<void>;
}

let artifacts = 0;

export async function startTestLog(signer: LogSigner): Promise<TestLog> {
  const store = new MemoryLogStore();
  const sequencer = await Sequencer.start({ store, signCheckpoint: ({ size, rootHash }) => signer.checkpoint(size, rootHash), maxDelayMs: 1, maxBatch: 512 });
  const log = new TransparencyLog({ store, signer, sequencer });
  const app = await buildApp({ log });
  const submit = async (proposal: unknown) => {
    await log.submit(proposal);
  };
  return {
    app,
    log,
    store,
    submit,
    async add(key, count, label = "artifact") {
      await Promise.all(Array.from({ length: count }, () => submit(hashedRekordProposal(key, `${label} ${artifacts++}`))));
    },
    size: () => sequencer.head.size,
    async close() {
      await sequencer.stop();
      await app.close();
    },
  };
}

/**
 * A fetch that answers from an in-process app through `inject` (no socket). `target()` picks the app per request, so a
 * test can point the monitor at another log; `intercept` may answer (or fail) a request first.
 */
export function injectFetch(
  target: () => FastifyInstance,
  intercept?: (url: URL, init?: Parameters<FetchLike>[1]) => Promise<Response | undefined> | Response | undefined,
): FetchLike & { requests: string[] } {
  const requests: string[] = [];
  const fetch = async (url: string, init?: Parameters<FetchLike>[1]) => {
    const parsed = new URL(url);
    requests.push(`${init?.method ?? "GET"} ${parsed.pathname}${parsed.search}`);
    const intercepted = await intercept?.(parsed, init);
    if (intercepted !== undefined) return intercepted;
    const res = await target().inject({
      method: (init?.method ?? "GET") as "GET" | "POST",
      url: `${parsed.pathname}${parsed.search}`,
      headers: init?.headers,
      payload: init?.body,
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) headers.set(name, String(value));
    return new Response(res.statusCode === 204 ? null : res.rawPayload, { status: res.statusCode, headers });
  };
  return Object.assign(fetch, { requests });
}

/** MonitorFiles in memory: `files` maps path to content. */
export function memoryFiles(): MonitorFiles & { files: Map<string, string> } {
  const files = new Map<string, string>();
  return {
    files,
    read: async (path) => files.get(path),
    append: async (path, text) => {
      files.set(path, (files.get(path) ?? "") + text);
    },
    replace: async (path, text) => {
      files.set(path, text);
    },
  };
}

/** A sleep that returns at once (retries and intervals take no time in unit tests), recording what was asked. */
export function instantSleep(): Sleep & { calls: number[] } {
  const calls: number[] = [];
  const sleep: Sleep = async (ms) => {
    calls.push(ms);
  };
  return Object.assign(sleep, { calls });
}

/** A clock that advances one second per reading, from 2025-01-01. */
export function steppingClock(): () => Date {
  let t = Date.parse("2025-01-01T00:00:00Z");
  return () => new Date((t += 1000));
}

/** A Fulcio-style certificate for `identity` (email SAN) with the OIDC issuer extension (1.3.6.1.4.1.57264.1.8). */
export function identityCertificate(identity: string, issuer: string): TestCertificate {
  return buildCertificate({
    subject: "",
    san: [ia5(0x81, identity)],
    eku: ["1.3.6.1.5.5.7.3.3"],
    extensions: [extension("1.3.6.1.4.1.57264.1.8", false, utf8(issuer))],
  });
}

/** A hashedrekord 0.0.1 proposal signed with a certificate's key, naming the certificate (keyless signing). */
export function certificateProposal(cert: TestCertificate, data: string) {
  const bytes = Buffer.from(data);
  const b64 = Buffer.from(cert.der).toString("base64");
  const pem = `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----\n`;
  return {
    apiVersion: "0.0.1",
    kind: "hashedrekord",
    spec: {
      data: { hash: { algorithm: "sha256", value: createHash("sha256").update(bytes).digest("hex") } },
      signature: {
        content: sign("sha256", bytes, cert.key.privateKey).toString("base64"),
        publicKey: { content: Buffer.from(pem).toString("base64") },
      },
    },
  };
}
