import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { instantSleep } from "../../../test/support/monitor-harness.js";
import type { Alert } from "./alerts.js";
import type { FetchLike } from "./http.js";
import { alertSink, redactUrl } from "./notify.js";

/** A webhook receiver on loopback: records each POST, answers with `status()`. */
async function receiver(status: () => number = () => 204) {
  const received: { method: string; contentType: string | undefined; body: unknown }[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ method: req.method ?? "", contentType: req.headers["content-type"], body: JSON.parse(Buffer.concat(chunks).toString() || "null") });
      res.writeHead(status()).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

const alert: Alert = {
  kind: "shrunk",
  at: "2025-01-01T00:00:00.000Z",
  log: "notify.test/log",
  url: "http://log.test",
  message: "the log shrank",
  stored: { size: 5, rootHash: "aa".repeat(32), checkpoint: "..." },
  seen: { size: 2, rootHash: "bb".repeat(32), checkpoint: "..." },
};
const now = () => new Date("2025-01-01T00:00:01Z");

describe("alert sink", () => {
  it("writes a JSON line to every writer and POSTs the alert to the webhook", async () => {
    const hook = await receiver();
    const a: string[] = [];
    const b: string[] = [];
    const sink = alertSink({ lines: [(l) => void a.push(l), async (l) => void b.push(l)], webhook: { url: `${hook.url}/hooks/T0KEN`, fetch: globalThis.fetch as FetchLike, sleep: instantSleep() }, now });
    expect(await sink(alert)).toEqual([]);
    expect(a).toEqual([JSON.stringify(alert)]);
    expect(b).toEqual(a);
    expect(hook.received).toEqual([{ method: "POST", contentType: "application/json", body: alert }]);
  });

  it("retries the webhook, then reports the failure on the line writers with the URL's secret left out", async () => {
    let calls = 0;
    const hook = await receiver(() => (++calls === 1 ? 503 : 500));
    const lines: string[] = [];
    const sleep = instantSleep();
    const sink = alertSink({ lines: [(l) => void lines.push(l)], webhook: { url: `${hook.url}/hooks/T0KEN?key=s3cret`, fetch: globalThis.fetch as FetchLike, sleep, attempts: 3, backoffMs: 10 }, now });
    const extra = await sink(alert);
    expect(hook.received).toHaveLength(3);
    expect(sleep.calls).toEqual([10, 20]);
    expect(extra).toEqual([
      {
        kind: "webhook-failed",
        at: "2025-01-01T00:00:01.000Z",
        log: alert.log,
        url: alert.url,
        message: `the shrunk alert could not be delivered to the webhook at ${hook.url}: HTTP 500 (after 3 attempts)`,
        webhook: hook.url,
        alert: "shrunk",
        attempts: 3,
      },
    ]);
    expect(lines.map((l) => JSON.parse(l).kind)).toEqual(["shrunk", "webhook-failed"]);
    expect(lines.join("\n")).not.toMatch(/T0KEN|s3cret/);
  });

  it("reports a webhook nobody listens on", async () => {
    const hook = await receiver();
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const extra = await alertSink({ lines: [], webhook: { url: hook.url, fetch: globalThis.fetch as FetchLike, sleep: instantSleep(), attempts: 2 }, now })(alert);
    expect(extra).toMatchObject([{ kind: "webhook-failed", attempts: 2, message: expect.stringMatching(/after 2 attempts/) }]);
  });

  it("redacts URLs to scheme and host", () => {
    expect(redactUrl("https://hooks.example.com:8443/services/T/B/X?token=1")).toBe("https://hooks.example.com:8443");
    expect(redactUrl("not a url")).toBe("(invalid URL)");
  });
});
