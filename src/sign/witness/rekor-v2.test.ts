import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleFromJSON } from "@sigstore/bundle";
import { TrustedRoot as TrustedRootMessage } from "@sigstore/protobuf-specs";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDerTsa, type DerTsa } from "../../../test/support/der-tsa.js";
import { rejectedVouchError } from "../../../test/support/errors.js";
import { MemoryLogStore } from "../../../test/support/memory-log-store.js";
import { ecdsaKey } from "../../../test/support/rekor-proposals.js";
import { startMockSigstore, unsignedIdentityToken, type MockSigstore } from "../../../test/support/sigstore-mock.js";
import { attestFiles } from "../../api/attest.js";
import { signBytes } from "../../api/sign.js";
import { parseBundle } from "../../bundle/parse.js";
import { parseTrustedRoot } from "../../bundle/trusted-root.js";
import { buildApp } from "../../server/app.js";
import { createLogSigner } from "../../tlog/log-signer.js";
import { TransparencyLog } from "../../tlog/log.js";
import { Sequencer } from "../../tlog/sequencer.js";
import { verifyBundle } from "../../verify/verifier.js";
import { witnessInRekorV2 } from "./rekor-v2.js";

/**
 * Keyless signing with a Rekor v2 log: vouch's own log (its /api/v2/log/entries, served over loopback HTTP), the mock
 * Fulcio for the certificate and a DER TSA for the signing time. (@sigstore/mock's Rekor v2 does not log canonical
 * bodies, so its entries verify nowhere: see test/e2e/interop-sigstore.test.ts.)
 */

const SUBJECT = "https://github.com/octo/app/.github/workflows/release.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";
const ARTIFACT = new Uint8Array(Buffer.from("rekor v2 artifact\n"));

const work = mkdtempSync(join(tmpdir(), "vouch-rekor-v2-"));
let app: FastifyInstance;
let logUrl: string;
let mock: MockSigstore;
let tsa: DerTsa;
let rootJson: Record<string, unknown>;
let signingConfig: string;

beforeAll(async () => {
  [mock, tsa] = await Promise.all([startMockSigstore(), startDerTsa()]);
  const logKey = ecdsaKey();
  // The checkpoint origin is the host clients reach the log at (C2SP; vouch and sigstore-go check it against baseUrl).
  const signer = createLogSigner(logKey, "127.0.0.1");
  const store = new MemoryLogStore();
  const sequencer = await Sequencer.start({ store, signCheckpoint: ({ size, rootHash }) => signer.checkpoint(size, rootHash), maxDelayMs: 2 });
  app = await buildApp({ log: new TransparencyLog({ store, signer, sequencer }) });
  logUrl = await app.listen({ port: 0, host: "127.0.0.1" });

  const b64 = (der: Uint8Array) => Buffer.from(der).toString("base64");
  const start = new Date(Date.now() - 60_000).toISOString();
  rootJson = {
    ...mock.trustedRootJson,
    tlogs: [
      {
        baseUrl: logUrl,
        hashAlgorithm: "SHA2_256",
        publicKey: { rawBytes: b64(signer.note.publicKeyDer), keyDetails: "PKIX_ECDSA_P256_SHA_256", validFor: { start } },
        logId: { keyId: b64(signer.logId) },
      },
    ],
    timestampAuthorities: [{ subject: { commonName: "der-tsa" }, uri: tsa.url, certChain: { certificates: tsa.chain.map((c) => ({ rawBytes: b64(c) })) }, validFor: { start } }],
  };
  signingConfig = join(work, "signing_config.json");
  const service = (url: string) => ({ url, majorApiVersion: 1, validFor: { start: "2024-01-01T00:00:00Z" }, operator: "tests" });
  writeFileSync(
    signingConfig,
    JSON.stringify({
      mediaType: "application/vnd.dev.sigstore.signingconfig.v0.2+json",
      caUrls: [service(mock.url)],
      rekorTlogUrls: [{ ...service(logUrl), majorApiVersion: 2 }],
      tsaUrls: [service(tsa.url)],
    }),
  );
});
afterAll(async () => {
  await Promise.all([app?.close(), mock?.close(), tsa?.close()]);
  rmSync(work, { recursive: true, force: true });
});

const keyless = () => ({ signingConfig, identityToken: unsignedIdentityToken({ sub: SUBJECT, iss: ISSUER }), env: {} });

