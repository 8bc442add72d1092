/**
 * The tlog steps over real bundles: the sigstore-conformance cases, sigstore-js's and sigstore-go's public-good
 * bundles, and hand-tampered copies of them. Until src/bundle/parse.ts exists, the small decoder below turns the
 * fixture JSON into the shared types (base64 -> bytes, decimal strings -> bigint).
 */
import { X509Certificate, createHash, createPublicKey } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { DsseContent, TlogEntry, TransparencyLogInstance } from "../../bundle/types.js";
import type { VouchError } from "../../core/errors.js";
import {
  verifyEntryBody,
  verifyInclusionProof,
  verifySignedEntryTimestamp,
  type LoggedContent,
  type SignerMaterial,
} from "./index.js";

const FIXTURES = new URL("../../../test/fixtures/sigstore/", import.meta.url);
const CONFORMANCE = "conformance/test/assets/bundle-verify/";
const path = (p: string): URL => new URL(p, FIXTURES);
const readJson = (p: string): any => JSON.parse(readFileSync(path(p), "utf8"));
const bytes = (b64: string): Uint8Array => new Uint8Array(Buffer.from(b64, "base64"));

function decodeEntries(bundle: any): TlogEntry[] {
  return bundle.verificationMaterial.tlogEntries.map(
    (e: any): TlogEntry => ({
      logIndex: BigInt(e.logIndex),
      logId: bytes(e.logId.keyId),
      kind: e.kindVersion.kind,
      kindVersion: e.kindVersion.version,
      integratedTime: e.integratedTime === undefined ? undefined : BigInt(e.integratedTime),
      signedEntryTimestamp: e.inclusionPromise ? bytes(e.inclusionPromise.signedEntryTimestamp) : undefined,
      inclusionProof: e.inclusionProof
        ? {
            logIndex: BigInt(e.inclusionProof.logIndex),
            rootHash: bytes(e.inclusionProof.rootHash),
            treeSize: BigInt(e.inclusionProof.treeSize),
            hashes: e.inclusionProof.hashes.map(bytes),
            checkpoint: e.inclusionProof.checkpoint?.envelope ?? "",
          }
        : undefined,
      canonicalizedBody: bytes(e.canonicalizedBody),
    }),
  );
}

function decodeTlogs(root: any): TransparencyLogInstance[] {
  return root.tlogs.map(
    (t: any): TransparencyLogInstance => ({
      baseUrl: t.baseUrl,
      hashAlgorithm: t.hashAlgorithm,
      publicKeyDer: bytes(t.publicKey.rawBytes),
      keyDetails: t.publicKey.keyDetails,
      // A missing start becomes an invalid Date: the key must then verify nothing.
      validFor: {
        start: new Date(t.publicKey.validFor?.start ?? Number.NaN),
        ...(t.publicKey.validFor?.end === undefined ? {} : { end: new Date(t.publicKey.validFor.end) }),
      },
      logId: bytes(t.logId.keyId),
    }),
  );
}

const PRODUCTION = decodeTlogs(readJson("sigstore-js/derived/public-good-trusted_root.json"));

interface Case {
  entry: TlogEntry;
  tlogs: TransparencyLogInstance[];
  content: LoggedContent;
  material: SignerMaterial | undefined;
  /** A stand-in for the verified RFC 3161 time of Rekor v2 bundles: the leaf certificate's notBefore. */
  signingTime: Date | undefined;
}

function load(bundleFile: string, opts: { root?: string; artifact?: string; key?: string } = {}): Case {
  const bundle = readJson(bundleFile);
  const vm = bundle.verificationMaterial;
  const certificate: string | undefined = vm.certificate?.rawBytes ?? vm.x509CertificateChain?.certificates?.[0]?.rawBytes;
  let material: SignerMaterial | undefined;
  if (certificate !== undefined) material = { kind: "certificate", der: bytes(certificate) };
  else if (opts.key !== undefined) {
    material = { kind: "publicKey", der: createPublicKey(readFileSync(path(opts.key))).export({ type: "spki", format: "der" }) };
  }
  let content: LoggedContent;
  if (bundle.messageSignature !== undefined) {
    const digest =
      opts.artifact === undefined
        ? bytes(bundle.messageSignature.messageDigest.digest)
        : new Uint8Array(createHash("sha256").update(readFileSync(path(opts.artifact))).digest());
    content = { kind: "messageSignature", digest: { algorithm: "SHA2_256", value: digest }, signature: bytes(bundle.messageSignature.signature) };
  } else {
    const env = bundle.dsseEnvelope;
    content = {
      kind: "dsseEnvelope",
      envelope: {
        payload: bytes(env.payload),
        payloadType: env.payloadType,
        signatures: env.signatures.map((s: any) => ({ sig: bytes(s.sig), keyid: s.keyid ?? "" })),
      },
    } satisfies DsseContent;
  }
  return {
    entry: decodeEntries(bundle)[0]!,
    tlogs: opts.root === undefined ? PRODUCTION : decodeTlogs(readJson(opts.root)),
    content,
    material,
    signingTime: certificate === undefined ? undefined : new Date(new X509Certificate(Buffer.from(certificate, "base64")).validFrom),
  };
}

