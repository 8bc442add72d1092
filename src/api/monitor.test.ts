import { createPublicKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogSigner } from "../tlog/log-signer.js";
import { keyFingerprint, parseArchive } from "../tlog/monitor/index.js";
import { rejectedVouchError, thrownVouchError } from "../../test/support/errors.js";
import { identityCertificate, startTestLog, type TestLog } from "../../test/support/monitor-harness.js";
import { ecdsaKey, publicKeyPem } from "../../test/support/rekor-proposals.js";
import { defaultMonitorStateDir, loadLogKey, monitorLog, watchRules, type MonitorLogOptions } from "./monitor.js";

const ORIGIN = "api-monitor.test/log";
const signer = createLogSigner(ecdsaKey(), ORIGIN);
const watched = ecdsaKey();
const other = ecdsaKey();

let dir: string;
let log: TestLog;
let url: string;
let hook: { url: string; server: Server; received: unknown[] };
let pemFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "vouch-monitor-"));
  log = await startTestLog(signer);
  await log.add(other, 3);
  // Loopback only: the monitor talks to a real HTTP server, as it would in production.
  url = await log.app.listen({ port: 0, host: "127.0.0.1" });
  const received: unknown[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString()));
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  hook = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, server, received };
  pemFile = join(dir, "log.pub");
  const der = Buffer.from(signer.note.publicKeyDer).toString("base64");
  writeFileSync(pemFile, `-----BEGIN PUBLIC KEY-----\n${der.match(/.{1,64}/g)!.join("\n")}\n-----END PUBLIC KEY-----\n`);
});

