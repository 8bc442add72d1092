import { VouchError } from "../../core/errors.js";

/**
 * The slice of WHATWG fetch the monitor uses, injected (STYLE.md #5): tests pass a fetch that calls `app.inject`, the
 * CLI passes the global one.
 */
export type FetchLike = (
  url: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<FetchResponse>;

export interface FetchResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body: ReadableStream<Uint8Array> | null;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Waits `ms`, or less when `signal` aborts (it never rejects): the monitor's only notion of passing time. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface HttpOptions {
  fetch: FetchLike;
  sleep: Sleep;
  /** Attempts per request, the first included (default 3). */
  attempts?: number;
  /** Wait before the second attempt, doubled after each failure (default 500 ms). */
  backoffMs?: number;
  /** Per-attempt time limit (default 30 s). */
  timeoutMs?: number;
  /** Stops everything: requests in flight are aborted and no retry is made. */
  signal?: AbortSignal;
  userAgent?: string;
}

/**
 * The log could not be reached: network errors, time-outs, 5xx and 429 answers after every attempt, or an answer that
 * is not usable at the HTTP level (another 4xx, too large). Its code is LOG_UNAVAILABLE.
 */
export class LogUnreachableError extends VouchError<"LOG_UNAVAILABLE"> {
  constructor(
    readonly request: string,
    readonly attempts: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super("LOG_UNAVAILABLE", message, options);
  }
}

/** GETs with bounded retries and bounded answers: a log's answers are untrusted, including their size. */
export class HttpClient {
  readonly #options: Required<Omit<HttpOptions, "signal" | "userAgent">> & Pick<HttpOptions, "signal" | "userAgent">;

  constructor(options: HttpOptions) {
    this.#options = {
      ...options,
      attempts: options.attempts ?? 3,
      backoffMs: options.backoffMs ?? 500,
      timeoutMs: options.timeoutMs ?? 30_000,
    };
    if (!(Number.isSafeInteger(this.#options.attempts) && this.#options.attempts >= 1)) {
      throw new VouchError("INPUT_USAGE", `attempts ${this.#options.attempts} is not a positive integer`);
    }
  }

  get signal(): AbortSignal | undefined {
    return this.#options.signal;
  }

  /**
   * The body of a 200 answer, at most `maxBytes` long; undefined for 404 when `notFound` is "undefined".
   * @throws LogUnreachableError (LOG_UNAVAILABLE) when no attempt succeeds; the abort reason when stopped.
   */
  async get(url: string, { maxBytes, notFound = "error" }: { maxBytes: number; notFound?: "error" | "undefined" }): Promise<Uint8Array | undefined> {
    const { fetch, sleep, attempts, backoffMs, timeoutMs, signal } = this.#options;
    let last = "no attempt was made";
    for (let attempt = 1; attempt <= attempts; attempt++) {
      signal?.throwIfAborted();
      if (attempt > 1) {
        await sleep(backoffMs * 2 ** (attempt - 2), signal);
        signal?.throwIfAborted();
      }
      const timeout = AbortSignal.timeout(timeoutMs);
      const attemptSignal = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
      try {
        const headers: Record<string, string> = {};
        if (this.#options.userAgent !== undefined) headers["user-agent"] = this.#options.userAgent;
        const response = await fetch(url, { method: "GET", headers, signal: attemptSignal });
        if (response.status === 200) return await readBounded(response, maxBytes, url, attempt);
        await response.body?.cancel().catch(() => undefined);
        if (response.status === 404 && notFound === "undefined") return undefined;
        last = `HTTP ${response.status}`;
        // Other 4xx answers will not change on retry; 408 and 429 may.
        if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
          throw new LogUnreachableError(url, attempt, `GET ${url}: HTTP ${response.status}`);
        }
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (error instanceof LogUnreachableError) throw error;
        last = timeout.aborted ? `no answer within ${timeoutMs} ms` : error instanceof Error ? error.message : String(error);
      }
    }
    throw new LogUnreachableError(url, attempts, `GET ${url}: ${last} (after ${attempts} attempt${attempts === 1 ? "" : "s"})`);
  }

  /** A JSON document of at most `maxBytes`. */
  async getJson(url: string, maxBytes: number): Promise<unknown> {
    const bytes = (await this.get(url, { maxBytes }))!;
    try {
      return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch (error) {
      throw new VouchError("VERIFY_TLOG_INCLUSION", `GET ${url}: the answer is not JSON`, { cause: error });
    }
  }
}

async function readBounded(response: FetchResponse, maxBytes: number, url: string, attempt: number): Promise<Uint8Array> {
  const tooLarge = () => new LogUnreachableError(url, attempt, `GET ${url}: the answer is larger than ${maxBytes} bytes`);
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (response.body === null) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length > maxBytes) throw tooLarge();
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
