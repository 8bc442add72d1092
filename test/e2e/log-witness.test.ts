/**
 * Issue 4, end to end: vouch's transparency log gets its checkpoints cosigned by real tlog witnesses, over loopback
 * HTTP, and the bundles it makes carry those cosignatures.
 *
 * - the log (MemoryLogStore, Sequencer, TransparencyLog with a CheckpointWitnessing, buildApp) and two witnesses (the
 *   witness Fastify plugin, file state in a temp dir), each on its own 127.0.0.1:0 server; a third witness that is
 *   down, and a fourth that answers with a forged cosignature;
 * - @sigstore/sign's RekorWitness (unmodified) logs a keyed message signature there; the bundle it builds verifies
 *   with vouch's verifier at witness threshold 1 and 2, and fails at 3 (VERIFY_THRESHOLD);
 * - @sigstore/verify accepts the same bundle: it checks the log's signature line and ignores the cosignature lines,
 *   for which it has no key (Rekor v1's wire format is unchanged: cosignatures are more signature lines in the note);
 * - a witness restarted from its file state keeps cosigning the log's consistent heads.
 */
import { createHash, createPublicKey, generateKeyPairSync, sign as nodeSign, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleFromJSON, bundleToJSON } from "@sigstore/bundle";
import { PublicKeyDetails, TrustedRoot as TrustedRootMessage } from "@sigstore/protobuf-specs";
import { MessageSignatureBundleBuilder, RekorWitness, type Signer as SigstoreSigner } from "@sigstore/sign";
import { toSignedEntity, toTrustMaterial, VerificationError, Verifier } from "@sigstore/verify";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trustedRootJson } from "../../src/api/trust-export.js";
import { parseBundle } from "../../src/bundle/parse.js";
import { parseTrustedRoot } from "../../src/bundle/trusted-root.js";
import type { TrustedRoot } from "../../src/bundle/types.js";
import {
  cosignCheckpoint,
  cosignatureVerifierFromKey,
  createCosigner,
  formatSignedNote,
  parseSignedNote,
  parseVerifierKey,
  verifyCosignatures,
  type Cosigner,
  type NoteSignature,
} from "../../src/core/note/index.js";
import { buildApp } from "../../src/server/app.js";
import { witnessRoutes } from "../../src/server/routes/witness/index.js";
import { createLogSigner } from "../../src/tlog/log-signer.js";
import { TransparencyLog } from "../../src/tlog/log.js";
import { Sequencer } from "../../src/tlog/sequencer.js";
import { createWitness, fileWitnessState, formatSignatureLine, parseAddCheckpointRequest } from "../../src/tlog/witness/index.js";
import { CheckpointWitnessing, type WitnessingLogger } from "../../src/tlog/witnessing.js";
import { verifyBundle, type VerificationResult } from "../../src/verify/verifier.js";
import { thrownVouchError } from "../support/errors.js";
import { MemoryLogStore } from "../support/memory-log-store.js";

const HOST = "127.0.0.1";
// vouch's verifier binds a C2SP checkpoint's origin to the host of the log's base URL (as sigstore-go does), and
// @sigstore/verify wants the signature line's name inside the base URL: the log is named after its host.
const ORIGIN = HOST;
// How long an answer waits for the threshold: long enough for a live witness on loopback, even on a busy machine.
const WAIT_MS = 2_000;

const work = mkdtempSync(join(tmpdir(), "vouch-log-witness-"));
const logKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
const logSigner = createLogSigner(logKey, ORIGIN);
const signingKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
const spki = (key: KeyObject): Buffer => (key.type === "private" ? createPublicKey(key) : key).export({ type: "spki", format: "der" });
const hint = createHash("sha256").update(spki(signingKey)).digest("hex");

const port = (server: { address(): string | AddressInfo | null }) => (server.address() as AddressInfo).port;

// --- witnesses -------------------------------------------------------------------------------------------------------

interface RunningWitness {
  cosigner: Cosigner;
  vkey: string;
  dir: string;
  app: FastifyInstance;
  url: string;
}