afterAll(async () => {
  await log.close();
  await new Promise((resolve) => hook.server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function options(name: string, extra: Partial<MonitorLogOptions> = {}) {
  const stderr: string[] = [];
  const stateDir = join(dir, name);
  return { stderr, stateDir, options: { url, logKey: pemFile, origin: ORIGIN, stateDir, once: true, stderr: (line: string) => void stderr.push(line), ...extra } };
}

describe("monitorLog (files on disk, a log and a webhook on loopback)", () => {
  it.each(["rekor-v1", "tiles"] as const)("follows the log over %s: exit 0 while quiet, 1 with an alert everywhere it is sent", async (api) => {
    const watchedPem = join(dir, `watched-${api}.pub`);
    writeFileSync(watchedPem, publicKeyPem(watched));
    const alertsFile = join(dir, `alerts-${api}.jsonl`);
    const run = options(api, { api, watch: { keys: [watchedPem] }, alertsFile, webhook: hook.url });
    const quiet = await monitorLog(run.options);
    expect(quiet).toMatchObject({ exitCode: 0, rounds: 1, alerts: 0, archive: join(run.stateDir, "checkpoints.jsonl") });
    const before = log.size();
    expect(parseArchive(readFileSync(quiet.archive, "utf8")).map((c) => [c.size, c.trust])).toEqual([[before, "tofu"]]);

    await log.add(watched, 1, `watched ${api}`);
    await log.add(other, 2);
    const hooked = hook.received.length;
    const loud = await monitorLog(run.options);
    expect(loud).toMatchObject({ exitCode: 1, alerts: 1, byKind: { "unexpected-signer": 1 } });
    const alert = JSON.parse(run.stderr[0]!);
    expect(alert).toMatchObject({ kind: "unexpected-signer", logIndex: before, log: ORIGIN, url, signer: { keyFingerprint: keyFingerprint(new Uint8Array(createPublicKey(watched).export({ type: "spki", format: "der" }))) } });
    expect(readFileSync(alertsFile, "utf8")).toBe(`${run.stderr[0]}\n`);
    expect(hook.received.slice(hooked)).toEqual([alert]);
    expect(JSON.parse(readFileSync(join(run.stateDir, "cursor.json"), "utf8"))).toEqual({ nextIndex: before + 3 });
    expect(parseArchive(readFileSync(quiet.archive, "utf8")).map((c) => c.size)).toEqual([before, before + 3]);
  });

  it("reports a corrupt archive as INPUT_MALFORMED naming the file and line (exit 2)", async () => {
    const run = options("corrupt");
    await monitorLog(run.options);
    const archive = join(run.stateDir, "checkpoints.jsonl");
    writeFileSync(archive, `${readFileSync(archive, "utf8")}\u0000\u0000\u0000\n`);
    const error = await rejectedVouchError(() => monitorLog(run.options));
    expect(error.code).toBe("INPUT_MALFORMED");
    expect(error.location).toEqual({ file: archive, line: 2 });
  });

  it("runs rounds until the signal aborts", async () => {
    const controller = new AbortController();
    let sleeps = 0;
    const run = options("loop", {
      once: false,
      intervalSeconds: 30,
      signal: controller.signal,
      sleep: async (ms) => {
        expect(ms).toBeLessThanOrEqual(30_000);
        if (++sleeps === 2) controller.abort();
      },
    });
    expect(await monitorLog(run.options)).toMatchObject({ rounds: 2, alerts: 0, stopped: true, exitCode: 0 });
  });
});

describe("monitor configuration", () => {
  it("reads the log key from a vkey or a PEM file", () => {
    const vkey = signer.note.formatVerifierKey();
    expect(loadLogKey(vkey)).toEqual({ origin: ORIGIN, keys: [vkey] });
    const vkeyFile = join(dir, "log.vkey");
    writeFileSync(vkeyFile, `${vkey}\n`);
    expect(loadLogKey(vkeyFile, "other origin")).toEqual({ origin: "other origin", keys: [vkey] });
    expect(loadLogKey(pemFile, ORIGIN).keys[0]).toMatchObject({ name: ORIGIN, keyDetails: "" });
    expect(thrownVouchError(() => loadLogKey(pemFile)).code).toBe("INPUT_USAGE");
    expect(thrownVouchError(() => loadLogKey(join(dir, "missing.pub"))).code).toBe("INPUT_NOT_FOUND");
    const garbage = join(dir, "garbage.pub");
    writeFileSync(garbage, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
    expect(thrownVouchError(() => loadLogKey(garbage, ORIGIN)).code).toBe("INPUT_MALFORMED");
  });

  it("turns watch flags into rules: identities with the issuer, keys by fingerprint, PEM or certificate, a list file", () => {
    const cert = identityCertificate("release@example.com", "https://issuer.example");
    const certFile = join(dir, "release.crt");
    writeFileSync(certFile, `-----BEGIN CERTIFICATE-----\n${Buffer.from(cert.der).toString("base64")}\n-----END CERTIFICATE-----\n`);
    const listFile = join(dir, "watch.json");
    writeFileSync(listFile, '[{"name": "ci", "identityRegExp": "https://github\\\\.com/acme/.*"}]');
    const fp = "ab".repeat(32);
    expect(
      watchRules({ identities: ["a@example.com"], identityRegExps: [".*@acme\\.com"], issuer: "https://issuer.example", keys: [fp, certFile], file: listFile }),
    ).toEqual([
      { identity: "a@example.com", issuer: "https://issuer.example" },
      { identityRegExp: ".*@acme\\.com", issuer: "https://issuer.example" },
      { keyFingerprint: fp },
      { keyFingerprint: keyFingerprint(cert.key.spki) },
      { name: "ci", identityRegExp: "https://github\\.com/acme/.*" },
    ]);
    expect(watchRules({ issuerRegExp: "https://.*" })).toEqual([{ issuerRegExp: "https://.*" }]);
    expect(thrownVouchError(() => watchRules({ identityRegExps: ["("] })).code).toBe("INPUT_USAGE");
    expect(thrownVouchError(() => watchRules({ keys: [pemFile.replace("log.pub", "log.vkey")] })).code).toBe("INPUT_MALFORMED");
  });

  it("refuses unusable URLs and intervals, and names a state directory per origin", async () => {
    expect((await rejectedVouchError(() => monitorLog({ ...options("x").options, url: "ftp://log" }))).code).toBe("INPUT_USAGE");
    expect((await rejectedVouchError(() => monitorLog({ ...options("x").options, webhook: "nope" }))).code).toBe("INPUT_USAGE");
    expect((await rejectedVouchError(() => monitorLog({ ...options("x").options, intervalSeconds: 0 }))).code).toBe("INPUT_USAGE");
    expect(defaultMonitorStateDir("/data", ORIGIN)).toMatch(/^\/data\/monitor\/[0-9a-f]{16}$/);
    const { stateDir: _unused, ...noState } = options("x").options;
    expect((await rejectedVouchError(() => monitorLog(noState))).code).toBe("INPUT_USAGE");
    const dataDir = join(dir, "data");
    expect(await monitorLog({ ...noState, dataDir })).toMatchObject({ exitCode: 0, stateDir: defaultMonitorStateDir(dataDir, ORIGIN) });
  });
});