function conformance(name: string): Case {
  const dir = `${CONFORMANCE}${name}/`;
  return load(`${dir}bundle.sigstore.json`, {
    root: existsSync(path(`${dir}trusted_root.json`)) ? `${dir}trusted_root.json` : undefined,
    artifact: existsSync(path(`${dir}artifact`)) ? `${dir}artifact` : `${CONFORMANCE}a.txt`,
    key: existsSync(path(`${dir}key.pub`)) ? `${dir}key.pub` : undefined,
  });
}

const inclusion = (c: Case) => () => verifyInclusionProof(c.entry, c.tlogs, { signingTime: c.signingTime });
const set = (c: Case) => () => verifySignedEntryTimestamp(c.entry, c.tlogs);
const body = (c: Case) => () => verifyEntryBody(c.entry, c.content, c.material!);

function failure(fn: () => unknown): { code: string; message: string } | undefined {
  try {
    fn();
  } catch (e) {
    return { code: (e as VouchError).code, message: (e as Error).message };
  }
  return undefined;
}

describe("conformance cases that must verify", () => {
  it.each([
    "happy-path-v0.1",
    "happy-path-v0.3",
    "happy-path-v0.3-new-mediaType",
    "happy-path-intoto-in-dsse-v3",
    "managed-key-happy-path",
    "intoto-with-custom-trust-root",
    "trust-root-tlog-validity-end-inclusive",
  ])("%s (Rekor v1): inclusion proof, SET and body verify", (name) => {
    const c = conformance(name);
    const proof = verifyInclusionProof(c.entry, c.tlogs, { signingTime: c.signingTime });
    expect(proof.tlog.baseUrl).toMatch(/^https?:\/\//);
    expect(proof.checkpoint.size).toBe(c.entry.inclusionProof!.treeSize);
    const promise = verifySignedEntryTimestamp(c.entry, c.tlogs);
    expect(promise.integratedTime.getTime()).toBe(Number(c.entry.integratedTime) * 1000);
    expect(verifyEntryBody(c.entry, c.content, c.material!).kind).toBe(c.entry.kind);
  });

  it("trust-root-tlog-validity-end-inclusive: the integrated time is exactly the key's validity end", () => {
    const c = conformance("trust-root-tlog-validity-end-inclusive");
    const { tlog, integratedTime } = verifySignedEntryTimestamp(c.entry, c.tlogs);
    expect(integratedTime.toISOString()).toBe("2023-07-12T15:56:36.000Z");
    expect(tlog.validFor.end?.toISOString()).toBe("2023-07-12T15:56:36.000Z");
  });

  it.each([
    "rekor2-happy-path",
    "rekor2-dsse-happy-path",
    "rekor2-checkpoint-cosigned",
    "rekor2-checkpoint-origin-not-first",
    "rekor2-checkpoint-two-sigs-cosigned",
    "rekor2-timestamp-with-embedded-cert",
    "rekor2-timestamp-with-expired-cert-chain",
  ])("%s (Rekor v2): inclusion proof and body verify; there is no SET", (name) => {
    const c = conformance(name);
    const { tlog, checkpoint } = verifyInclusionProof(c.entry, c.tlogs, { signingTime: c.signingTime });
    expect(checkpoint.origin).toBe(new URL(tlog.baseUrl).hostname);
    expect(tlog.keyDetails).toBe("PKIX_ED25519");
    expect(verifyEntryBody(c.entry, c.content, c.material!).apiVersion).toBe("0.0.2");
    expect(failure(set(c))).toEqual({ code: "VERIFY_TLOG_SET", message: "the entry has no signed entry timestamp" });
  });
});

describe("conformance cases that must fail, failing at the tlog step their README names", () => {
  it.each([
    ["invalid-inclusion-proof_fail", inclusion, "VERIFY_TLOG_INCLUSION", "the inclusion proof has no checkpoint"],
    [
      "invalid-checkpoint-signature_fail",
      inclusion,
      "VERIFY_TLOG_INCLUSION",
      "checkpoint: signature by rekor.sigstore.dev (key ID c0d23d6a) does not verify with the trusted key",
    ],
    [
      "checkpoint-bad-keyhint_fail",
      inclusion,
      "VERIFY_TLOG_INCLUSION",
      "checkpoint: no signature by the trusted key (signatures: rekor.sigstore.dev c4d23d6a)",
    ],
    [
      "set-invalid-signature_fail",
      set,
      "VERIFY_TLOG_SET",
      "the signed entry timestamp does not verify with the key of https://rekor.sigstore.dev",
    ],
    [
      "wrong-hashedrekord-entry_fail",
      body,
      "VERIFY_TLOG_BODY",
      "the logged digest 9d92fa52ed0a8a8d6c0ac3cb226291eadd15d5952ee9b40ff4906fd615419fa6 is not the artifact digest a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf",
    ],
    [
      "wrong-hashedrekord-artifact_fail",
      body,
      "VERIFY_TLOG_BODY",
      "the logged digest d40ec3eebcb2991494f22736a3f5fa7b2e4b6972d7c046d5c5d7e506abe9f752 is not the artifact digest a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf",
    ],
    [
      "wrong-material_fail",
      body,
      "VERIFY_TLOG_BODY",
      "the logged digest a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf is not the artifact digest 1fa70528334cd25fb9b4aabc0a81c96a0c8e8ff48b59be6dfbe9897e8e7f5c93",
    ],
    [
      "intoto-log-entry-mismatch_fail",
      body,
      "VERIFY_TLOG_BODY",
      "log entry body: spec.content.envelope.signatures[0].sig is not base64-encoded base64",
    ],
    ["signature-mismatch_fail", body, "VERIFY_TLOG_BODY", "the logged signature is not the bundle's signature"],
    ["dsse-mismatch-sig_fail", body, "VERIFY_TLOG_BODY", "the logged signature is not the DSSE envelope's signature"],
    ["rekor2-dsse-invalid-sig_fail", body, "VERIFY_TLOG_BODY", "the logged signature is not the DSSE envelope's signature"],
    [
      "rekor2-dsse-mismatch-envelope_fail",
      body,
      "VERIFY_TLOG_BODY",
      "the logged digest 57f2135c594c7f9360e79a5422c291f8878d4ae5c539bc04dca45da63d7c2e11 is not the DSSE envelope's PAE digest 07fc46ce956bbd78af8de1597f4fabd576451d9d8614d277aa446e9dcd23ebaa",
    ],
    ["incorrect-public-key_fail", body, "VERIFY_TLOG_BODY", "the logged certificate is not the bundle's signing certificate"],
    ["rekor2-checkpoint-missing-log-signature_fail", inclusion, "VERIFY_TLOG_INCLUSION", "signed note: note has no signature lines"],
    [
      "rekor2-checkpoint-missing-origin_fail",
      inclusion,
      "VERIFY_TLOG_INCLUSION",
      "checkpoint: has 2 line(s); origin, tree size and root hash are required",
    ],
    [
      "rekor2-checkpoint-missing-size_fail",
      inclusion,
      "VERIFY_TLOG_INCLUSION",
      "checkpoint: has 2 line(s); origin, tree size and root hash are required",
    ],
    ["rekor2-no-inclusion-proof_fail", inclusion, "VERIFY_TLOG_INCLUSION", "the entry has no inclusion proof"],
    ["intoto-missing-inclusion-proof_fail", inclusion, "VERIFY_TLOG_INCLUSION", "the entry has no inclusion proof"],
    [
      "trust-root-tlog-missing-validity-start_fail",
      inclusion,
      "VERIFY_TLOG_INCLUSION",
      "the log key was not trusted at 2025-06-12T12:02:16.000Z: https://log2025-alpha1.rekor.sigstage.dev is trusted never (its validity has no start)",
    ],
    [
      "bundle-from-wrong-instance_fail",
      inclusion,
      "VERIFY_TLOG_INCLUSION",
      "no transparency log in the trusted root has log ID 0y8wo8MtY5wrdiIFohx7sHeI5oKDpK5vQhGHI6G+pJY=",
    ],
    [
      "bundle-from-wrong-instance_fail",
      set,
      "VERIFY_TLOG_SET",
      "no transparency log in the trusted root has log ID 0y8wo8MtY5wrdiIFohx7sHeI5oKDpK5vQhGHI6G+pJY=",
    ],
  ] as const)("%s: %s", (name, step, code, message) => {
    expect(failure(step(conformance(name)))).toEqual({ code, message });
  });

  it("incorrect-public-key_fail: the edited body no longer hashes to a leaf of the log", () => {
    const f = failure(inclusion(conformance("incorrect-public-key_fail")));
    expect(f?.code).toBe("VERIFY_TLOG_INCLUSION");
    expect(f?.message).toMatch(/^inclusion proof leads to root [0-9a-f]{64}, expected 75aba195/);
  });

  it("invalid-inclusion-proof_fail: its (stale) audit path does not lead to its root either", async () => {
    const { verifyInclusion, leafHash } = await import("../../core/merkle/index.js");
    const { entry } = conformance("invalid-inclusion-proof_fail");
    const p = entry.inclusionProof!;
    expect(verifyInclusion(p.logIndex, p.treeSize, leafHash(entry.canonicalizedBody), p.hashes, p.rootHash).ok).toBe(false);
  });

  it("Rekor v1 checks still pass where the conformance failure lies elsewhere (certificate, timestamp, DSSE signature)", () => {
    for (const name of ["intoto-expired-certificate_fail", "intoto-tsa-timestamp-outside-cert-validity_fail", "dsse-invalid-sig_fail"]) {
      const c = conformance(name);
      expect(() => inclusion(c)(), name).not.toThrow();
      expect(() => set(c)(), name).not.toThrow();
    }
  });
});

describe("sigstore-js and sigstore-go public-good bundles", () => {
  const bundles = [
    "sigstore-js/tests/bundles/bundleV01-dsse-no-proof.sigstore",
    "sigstore-js/tests/bundles/bundleV01-dsse-with-proof.sigstore",
    "sigstore-js/tests/bundles/bundleV01-full-cert-chain.sigstore",
    "sigstore-js/tests/bundles/bundleV01-intoto-no-proof.sigstore",
    "sigstore-js/tests/bundles/bundleV01-intoto-with-proof.sigstore",
    "sigstore-js/tests/bundles/bundleV02-dsse.sigstore",
    "sigstore-js/tests/bundles/bundleV02-intoto.sigstore",
    "sigstore-js/tests/bundles/bundleV03-dsse.sigstore",
    "sigstore-js/tests/bundles/bundleV03-intoto.sigstore",
    "sigstore-go/pkg/testing/data/bundles/sigstore.js@2.0.0-provenance.sigstore.json",
    "sigstore-go/pkg/testing/data/bundles/dsse.sigstore.json",
    "sigstore-go/examples/bundle-provenance.json",
    "sigstore-go/examples/bundle-publish.json",
  ];

  it.each(bundles)("%s: SET and body verify, and the inclusion proof when there is one", (file) => {
    const c = load(file, { key: "sigstore-go/examples/publish_key.pub" });
    expect(verifySignedEntryTimestamp(c.entry, c.tlogs).tlog.baseUrl).toBe("https://rekor.sigstore.dev");
    expect(verifyEntryBody(c.entry, c.content, c.material!).kind).toBe(c.entry.kind);
    if (c.entry.inclusionProof === undefined) {
      expect(failure(inclusion(c))).toEqual({ code: "VERIFY_TLOG_INCLUSION", message: "the entry has no inclusion proof" });
    } else {
      expect(verifyInclusionProof(c.entry, c.tlogs).checkpoint.origin).toBe("rekor.sigstore.dev - 2605736670972794746");
    }
  });

  it("bundle-publish.json: the logged public key must be the verifying key", () => {
    const c = load("sigstore-go/examples/bundle-publish.json", { key: "sigstore-go/examples/publish_key.pub" });
    const other = load("sigstore-js/tests/bundles/bundleV03-dsse.sigstore");
    const leafKey = new X509Certificate(Buffer.from(other.material!.der)).publicKey.export({ type: "spki", format: "der" });
    expect(failure(() => verifyEntryBody(c.entry, c.content, { kind: "publicKey", der: leafKey }))).toEqual({
      code: "VERIFY_TLOG_BODY",
      message: "the logged public key is not the verifying key",
    });
    expect(failure(() => verifyEntryBody(c.entry, c.content, other.material!))).toEqual({
      code: "VERIFY_TLOG_BODY",
      message: "the entry logs a public key, the bundle is signed with a certificate",
    });
  });

  it("a key-verified bundle may match a logged certificate by its key", () => {
    const c = load("sigstore-js/tests/bundles/bundleV03-dsse.sigstore");
    const key = new X509Certificate(Buffer.from(c.material!.der)).publicKey.export({ type: "spki", format: "der" });
    expect(() => verifyEntryBody(c.entry, c.content, { kind: "publicKey", der: key })).not.toThrow();
  });

  it("dsse-2sigs: an envelope with two signatures cannot be matched to the one logged", () => {
    const c = load("sigstore-go/pkg/testing/data/bundles/dsse-2sigs.sigstore.json");
    expect(failure(body(c))).toEqual({
      code: "VERIFY_TLOG_BODY",
      message: "the DSSE envelope has 2 signatures; exactly one can match the log entry",
    });
  });

  it("othername (private deployment): a Rekor v1 checkpoint is accepted whatever server name it carries", () => {
    const c = load("sigstore-go/pkg/testing/data/bundles/othername.sigstore.json", {
      root: "sigstore-go/pkg/testing/data/trusted-roots/scaffolding.json",
    });
    expect(verifyInclusionProof(c.entry, c.tlogs).checkpoint.origin).toBe("rekor-00001-deployment-56bf7777c9-jds5x - 6364419738405537866");
  });
});

describe("hand-tampered copies of real entries", () => {
  const flipByte = (b: Uint8Array, i: number): Uint8Array => Uint8Array.from(b, (v, k) => (k === i ? v ^ 0x01 : v));

  it("a flipped bit in any proof hash breaks the inclusion proof", () => {
    const c = conformance("happy-path-v0.1");
    const p = c.entry.inclusionProof!;
    for (let i = 0; i < p.hashes.length; i++) {
      const hashes = p.hashes.map((h, k) => (k === i ? flipByte(h, 31) : h));
      const entry = { ...c.entry, inclusionProof: { ...p, hashes } };
      const f = failure(() => verifyInclusionProof(entry, c.tlogs));
      expect(f?.code).toBe("VERIFY_TLOG_INCLUSION");
      expect(f?.message).toMatch(/^inclusion proof leads to root [0-9a-f]{64}, expected 75aba195e60ae18c/);
    }
  });

  it("a dropped, added or reordered proof hash breaks the inclusion proof", () => {
    const c = conformance("rekor2-happy-path");
    const p = c.entry.inclusionProof!;
    const variants = [p.hashes.slice(1), [...p.hashes, p.hashes[0]!], [p.hashes[1]!, p.hashes[0]!, ...p.hashes.slice(2)]];
    for (const hashes of variants) {
      const entry = { ...c.entry, inclusionProof: { ...p, hashes } };
      expect(failure(() => verifyInclusionProof(entry, c.tlogs, { signingTime: c.signingTime }))?.code).toBe("VERIFY_TLOG_INCLUSION");
    }
  });

  it("another leaf index breaks the inclusion proof (and, for Rekor v2, the entry's index must be the proof's)", () => {
    const c = conformance("rekor2-happy-path");
    const p = c.entry.inclusionProof!;
    const moved = { ...c.entry, logIndex: 734n, inclusionProof: { ...p, logIndex: 734n } };
    expect(failure(() => verifyInclusionProof(moved, c.tlogs, { signingTime: c.signingTime }))?.message).toMatch(
      /^inclusion proof leads to root/,
    );
    const relabelled = { ...c.entry, logIndex: 1n };
    expect(failure(() => verifyInclusionProof(relabelled, c.tlogs, { signingTime: c.signingTime }))).toEqual({
      code: "VERIFY_TLOG_INCLUSION",
      message: "the entry's log index 1 is not the proof's leaf index 735",
    });
  });

  it("swapping in another entry's body breaks the inclusion proof, the SET and the body check", () => {
    const c = conformance("happy-path-v0.1");
    const other = conformance("happy-path-v0.3");
    const entry = { ...c.entry, canonicalizedBody: other.entry.canonicalizedBody };
    expect(failure(() => verifyInclusionProof(entry, c.tlogs))?.message).toMatch(/^inclusion proof leads to root/);
    expect(failure(() => verifySignedEntryTimestamp(entry, c.tlogs))?.code).toBe("VERIFY_TLOG_SET");
    expect(failure(() => verifyEntryBody(entry, c.content, c.material!))).toEqual({
      code: "VERIFY_TLOG_BODY",
      message: "the logged signature is not the bundle's signature",
    });
  });

  it("a checkpoint for a different tree size or root than the proof's is refused", () => {
    const c = conformance("happy-path-v0.1");
    const p = c.entry.inclusionProof!;
    const grown = { ...c.entry, inclusionProof: { ...p, treeSize: p.treeSize + 1n } };
    expect(failure(() => verifyInclusionProof(grown, c.tlogs))).toEqual({
      code: "VERIFY_TLOG_INCLUSION",
      message: "the checkpoint's tree size 23083062 is not the proof's tree size 23083063",
    });
    const rerooted = { ...c.entry, inclusionProof: { ...p, rootHash: flipByte(p.rootHash, 0) } };
    expect(failure(() => verifyInclusionProof(rerooted, c.tlogs))?.message).toMatch(
      /^the checkpoint's root hash 75aba195\w+ is not the proof's root hash 74aba195/,
    );
  });

  it("an edited checkpoint no longer verifies (the signature covers size and root)", () => {
    const c = conformance("rekor2-happy-path");
    const p = c.entry.inclusionProof!;
    const checkpoint = p.checkpoint.replace("\n736\n", "\n737\n");
    const entry = { ...c.entry, inclusionProof: { ...p, treeSize: 737n, checkpoint } };
    expect(failure(() => verifyInclusionProof(entry, c.tlogs, { signingTime: c.signingTime }))).toEqual({
      code: "VERIFY_TLOG_INCLUSION",
      message:
        "checkpoint: signature by log2025-alpha1.rekor.sigstage.dev (key ID f30d5a99) does not verify with the trusted key",
    });
  });

  it("a Rekor v2 checkpoint is only accepted from the log it names (origin = the log's host)", () => {
    const c = conformance("rekor2-happy-path");
    const renamed = c.tlogs.map((t) => ({ ...t, baseUrl: t.baseUrl.replace("alpha1", "alpha9") }));
    expect(failure(() => verifyInclusionProof(c.entry, renamed, { signingTime: c.signingTime }))).toEqual({
      code: "VERIFY_TLOG_INCLUSION",
      message: 'the checkpoint origin "log2025-alpha1.rekor.sigstage.dev" is not the log\'s name "log2025-alpha9.rekor.sigstage.dev"',
    });
  });

  it("a Rekor v2 entry needs a signing time inside the log key's validity", () => {
    const c = conformance("rekor2-happy-path");
    expect(failure(() => verifyInclusionProof(c.entry, c.tlogs))?.message).toBe(
      "the entry has no integrated time (Rekor v2): a verified signing time is needed to choose the log key",
    );
    expect(failure(() => verifyInclusionProof(c.entry, c.tlogs, { signingTime: new Date("2025-04-15T23:59:59Z") }))).toEqual({
      code: "VERIFY_TLOG_INCLUSION",
      message:
        "the log key was not trusted at 2025-04-15T23:59:59.000Z: https://log2025-alpha1.rekor.sigstage.dev is trusted from 2025-04-16T00:00:00.000Z",
    });
  });

  it("a SET is refused when its integrated time, log index or log ID is changed", () => {
    const c = conformance("happy-path-v0.1");
    const variants: TlogEntry[] = [
      { ...c.entry, integratedTime: c.entry.integratedTime! + 1n },
      { ...c.entry, logIndex: c.entry.logIndex + 1n },
      { ...c.entry, signedEntryTimestamp: flipByte(c.entry.signedEntryTimestamp!, 10) },
    ];
    for (const entry of variants) {
      expect(failure(() => verifySignedEntryTimestamp(entry, c.tlogs))).toEqual({
        code: "VERIFY_TLOG_SET",
        message: "the signed entry timestamp does not verify with the key of https://rekor.sigstore.dev",
      });
    }
    const otherLog = { ...c.entry, logId: PRODUCTION[1]!.logId };
    expect(failure(() => verifySignedEntryTimestamp(otherLog, c.tlogs))?.message).toMatch(
      /^the log key was not trusted at 2023-07-12T15:56:36.000Z: https:\/\/log2025-1.rekor.sigstore.dev is trusted from 2025-09-23/,
    );
  });

  it("a SET from before the log key's validity start is refused", () => {
    const c = conformance("happy-path-v0.1");
    const late = c.tlogs.map((t) => ({ ...t, validFor: { start: new Date("2024-01-01T00:00:00Z") } }));
    expect(failure(() => verifySignedEntryTimestamp(c.entry, late))?.message).toBe(
      "the log key was not trusted at 2023-07-12T15:56:36.000Z: https://rekor.sigstore.dev is trusted from 2024-01-01T00:00:00.000Z",
    );
    const ended = c.tlogs.map((t) => ({ ...t, validFor: { ...t.validFor, end: new Date("2023-07-12T15:56:35Z") } }));
    expect(failure(() => verifyInclusionProof(c.entry, ended))?.code).toBe("VERIFY_TLOG_INCLUSION");
  });

  it("the body must name the entry's own kind and version", () => {
    const c = conformance("happy-path-v0.1");
    expect(failure(() => verifyEntryBody({ ...c.entry, kindVersion: "0.0.2" }, c.content, c.material!))).toEqual({
      code: "VERIFY_TLOG_BODY",
      message: "the entry says hashedrekord 0.0.2 but its body is hashedrekord 0.0.1",
    });
  });

  it("the logged signature must be the bundle's and the logged certificate the bundle's leaf", () => {
    const c = conformance("happy-path-v0.1");
    const content = c.content as { kind: "messageSignature"; digest: any; signature: Uint8Array };
    expect(failure(() => verifyEntryBody(c.entry, { ...content, signature: flipByte(content.signature, 5) }, c.material!))?.message).toBe(
      "the logged signature is not the bundle's signature",
    );
    const otherLeaf = conformance("happy-path-v0.3").material!;
    expect(failure(() => verifyEntryBody(c.entry, c.content, otherLeaf))?.message).toBe(
      "the logged certificate is not the bundle's signing certificate",
    );
    expect(failure(() => verifyEntryBody(c.entry, { ...content, digest: { ...content.digest, algorithm: "SHA2_512" } }, c.material!))?.message).toBe(
      "the entry logs a SHA2_256 digest, the artifact digest is SHA2_512",
    );
  });

  it("a DSSE entry does not describe a message signature, nor a hashedrekord 0.0.1 entry a DSSE envelope", () => {
    const dsse = conformance("happy-path-intoto-in-dsse-v3");
    const msg = conformance("happy-path-v0.1");
    expect(failure(() => verifyEntryBody(dsse.entry, msg.content, dsse.material!))?.message).toBe(
      "a dsse entry cannot describe a message signature",
    );
    expect(failure(() => verifyEntryBody(msg.entry, dsse.content, msg.material!))?.message).toBe(
      "a hashedrekord 0.0.1 entry cannot describe a DSSE envelope",
    );
  });

  it("intoto: a changed payload type or payload is refused", () => {
    const c = conformance("intoto-with-custom-trust-root");
    const env = (c.content as DsseContent).envelope;
    const retyped: DsseContent = { kind: "dsseEnvelope", envelope: { ...env, payloadType: "application/json" } };
    expect(failure(() => verifyEntryBody(c.entry, retyped, c.material!))?.message).toBe(
      'the logged payload type "application/vnd.in-toto+json" is not the envelope\'s "application/json"',
    );
    const repaid: DsseContent = { kind: "dsseEnvelope", envelope: { ...env, payload: flipByte(env.payload, 3) } };
    expect(failure(() => verifyEntryBody(c.entry, repaid, c.material!))?.message).toMatch(
      /^the logged digest 0ebbdbc2\w+ is not the DSSE payload digest/,
    );
  });
});