describe("keyless signing into a Rekor v2 log (signing config majorApiVersion 2)", () => {
  it("a hashedrekord 0.0.2 entry plus an RFC 3161 timestamp: vouch and @sigstore/verify both accept the bundle", async () => {
    const { bundleJson } = await signBytes(ARTIFACT, { keyless: keyless() });
    const json = JSON.parse(bundleJson);
    const entry = json.verificationMaterial.tlogEntries[0];
    expect(json.verificationMaterial.tlogEntries).toHaveLength(1);
    expect(entry.kindVersion).toEqual({ kind: "hashedrekord", version: "0.0.2" });
    // Rekor v2: no integrated time, no SET; the time is the TSA's.
    expect(entry.integratedTime).toBeUndefined();
    expect(entry.inclusionPromise).toBeUndefined();
    expect(json.verificationMaterial.timestampVerificationData.rfc3161Timestamps).toHaveLength(1);

    const result = verifyBundle(parseBundle(bundleJson), {
      artifact: { kind: "bytes", data: ARTIFACT },
      trustedRoot: parseTrustedRoot(JSON.stringify(rootJson)),
      identity: { subject: SUBJECT, issuer: ISSUER },
    });
    expect(result.trustedTimes.map((t) => t.source)).toEqual(["timestamp-authority"]);
    expect(result.tlogEntries.map((e) => e.logIndex)).toEqual([BigInt(entry.logIndex)]);
    new Verifier(toTrustMaterial(TrustedRootMessage.fromJSON(rootJson))).verify(toSignedEntity(bundleFromJSON(json), Buffer.from(ARTIFACT)), {
      subjectAlternativeName: SUBJECT,
      extensions: { issuer: ISSUER },
    });
  });

  it("a dsse 0.0.2 entry for an attestation verifies in vouch", async () => {
    const subject = join(work, "app.tgz");
    writeFileSync(subject, ARTIFACT);
    const predicate = { buildDefinition: { buildType: "https://example.com/b" }, runDetails: { builder: { id: "https://example.com/builder" } } };
    const { bundleJson, bundle } = await attestFiles([subject], { type: "slsaprovenance", predicate, keyless: keyless() });
    expect(bundle.tlogEntries.map((e) => [e.kind, e.kindVersion])).toEqual([["dsse", "0.0.2"]]);
    const result = verifyBundle(parseBundle(bundleJson), {
      artifact: { kind: "digest", algorithm: "sha256", hex: createHash("sha256").update(ARTIFACT).digest("hex") },
      trustedRoot: parseTrustedRoot(JSON.stringify(rootJson)),
      identity: { subject: SUBJECT, issuer: ISSUER },
    });
    expect(result.signer.kind).toBe("certificate");
  });
});

describe("witnessInRekorV2 errors", () => {
  async function stub(status: number, body: string): Promise<{ url: string; server: Server }> {
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(status, { "content-type": "application/json" }).end(body));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
  }
  it("a refusal is LOG_INVALID_ENTRY with the log's reason; a corrupt answer is LOG_UNAVAILABLE naming the field", async () => {
    const { bundle: signed, material: signedMaterial } = await signBytes(ARTIFACT, { keyless: { ...keyless(), signingConfig: undefined, fulcioUrl: mock.url, tsaUrl: tsa.url } });
    const plain = { ...signed, tlogEntries: [], timestamps: [] };
    const refusing = await stub(400, JSON.stringify({ code: 400, message: "verifying signature: invalid signature" }));
    const corrupt = await stub(201, JSON.stringify({ logIndex: "1", logId: { keyId: "AA==" }, kindVersion: { kind: "hashedrekord", version: "0.0.2" } }));
    try {
      const refused = await rejectedVouchError(() => witnessInRekorV2(plain, signedMaterial, { url: refusing.url }));
      expect({ code: refused.code, message: refused.message }).toEqual({ code: "LOG_INVALID_ENTRY", message: `the log at ${refusing.url} answered 400: verifying signature: invalid signature` });
      const unusable = await rejectedVouchError(() => witnessInRekorV2(plain, signedMaterial, { url: corrupt.url }));
      expect({ code: unusable.code, message: unusable.message }).toEqual({ code: "LOG_UNAVAILABLE", message: "the log's answer is unusable: inclusionProof is missing" });
    } finally {
      await Promise.all([new Promise((r) => refusing.server.close(r)), new Promise((r) => corrupt.server.close(r))]);
    }
  });
});
