/**
 * The load generator of bench/log-throughput.ts: a process of its own (never the server's), talking to the server
 * over loopback HTTP with node's global fetch (undici; its default dispatcher keeps connections alive and opens one
 * per request in flight, so C requests in flight use C kept-alive connections), or with --client http, node:http with
 * a keep-alive agent (about a third of fetch's CPU per request, and a lower latency floor: see docs/benchmarks.md).
 *
 *   node --import tsx bench/lib/log-load.ts append --url U --proposals FILE --warmup W --count N --concurrency C --deadline-s T
 *   node --import tsx bench/lib/log-load.ts read --url U --paths FILE --warmup W --concurrency C --deadline-s T [--save FILE --save-count K]
 *   (either mode: [--client fetch|http], default fetch)
 *
 * append: POSTs the pre-serialised proposals of FILE (a JSON array of strings) to /api/v1/log/entries, W untimed ones
 *   first, then N timed ones, C in flight; stops starting new requests at the deadline. Every latency is a POST's
 *   whole round trip: the server answers only once the entry is durably committed, so it is the time to durable
 *   inclusion as the submitter sees it.
 * read: GETs the paths of FILE (a JSON array), the first W untimed; with --save, the bodies of the first K timed 200
 *   answers are written to a file (the inclusion proofs the verification comparison reuses).
 *
 * Bounded in count (the file's length) and in time (--deadline-s, plus a per-request timeout); loopback URLs only.
 * Prints one JSON line: statuses, the timed 2xx latencies in ms, the timed phase's wall time, and this process's CPU;
 * writes "@@timed-start" and "@@timed-end" lines to stderr around the timed phase.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { parseArgs } from "node:util";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: "string" },
    proposals: { type: "string" },
    paths: { type: "string" },
    warmup: { type: "string", default: "0" },
    count: { type: "string" },
    concurrency: { type: "string", default: "1" },
    "deadline-s": { type: "string", default: "60" },
    save: { type: "string" },
    client: { type: "string", default: "fetch" },
    "save-count": { type: "string", default: "0" },
  },
});

const mode = positionals[0];
const base = new URL(values.url ?? "");
// Loopback only: this generator must never be pointed at someone else's server.
if (!["127.0.0.1", "localhost", "[::1]"].includes(base.hostname)) throw new Error(`log-load: ${base.hostname} is not a loopback address`);
const warmup = Number(values.warmup);
const concurrency = Number(values.concurrency);
const deadlineMs = Number(values["deadline-s"]) * 1000;
const REQUEST_TIMEOUT_MS = 30_000;
if (values.client !== "fetch" && values.client !== "http") throw new Error(`log-load: --client is fetch or http, not ${values.client}`);
/** --client http: node:http with a keep-alive agent, one socket per request in flight (a lighter client than fetch). */
const agent = new Agent({ keepAlive: true, maxSockets: Math.max(1, concurrency) });

/** One request; resolves with the status and the whole body as text. */
async function send(job: Job): Promise<{ status: number; text: string }> {
  if (values.client === "fetch") {
    const response = await fetch(new URL(job.path, base), {
      method: job.method,
      body: job.body,
      headers: job.body === undefined ? undefined : { "content-type": "application/json" },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { status: response.status, text: await response.text() };
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      new URL(job.path, base),
      { method: job.method, agent, timeout: REQUEST_TIMEOUT_MS, headers: job.body === undefined ? undefined : { "content-type": "application/json", "content-length": Buffer.byteLength(job.body) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        response.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(job.body);
  });
}

interface Job {
  method: "GET" | "POST";
  path: string;
  body?: string;
}

interface Outcome {
  statuses: Record<string, number>;
  /** Timed requests that got a 2xx, in ms, in completion order. */
  latencies: number[];
  /** First request of the timed phase sent → last answer of it received. */
  wallMs: number;
  timedOut: boolean;
  /** Requests of the timed phase started (≤ the file's count: the deadline may stop it early). */
  started: number;
  errors: string[];
  cpuMs: { user: number; system: number };
}

async function runPhase(jobs: readonly Job[], timed: boolean, deadline: number, save?: { bodies: string[]; want: number }): Promise<Omit<Outcome, "cpuMs">> {
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  const errors: string[] = [];
  let next = 0;
  let timedOut = false;
  const start = performance.now();
  const worker = async () => {
    for (;;) {
      if (performance.now() > deadline) {
        timedOut = next < jobs.length;
        return;
      }
      const i = next++;
      if (i >= jobs.length) return;
      const job = jobs[i]!;
      const t0 = performance.now();
      try {
        const response = await send(job);
        const text = response.text;
        const ms = performance.now() - t0;
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        if (response.status >= 200 && response.status < 300) {
          if (timed) latencies.push(ms);
          if (save && save.bodies.length < save.want) save.bodies.push(text);
        } else if (errors.length < 5) {
          errors.push(`${job.method} ${job.path.slice(0, 80)} → ${response.status} ${text.slice(0, 200)}`);
        }
      } catch (err) {
        statuses.error = (statuses.error ?? 0) + 1;
        if (errors.length < 5) errors.push(`${job.method} ${job.path.slice(0, 80)}: ${err instanceof Error ? `${err.name} ${err.message} ${String((err as { cause?: unknown }).cause ?? "")}` : String(err)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return { statuses, latencies, wallMs: performance.now() - start, timedOut, started: Math.min(next, jobs.length), errors };
}

async function main(): Promise<void> {
  let jobs: Job[];
  if (mode === "append") {
    const bodies = JSON.parse(readFileSync(values.proposals!, "utf8")) as string[];
    const count = Number(values.count ?? bodies.length - warmup);
    if (warmup + count > bodies.length) throw new Error(`log-load: ${warmup} + ${count} proposals wanted, the file has ${bodies.length}`);
    jobs = bodies.slice(0, warmup + count).map((body) => ({ method: "POST", path: "/api/v1/log/entries", body }));
  } else if (mode === "read") {
    jobs = (JSON.parse(readFileSync(values.paths!, "utf8")) as string[]).map((path) => ({ method: "GET", path }));
  } else {
    throw new Error(`log-load: mode must be append or read, not ${String(mode)}`);
  }
  const deadline = performance.now() + deadlineMs;
  if (warmup > 0) {
    const w = await runPhase(jobs.slice(0, warmup), false, deadline);
    const bad = Object.entries(w.statuses).filter(([status]) => !status.startsWith("2"));
    if (bad.length > 0) throw new Error(`log-load: warm-up answers ${JSON.stringify(w.statuses)}: ${w.errors.join("; ")}`);
  }
  // Markers for the parent, which samples the server's CPU time at these moments (bench/log-throughput.ts).
  process.stderr.write("@@timed-start\n");
  const cpu0 = process.cpuUsage();
  const save = values.save ? { bodies: [] as string[], want: Number(values["save-count"]) } : undefined;
  const outcome = await runPhase(jobs.slice(warmup), true, deadline, save);
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  process.stderr.write("@@timed-end\n");
  if (save) writeFileSync(values.save!, `${JSON.stringify(save.bodies)}\n`);
  const result: Outcome = { ...outcome, cpuMs: { user: cpu.user / 1000, system: cpu.system / 1000 } };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
