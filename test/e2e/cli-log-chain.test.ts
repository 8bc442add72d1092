/**
 * The chain through the CLI alone: `vouch key generate`, `vouch sign --tlog-url` and `vouch attest --tlog-url`
 * against a running `vouch serve`, `vouch trust export`, `vouch verify` with the default thresholds (a log entry is
 * required), and `vouch log monitor` following the same log (consistency archive, a watched key alerting).
 */
import { createHash, createPublicKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnVouch, vouch, type RunningVouch } from "../support/cli.js";

const work = mkdtempSync(join(tmpdir(), "vouch-cli-chain-"));
const env = { VOUCH_DATA_DIR: join(work, "data"), VOUCH_PASSWORD: "chain test password" };
let server: RunningVouch;
let logVkey: string;

beforeAll(async () => {
  server = await spawnVouch(["serve", "--port", "0"], { env });
  logVkey = (await server.waitForOutput(/note verifier key \(for witnesses and monitors\): (\S+)/))[1]!;
});
afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  rmSync(work, { recursive: true, force: true });
});

describe("sign and attest into vouch's log, verify, monitor", () => {
  it("keyed signatures and attestations get a log entry and verify with the default thresholds", () => {
    const artifact = join(work, "release.tgz");
    writeFileSync(artifact, "release contents\n");
    writeFileSync(join(work, "provenance.json"), JSON.stringify({ buildDefinition: { buildType: "https://vouch.dev/test@v1", externalParameters: {} }, runDetails: { builder: { id: "https://vouch.dev/builder" } } }));
    expect(vouch(["key", "generate", "--out", join(work, "signer")], { env }).code).toBe(0);
    const sign = vouch(["sign", artifact, "--key", join(work, "signer.key"), "--tlog-url", server.url, "--bundle", join(work, "release.sig.json")], { env });
    expect(sign.stderr).toBe("");
    expect(sign.code).toBe(0);
    const attest = vouch(["attest", artifact, "--type", "slsaprovenance", "--predicate", join(work, "provenance.json"), "--key", join(work, "signer.key"), "--tlog-url", server.url, "--bundle", join(work, "release.att.json")], { env });
    expect(attest.stderr).toBe("");
    expect(attest.code).toBe(0);
    const bundle = JSON.parse(readFileSync(join(work, "release.att.json"), "utf8"));
    expect(bundle.verificationMaterial.tlogEntries[0].kindVersion).toEqual({ kind: "dsse", version: "0.0.1" });

    expect(vouch(["trust", "export", "--out", join(work, "trust"), "--log-url", server.url], { env }).code).toBe(0);
    const root = join(work, "trust", "trusted_root.json");
    for (const [file, extra] of [["release.sig.json", []], ["release.att.json", ["--type", "slsaprovenance"]]] as const) {
      const ok = vouch(["verify", artifact, "--bundle", join(work, file), "--key", join(work, "signer.pub"), "--trusted-root", root, "-o", "json", ...extra], { env });
      expect(ok.stderr).toBe("");
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout).tlogEntries).toHaveLength(1);
    }
    // Without the log's trust the entry cannot be checked: the default (public-good) root refuses it.
    expect(vouch(["verify", artifact, "--bundle", join(work, "release.sig.json"), "--key", join(work, "signer.pub")], { env }).code).toBe(1);
    // A log that is not there: a one-line error, exit 2, no bundle written.
    const down = vouch(["sign", artifact, "--key", join(work, "signer.key"), "--tlog-url", "http://127.0.0.1:9", "--bundle", join(work, "never.json")], { env });
    expect(down.code).toBe(2);
    expect(down.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("the monitor archives consistent checkpoints, and alerts (exit 1) when a watched key signs", () => {
    const stateDir = join(work, "monitor");
    const base = ["log", "monitor", "--url", server.url, "--log-key", logVkey, "--state-dir", stateDir, "--once"];
    const quiet = vouch(base, { env });
    expect(quiet.stderr).toBe("");
    expect(quiet.code).toBe(0);
    expect(readFileSync(join(stateDir, "checkpoints.jsonl"), "utf8").trim().split("\n").length).toBeGreaterThanOrEqual(1);

    const artifact = join(work, "second.tgz");
    writeFileSync(artifact, "second release\n");
    expect(vouch(["sign", artifact, "--key", join(work, "signer.key"), "--tlog-url", server.url, "--bundle", join(work, "second.json")], { env }).code).toBe(0);
    const fingerprint = createHash("sha256").update(createPublicKey(readFileSync(join(work, "signer.pub"))).export({ type: "spki", format: "der" })).digest("hex");
    const alerted = vouch([...base, "--watch-key", fingerprint, "--api", "tiles"], { env });
    expect(alerted.code).toBe(1);
    expect(alerted.stderr).toContain("unexpected-signer");
  });
});