/** A witness of the log, with its state in `dir`, listening on `atPort` (0: any). */
async function startWitness(cosigner: Cosigner, dir: string, atPort = 0): Promise<RunningWitness> {
  const witness = createWitness({ cosigner, logs: [{ origin: ORIGIN, keys: [logSigner.note.formatVerifierKey()] }], state: fileWitnessState(dir) });
  const app = Fastify();
  await app.register(witnessRoutes, { witness, prefix: "/witness" });
  await app.listen({ host: HOST, port: atPort });
  return { cosigner, vkey: cosigner.formatVerifierKey(), dir, app, url: `http://${HOST}:${port(app.server)}/witness` };
}

const newCosigner = (name: string) => createCosigner({ name, privateKey: generateKeyPairSync("ed25519").privateKey });

/** A "witness" that answers every request with a cosignature line under its own name and key ID, signed by another key. */
async function startForger(name: string): Promise<{ server: Server; url: string; vkey: string }> {
  const configured = newCosigner(name);
  const impostor = newCosigner(name);
  const server = createServer((request, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (body += chunk));
    request.on("end", () => {
      const text = parseSignedNote(parseAddCheckpointRequest(body).checkpoint).text;
      const forged = cosignCheckpoint(text, impostor, Math.floor(Date.now() / 1000));
      response.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      response.end(formatSignatureLine({ ...forged, keyId: configured.keyId }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return { server, url: `http://${HOST}:${port(server)}`, vkey: configured.formatVerifierKey() };
}

/** A URL where nothing listens: a port the system gave out and took back. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const free = port(server);
  await new Promise((resolve) => server.close(resolve));
  return `http://${HOST}:${free}/witness`;
}

// --- the world -------------------------------------------------------------------------------------------------------

const logged: { level: string; fields: Record<string, unknown>; message: string }[] = [];
const logger: WitnessingLogger = {
  warn: (fields, message) => logged.push({ level: "warn", fields, message }),
  error: (fields, message) => logged.push({ level: "error", fields, message }),
};

let w1: RunningWitness;
let w2: RunningWitness;
let forger: Awaited<ReturnType<typeof startForger>>;
let downUrl: string;
const neverCosigns = newCosigner("witness3.test").formatVerifierKey();
let sequencer: Sequencer;
let witnessing: CheckpointWitnessing;
let logApp: FastifyInstance;
let logUrl: string;
let trustedRootJsonValue: Record<string, unknown>;
let vouchRoot: TrustedRoot;

beforeAll(async () => {
  w1 = await startWitness(newCosigner("witness1.test"), join(work, "w1"));
  w2 = await startWitness(newCosigner("witness2.test"), join(work, "w2"));
  forger = await startForger("forger.test");
  downUrl = await deadUrl();

  const store = new MemoryLogStore();
  sequencer = await Sequencer.start({ store, signCheckpoint: ({ size, rootHash }) => logSigner.checkpoint(size, rootHash), maxDelayMs: 2 });
  witnessing = new CheckpointWitnessing({
    store,
    witnesses: [
      { url: w1.url, vkey: w1.vkey },
      { url: w2.url, vkey: w2.vkey },
      { url: downUrl, vkey: newCosigner("down.test").formatVerifierKey() },
      { url: forger.url, vkey: forger.vkey },
    ],
    threshold: 2,
    waitMs: WAIT_MS,
    timeoutMs: 5_000,
    logger,
  });
  const log = new TransparencyLog({ store, signer: logSigner, sequencer, witnessing });
  logApp = await buildApp({ log });
  await logApp.listen({ host: HOST, port: 0 });
  logUrl = `http://${HOST}:${port(logApp.server)}`;
  trustedRootJsonValue = trustedRootJson({ log: { baseUrl: logUrl, privateKey: logKey, validFrom: new Date(Date.now() - 3_600_000) } });
  vouchRoot = parseTrustedRoot(JSON.stringify(trustedRootJsonValue), "trusted_root.json");
});

afterAll(async () => {
  await witnessing?.close();
  await sequencer?.stop();
  await logApp?.close();
  await w1?.app.close();
  await w2?.app.close();
  await new Promise((resolve) => forger?.server.close(resolve));
  rmSync(work, { recursive: true, force: true });
});

// --- signing and verifying -------------------------------------------------------------------------------------------

/** @sigstore/sign's view of a local key (the keyed, non-Fulcio signer). */
const keySigner: SigstoreSigner = {
  sign: async (data) => ({
    signature: nodeSign("sha256", data, signingKey),
    key: { $case: "publicKey", publicKey: createPublicKey(signingKey).export({ type: "spki", format: "pem" }).toString(), hint },
  }),
};

/** A bundle for `artifact`, its entry logged in vouch's log by RekorWitness (an unmodified Rekor v1 client). */
async function signAndLog(artifact: Buffer): Promise<any> {
  const bundle = await new MessageSignatureBundleBuilder({ signer: keySigner, witnesses: [new RekorWitness({ rekorBaseURL: logUrl })] }).create({ data: artifact });
  return bundleToJSON(bundle);
}

function vouchVerify(json: unknown, artifact: Buffer, witnessKeys: string[], threshold: number): VerificationResult {
  return verifyBundle(parseBundle(JSON.stringify(json)), {
    artifact: { kind: "bytes", data: artifact },
    trustedRoot: vouchRoot,
    publicKey: createPublicKey(signingKey),
    witnesses: { keys: witnessKeys, threshold },
  });
}

function sigstoreVerify(json: unknown, artifact: Buffer) {
  const material = toTrustMaterial(TrustedRootMessage.fromJSON(trustedRootJsonValue), {
    [hint]: { rawBytes: spki(signingKey), keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256, validFor: { start: new Date(0), end: undefined } },
  });
  return new Verifier(material, { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 1 }).verify(toSignedEntity(bundleFromJSON(json), artifact));
}

const checkpointOf = (json: any): string => json.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint.envelope;
const keyOf = (vkey: string) => cosignatureVerifierFromKey(parseVerifierKey(vkey));
const cosignedBy = (note: string, vkeys: string[]) => verifyCosignatures(parseSignedNote(note), vkeys.map(keyOf)).valid.map((v) => v.key.name).sort();

// =====================================================================================================================

describe("a log with witnesses, over HTTP", () => {
  const artifact = Buffer.from("release v1.0.0 of something worth witnessing\n");
  let json: any;

  beforeAll(async () => {
    json = await signAndLog(artifact);
  });

  it("the inclusion proof's checkpoint carries the log's signature and both witnesses' cosignatures, nothing forged", () => {
    const note = parseSignedNote(checkpointOf(json));
    expect(note.signatures.map((s) => s.name)).toEqual([ORIGIN, "witness1.test", "witness2.test"]);
    expect(cosignedBy(checkpointOf(json), [w1.vkey, w2.vkey, forger.vkey])).toEqual(["witness1.test", "witness2.test"]);
  });

  it("vouch's verifier accepts the bundle with witness threshold 1 and 2, and refuses 3 (VERIFY_THRESHOLD)", () => {
    expect(vouchVerify(json, artifact, [w1.vkey, w2.vkey], 1).tlogEntries).toHaveLength(1);
    expect(vouchVerify(json, artifact, [w1.vkey, w2.vkey], 2).checks.find((c) => c.step === "tlog")?.ok).toBe(true);
    // A third trusted witness that never cosigned, or the forger (its line was never kept): two is all there is.
    expect(thrownVouchError(() => vouchVerify(json, artifact, [w1.vkey, w2.vkey, neverCosigns], 3)).code).toBe("VERIFY_THRESHOLD");
    expect(thrownVouchError(() => vouchVerify(json, artifact, [w1.vkey, w2.vkey, forger.vkey], 3)).code).toBe("VERIFY_THRESHOLD");
    // Without a witness policy, the cosignature lines change nothing.
    expect(vouchVerify(json, artifact, [], 0).tlogEntries).toHaveLength(1);
  });

  it("@sigstore/verify accepts it too: the log's line verifies and the cosignature lines, with no key, are ignored", () => {
    expect(spki(sigstoreVerify(json, artifact).key).equals(spki(signingKey))).toBe(true);

    // Control: the same checkpoint without the log's line (cosignatures only) is refused, so it is the log's line
    // that @sigstore/verify checked, and it did skip the others.
    const note = parseSignedNote(checkpointOf(json));
    const withCheckpoint = (signatures: NoteSignature[]) => {
      const copy = structuredClone(json);
      copy.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint.envelope = formatSignedNote({ text: note.text, signatures });
      return copy;
    };
    expect(() => sigstoreVerify(withCheckpoint(note.signatures.slice(1)), artifact)).toThrow(VerificationError);

    // A tampered cosignature line: @sigstore/verify has no key for it and still accepts; vouch with the witness
    // policy refuses the checkpoint (a trusted witness's line that does not verify).
    const [logLine, w1Line, w2Line] = note.signatures as [NoteSignature, NoteSignature, NoteSignature];
    const flipped = Uint8Array.from(w1Line.signature);
    flipped[flipped.length - 1]! ^= 0x01;
    const tampered = withCheckpoint([logLine, { ...w1Line, signature: flipped }, w2Line]);
    expect(spki(sigstoreVerify(tampered, artifact).key).equals(spki(signingKey))).toBe(true);
    expect(thrownVouchError(() => vouchVerify(tampered, artifact, [w1.vkey, w2.vkey], 1)).code).toBe("VERIFY_TLOG_INCLUSION");
  });

  it("serves the cosigned checkpoint at /checkpoint, GET /api/v1/log and in entries read back", async () => {
    await witnessing.settled();
    const checkpoint = await (await fetch(`${logUrl}/checkpoint`)).text();
    expect(cosignedBy(checkpoint, [w1.vkey, w2.vkey])).toEqual(["witness1.test", "witness2.test"]);
    const info = (await (await fetch(`${logUrl}/api/v1/log`)).json()) as { signedTreeHead: string };
    expect(info.signedTreeHead).toBe(checkpoint);
    const entries = (await (await fetch(`${logUrl}/api/v1/log/entries?logIndex=0`)).json()) as Record<string, any>;
    const entry = Object.values(entries)[0];
    expect(entry.verification.inclusionProof.checkpoint).toBe(checkpoint);
  });

  it("the witness that is down and the forger were reported, and the log kept going", () => {
    expect(logged.some((e) => e.level === "warn" && e.fields.url === `${downUrl}/add-checkpoint` && /no answer/.test(e.message))).toBe(true);
    expect(logged.some((e) => e.level === "error" && e.fields.witness === "forger.test" && /does not verify; not counted/.test(e.message))).toBe(true);
  });

  it("a witness restarted from its file state keeps cosigning the log's consistent heads", async () => {
    // w1 goes down: the log goes on; answers wait WAIT_MS for a threshold that cannot be met, then carry w2 alone.
    const w1Port = port(w1.app.server);
    await w1.app.close();
    logged.length = 0;
    const during = Buffer.from("signed while witness1 was down\n");
    const duringJson = await signAndLog(during);
    expect(cosignedBy(checkpointOf(duringJson), [w1.vkey, w2.vkey])).toEqual(["witness2.test"]);
    expect(vouchVerify(duringJson, during, [w1.vkey, w2.vkey], 1).tlogEntries).toHaveLength(1);
    expect(thrownVouchError(() => vouchVerify(duringJson, during, [w1.vkey, w2.vkey], 2)).code).toBe("VERIFY_THRESHOLD");
    expect(logged.some((e) => e.level === "warn" && /threshold in time/.test(e.message))).toBe(true);
    const cosignedBefore = (await fileWitnessState(w1.dir).get(ORIGIN))!.size;

    // w1 comes back on the same port, with the same key and the state it saved.
    w1 = await startWitness(w1.cosigner, w1.dir, w1Port);
    const after = Buffer.from("signed after witness1 came back\n");
    const afterJson = await signAndLog(after);
    expect(cosignedBy(checkpointOf(afterJson), [w1.vkey, w2.vkey])).toEqual(["witness1.test", "witness2.test"]);
    expect(vouchVerify(afterJson, after, [w1.vkey, w2.vkey], 2).tlogEntries).toHaveLength(1);
    expect(spki(sigstoreVerify(afterJson, after).key).equals(spki(signingKey))).toBe(true);
    // It moved forward from what it had cosigned before going down, by a consistency proof (no refusal logged).
    const treeSize = Number(afterJson.verificationMaterial.tlogEntries[0].inclusionProof.treeSize);
    expect((await fileWitnessState(w1.dir).get(ORIGIN))!.size).toBe(treeSize);
    expect(treeSize).toBeGreaterThan(cosignedBefore);
    expect(logged.filter((e) => e.level === "error" && e.fields.witness !== "forger.test")).toEqual([]);
  });
});
