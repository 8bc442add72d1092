import { describe, expect, it } from "vitest";
import { rejectedVouchError } from "../../../test/support/errors.js";
import { instantSleep } from "../../../test/support/monitor-harness.js";
import { HttpClient, LogUnreachableError, type FetchLike } from "./http.js";

function client(answers: (() => Response | Promise<Response>)[], extra: { signal?: AbortSignal } = {}) {
  let i = 0;
  const fetch: FetchLike = async () => answers[Math.min(i++, answers.length - 1)]!();
  return { http: new HttpClient({ fetch, sleep: instantSleep(), attempts: 3, ...extra }), calls: () => i };
}

describe("monitor HTTP client", () => {
  it("retries 5xx and 429, and returns the first 200", async () => {
    const { http, calls } = client([() => new Response("", { status: 502 }), () => new Response("", { status: 429 }), () => new Response("ok")]);
    expect(Buffer.from((await http.get("http://log.test/x", { maxBytes: 10 }))!).toString()).toBe("ok");
    expect(calls()).toBe(3);
  });

  it("does not retry other 4xx answers, and answers 404 with undefined when asked", async () => {
    const { http, calls } = client([() => new Response("", { status: 403 })]);
    const error = await rejectedVouchError(() => http.get("http://log.test/x", { maxBytes: 10 }));
    expect(error).toBeInstanceOf(LogUnreachableError);
    expect(error).toMatchObject({ code: "LOG_UNAVAILABLE", attempts: 1, request: "http://log.test/x" });
    expect(calls()).toBe(1);
    const missing = client([() => new Response("", { status: 404 })]);
    expect(await missing.http.get("http://log.test/x", { maxBytes: 10, notFound: "undefined" })).toBeUndefined();
  });

  it("refuses an answer larger than the limit, declared or streamed", async () => {
    const declared = client([() => new Response("x".repeat(11), { headers: { "content-length": "11" } })]);
    expect((await rejectedVouchError(() => declared.http.get("http://log.test/x", { maxBytes: 10 }))).message).toMatch(/larger than 10 bytes/);
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(8));
      },
    });
    const streamed = client([() => new Response(stream)]);
    expect((await rejectedVouchError(() => streamed.http.get("http://log.test/x", { maxBytes: 100 }))).message).toMatch(/larger than 100 bytes/);
  });

  it("reports an answer that is not JSON as the log's fault, not an outage", async () => {
    const { http } = client([() => new Response("<html>")]);
    expect((await rejectedVouchError(() => http.getJson("http://log.test/x", 100))).code).toBe("VERIFY_TLOG_INCLUSION");
  });

  it("stops at once when aborted, with the abort reason", async () => {
    const controller = new AbortController();
    const { http, calls } = client(
      [
        () => {
          controller.abort(new Error("stop"));
          return new Response("", { status: 503 });
        },
      ],
      { signal: controller.signal },
    );
    await expect(http.get("http://log.test/x", { maxBytes: 10 })).rejects.toThrow("stop");
    expect(calls()).toBe(1);
  });
});
