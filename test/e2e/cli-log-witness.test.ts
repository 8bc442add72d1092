/**
 * The log, a witness and the verifier wired together through the CLI only: `vouch log witness` cosigns the
 * checkpoints of `vouch log serve --witness`, @sigstore/sign logs an entry, and `vouch verify --witness-key
 * --witness-threshold` accepts the bundle only with the witness's cosignature.
 */
import { createHash, createPublicKey, generateKeyPairSync, sign as nodeSign } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleToJSON } from "@sigstore/bundle";
import { MessageSignatureBundleBuilder, RekorWitness } from "@sigstore/sign";
import { afterAll, describe, expect, it } from "vitest";
import { spawnVouch, vouch, type RunningVouch } from "../support/cli.js";

const work = mkdtempSync(join(tmpdir(), "vouch-cli-witness-"));
const running: RunningVouch[] = [];
afterAll(async () => {
  for (const process of running) await process.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("vouch log serve --witness, vouch log witness, vouch verify --witness-threshold", () => {
  it("a bundle logged through the CLI-run log carries the witness's cosignature, which verify can require", async () => {
    const logEnv = { VOUCH_DATA_DIR: join(work, "log-data") };
    // First start: the log creates its key and prints its note verifier key.
    const first = await spawnVouch(["log", "serve", "--port", "0"], { env: logEnv });
    const logVkey = (await first.waitForOutput(/note verifier key \(for witnesses and monitors\): (\S+)/))[1]!;
    expect(await first.stop()).toBe(0);

    const witness = await spawnVouch(["log", "witness", "--name", "witness.test", "--log", logVkey, "--port", "0"], { env: { VOUCH_DATA_DIR: join(work, "witness-data") } });
    running.push(witness);
    const witnessVkey = (await witness.waitForOutput(/witness verifier key: (\S+)/))[1]!;
    expect(witnessVkey).toMatch(/^witness\.test\+[0-9a-f]{8}\+/);

    const log = await spawnVouch(["log", "serve", "--port", "0", "--witness", `${witness.url}=${witnessVkey}`, "--witness-wait", "5000"], { env: logEnv });
    running.push(log);

    const key = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const hint = createHash("sha256").update(key.publicKey.export({ type: "spki", format: "der" })).digest("hex");
    const artifact = Buffer.from("witnessed artifact\n");
    const signer = { sign: async (data: Buffer) => ({ signature: nodeSign("sha256", data, key.privateKey), key: { $case: "publicKey" as const, publicKey: createPublicKey(key.privateKey).export({ type: "spki", format: "pem" }).toString(), hint } }) };
    const bundle = await new MessageSignatureBundleBuilder({ signer, witnesses: [new RekorWitness({ rekorBaseURL: log.url })] }).create({ data: artifact });
    const json: any = bundleToJSON(bundle);
    expect(json.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint.envelope).toContain("— witness.test ");

    const trust = vouch(["trust", "export", "--out", join(work, "trust"), "--log-url", log.url], { env: logEnv });
    expect(trust.code).toBe(0);
    writeFileSync(join(work, "artifact"), artifact);
    writeFileSync(join(work, "artifact.sigstore.json"), JSON.stringify(json));
    writeFileSync(join(work, "key.pub"), key.publicKey.export({ type: "spki", format: "pem" }));
    const base = ["verify", join(work, "artifact"), "--bundle", join(work, "artifact.sigstore.json"), "--key", join(work, "key.pub"), "--trusted-root", join(work, "trust", "trusted_root.json")];
    const witnessed = vouch([...base, "--witness-key", witnessVkey, "--witness-threshold", "1"]);
    expect(witnessed.stderr).toBe("");
    expect(witnessed.code).toBe(0);
    // A witness the log never asked: its cosignature is not there, so the policy fails (exit 1).
    const stranger = generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "der" }).subarray(-32);
    const { formatVerifierKey } = await import("../../src/core/note/index.js");
    const strangerVkey = formatVerifierKey("stranger.test", 0x04, new Uint8Array(stranger));
    const refused = vouch([...base, "--witness-key", strangerVkey, "--witness-threshold", "1"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/witness|cosign/i);
  });
});
