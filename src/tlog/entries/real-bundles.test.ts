/**
 * Real Rekor entries, rebuilt from the bundles that carry them. Each bundle's tlogEntries[0].canonicalizedBody is
 * what Rekor (v1: rekor.sigstore.dev, staging, or a test instance; v2: rekor-tiles) stored; the test turns the
 * bundle's content and signer back into the request a client would have sent and checks that vouch's log stores
 * the same bytes, and that vouch's verifier accepts that body for the bundle.
 *
 * Request recipes (what a client sends, from what a bundle keeps):
 * - hashedrekord 0.0.1: the message digest (hex), the signature, and the signer's PEM (certificate, or the key file
 *   the conformance case ships).
 * - dsse 0.0.1: the envelope as the client serialized it, which the bundle keeps member for member
 *   (JSON.stringify of the bundle's dsseEnvelope: @sigstore/sign's JSON.stringify(envelopeToJSON(envelope)); older
 *   sigstore-js wrote `"keyid":""`, newer omits it, and envelopeHash covers exactly those bytes), and the PEM.
 * - intoto 0.0.2: payload and signature base64-encoded again, and two values the log stores verbatim but cannot
 *   derive from a bundle: the client's `hash` of its own envelope serialization, and the line layout of the PEM it
 *   sent (one line, 64-column, with or without a final newline). Both are taken from the logged body, after
 *   checking the PEM holds the bundle's certificate.
 * - hashedrekord 0.0.2: the digest (of the artifact, or for a DSSE bundle of its PAE, rekor-v2 spec §6.1.4), the
 *   signature, the certificate DER and its keyDetails.
 */
import { X509Certificate, createHash, createPublicKey } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { envelopeFromJSON } from "@sigstore/bundle";
import { toProposedEntry } from "@sigstore/sign/dist/witness/tlog/entry.js";
import canonicalize from "canonicalize";
import { describe, expect, it } from "vitest";
import type { TlogEntry } from "../../bundle/types.js";
import { preAuthEncoding } from "../../core/dsse/pae.js";
import { parseEntryBody } from "../../verify/tlog/body-parse.js";
import { verifyEntryBody, type LoggedContent, type SignerMaterial } from "../../verify/tlog/body.js";
import { thrownVouchError } from "../../../test/support/errors.js";
import { canonicalizeProposedEntry, canonicalizeV2Request, type CanonicalEntry } from "./index.js";

const ROOT = fileURLToPath(new URL("../../../test/fixtures/sigstore/", import.meta.url));
const b64 = (b: Uint8Array | string): string => Buffer.from(b).toString("base64");
const pem = (der: Uint8Array, label = "CERTIFICATE"): string =>
  `-----BEGIN ${label}-----\n${b64(der).match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;

const pemDer = (text: string): Buffer => Buffer.from(text.replace(/-----[A-Z ]+-----|\s/g, ""), "base64");

interface Fixture {
  name: string;
  json: any;
  realBody: Uint8Array;
  logged: any;
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir).sort()) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (/\.(json|sigstore)$/.test(p)) yield p;
  }
}

/** Every bundle under test/fixtures/sigstore whose first tlog entry has a body. */
const FIXTURES: Fixture[] = [...walk(ROOT)].flatMap((file) => {
  let json: any;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return [];
  }
  const entry = json?.verificationMaterial?.tlogEntries?.[0];
  if (typeof entry?.canonicalizedBody !== "string") return [];
  const realBody = new Uint8Array(Buffer.from(entry.canonicalizedBody, "base64"));
  return [{ name: relative(ROOT, file), json, realBody, logged: JSON.parse(Buffer.from(realBody).toString("utf8")) }];
});

/** Conformance cases that ship the key a managed-key bundle was signed with, and sigstore-go's example key. */
function keyFile(f: Fixture): string | undefined {
  const dir = dirname(join(ROOT, f.name));
  for (const name of ["key.pub", "publish_key.pub"]) if (existsSync(join(dir, name))) return readFileSync(join(dir, name), "utf8");
  return undefined;
}

function leafCertificate(f: Fixture): Uint8Array | undefined {
  const vm = f.json.verificationMaterial;
  const raw: string | undefined = vm.certificate?.rawBytes ?? vm.x509CertificateChain?.certificates?.[0]?.rawBytes;
  return raw === undefined ? undefined : new Uint8Array(Buffer.from(raw, "base64"));
}

/** The signer's PEM, as a hashedrekord or dsse client sends it. */
function signerPem(f: Fixture): string {
  const cert = leafCertificate(f);
  if (cert !== undefined) return pem(cert);
  const key = keyFile(f);
  if (key === undefined) throw new Error(`${f.name}: no signer material`);
  return key;
}

/** Rebuilds the request a client sent for this bundle's entry, and submits it to the matching API. */
function resubmit(f: Fixture): CanonicalEntry {
  const { json, logged } = f;
  if (logged.apiVersion === "0.0.2" && logged.kind === "hashedrekord") {
    const cert = leafCertificate(f)!;
    let digest: string;
    let content: string;
    if (json.messageSignature !== undefined) {
      digest = json.messageSignature.messageDigest.digest;
      content = json.messageSignature.signature;
    } else {
      const env = json.dsseEnvelope;
      digest = b64(createHash("sha256").update(preAuthEncoding(env.payloadType, Buffer.from(env.payload, "base64"))).digest());
      content = env.signatures[0].sig;
    }
    const keyDetails = logged.spec.hashedRekordV002.signature.verifier.keyDetails;
    return canonicalizeV2Request({
      hashedRekordRequestV002: { digest, signature: { content, verifier: { keyDetails, x509Certificate: { rawBytes: b64(cert) } } } },
    });
  }
  switch (logged.kind) {
    case "hashedrekord":
      return canonicalizeProposedEntry({
        apiVersion: "0.0.1",
        kind: "hashedrekord",
        spec: {
          data: { hash: { algorithm: "sha256", value: Buffer.from(json.messageSignature.messageDigest.digest, "base64").toString("hex") } },
          signature: { content: json.messageSignature.signature, publicKey: { content: b64(signerPem(f)) } },
        },
      });
    case "dsse":
      return canonicalizeProposedEntry({
        apiVersion: "0.0.1",
        kind: "dsse",
        spec: { proposedContent: { envelope: JSON.stringify(json.dsseEnvelope), verifiers: [b64(signerPem(f))] } },
      });
    case "intoto": {
      const env = json.dsseEnvelope;
      const sig = env.signatures[0];
      const loggedSig = logged.spec.content.envelope.signatures[0];
      const loggedPem = Buffer.from(loggedSig.publicKey, "base64").toString("latin1");
      // The PEM's spelling is the client's; what it holds must be the bundle's signer.
      expect(pemDer(loggedPem)).toEqual(pemDer(signerPem(f)));
      return canonicalizeProposedEntry({
        apiVersion: "0.0.2",
        kind: "intoto",
        spec: {
          content: {
            envelope: {
              payloadType: env.payloadType,
              payload: b64(env.payload),
              signatures: [{ ...(sig.keyid ? { keyid: sig.keyid } : {}), sig: b64(sig.sig), publicKey: loggedSig.publicKey }],
            },
            hash: logged.spec.content.hash,
          },
        },
      });
    }
    default:
      throw new Error(`${f.name}: no recipe for ${logged.kind} ${logged.apiVersion}`);
  }
}

/**
 * Bundles whose logged body older Rekor releases wrote with the envelope payload inside (intoto 0.0.2 before
 * Canonicalize dropped it; sigstore-conformance made these against such a log). Current Rekor, and vouch, store
 * the same body without it.
 */
const PAYLOAD_KEPT = new Set([
  "conformance/test/assets/bundle-verify/intoto-expired-certificate_fail/bundle.sigstore.json",
  "conformance/test/assets/bundle-verify/intoto-missing-inclusion-proof_fail/bundle.sigstore.json",
  "conformance/test/assets/bundle-verify/intoto-tsa-timestamp-outside-cert-validity_fail/bundle.sigstore.json",
  "conformance/test/assets/bundle-verify/intoto-with-custom-trust-root/bundle.sigstore.json",
]);

/**
 * Cases tampered on purpose (their README says how): the bundle no longer matches what was logged, so a faithful
 * resubmission is either refused (its signature does not verify) or logs a different body.
 */
const TAMPERED: Record<string, { rejected: RegExp } | "differs" | { unusable: string }> = {
  "conformance/test/assets/bundle-verify/bundle-invalid-base64-signature_fail/bundle.sigstore.json": {
    rejected: /^spec\.signature\.content is not base64$/,
  },
  "conformance/test/assets/bundle-verify/signature-mismatch_fail/bundle.sigstore.json": {
    rejected: /^spec\.signature\.content does not verify with spec\.signature\.publicKey\.content over the digest$/,
  },
  "conformance/test/assets/bundle-verify/dsse-invalid-sig_fail/bundle.sigstore.json": {
    rejected: /^spec\.proposedContent\.verifiers\[0\] verifies no signature of the envelope$/,
  },
  "conformance/test/assets/bundle-verify/rekor2-dsse-invalid-sig_fail/bundle.sigstore.json": {
    rejected: /^hashedRekordRequestV002\.signature\.content does not verify/,
  },
  "conformance/test/assets/bundle-verify/dsse-mismatch-sig_fail/bundle.sigstore.json": "differs",
  "conformance/test/assets/bundle-verify/incorrect-public-key_fail/bundle.sigstore.json": "differs",
  "conformance/test/assets/bundle-verify/intoto-log-entry-mismatch_fail/bundle.sigstore.json": "differs",
  "conformance/test/assets/bundle-verify/rekor2-dsse-mismatch-envelope_fail/bundle.sigstore.json": "differs",
  "conformance/test/assets/bundle-verify/wrong-hashedrekord-artifact_fail/bundle.sigstore.json": "differs",
  "conformance/test/assets/bundle-verify/wrong-hashedrekord-entry_fail/bundle.sigstore.json": "differs",
  "conformance/test/assets/bundle-verify/bundle-empty-certificate-chain_fail/bundle.sigstore.json": { unusable: "no certificate" },
  "conformance/test/assets/bundle-verify/managed-key-no-key_fail/bundle.sigstore.json": { unusable: "no key shipped" },
  "conformance/test/assets/bundle-verify/bundle-unknown-version_fail/bundle.sigstore.json": { unusable: "the body is not an entry" },
};

const faithful = FIXTURES.filter((f) => !Object.hasOwn(TAMPERED, f.name));

describe("real Rekor entries are reproduced byte for byte from their bundles", () => {
  it("finds the real entries of every kind vouch logs", () => {
    const kinds = (list: Fixture[]) => list.map((f) => `${f.logged.kind} ${f.logged.apiVersion}`);
    const count = (k: string) => kinds(faithful).filter((x) => x === k).length;
    // Guards against a fixture move silently emptying this suite.
    expect(FIXTURES.length).toBe(61);
    expect({
      "hashedrekord 0.0.1": count("hashedrekord 0.0.1"),
      "dsse 0.0.1": count("dsse 0.0.1"),
      "intoto 0.0.2": count("intoto 0.0.2"),
      "hashedrekord 0.0.2": count("hashedrekord 0.0.2"),
    }).toEqual({ "hashedrekord 0.0.1": 12, "dsse 0.0.1": 5, "intoto 0.0.2": 14, "hashedrekord 0.0.2": 17 });
    for (const name of [...PAYLOAD_KEPT, ...Object.keys(TAMPERED)]) expect(FIXTURES.map((f) => f.name)).toContain(name);
  });

  it.each(faithful.filter((f) => !PAYLOAD_KEPT.has(f.name)).map((f) => [f.name, f] as const))("%s", (_name, f) => {
    const entry = resubmit(f);
    expect(Buffer.from(entry.body).toString("utf8")).toBe(Buffer.from(f.realBody).toString("utf8"));
    expect(entry.kind).toBe(f.logged.kind);
    expect(entry.apiVersion).toBe(f.logged.apiVersion);
  });

  it.each([...PAYLOAD_KEPT].map((name) => [name, FIXTURES.find((f) => f.name === name)!] as const))(
    "%s (logged by a Rekor that kept the intoto payload: equal once it is dropped)",
    (_name, f) => {
      expect(f.logged.spec.content.envelope.payload).toEqual(expect.any(String));
      const { payload: _dropped, ...envelope } = f.logged.spec.content.envelope;
      const current = { ...f.logged, spec: { content: { ...f.logged.spec.content, envelope } } };
      expect(Buffer.from(resubmit(f).body).toString("utf8")).toBe(canonicalize(current));
    },
  );
});

describe("the same entries through @sigstore/sign's own request builder (toProposedEntry)", () => {
  const content = (f: Fixture) =>
    f.json.messageSignature !== undefined
      ? ({ $case: "messageSignature", messageSignature: { messageDigest: { digest: Buffer.from(f.json.messageSignature.messageDigest.digest, "base64") }, signature: Buffer.from(f.json.messageSignature.signature, "base64") } } as const)
      : ({ $case: "dsseEnvelope", dsseEnvelope: envelopeFromJSON(f.json.dsseEnvelope) } as const);
  const viaSigstoreSign = (f: Fixture, pemText: string, type?: "intoto"): Uint8Array =>
    canonicalizeProposedEntry(Buffer.from(JSON.stringify(toProposedEntry(content(f) as never, pemText, type)))).body;
  const v1 = (kind: string) => faithful.filter((f) => f.logged.kind === kind && f.logged.apiVersion !== "0.0.2" && !PAYLOAD_KEPT.has(f.name));

  it.each(v1("hashedrekord").map((f) => [f.name, f] as const))("hashedrekord: %s", (_name, f) => {
    expect(Buffer.from(viaSigstoreSign(f, signerPem(f)))).toEqual(Buffer.from(f.realBody));
  });

  // sigstore-js computes intoto's `hash` itself (calculateDSSEHash over the PEM text it sends), so for the entries
  // sigstore-js made, its own code reproduces the body hash included; npm's and cosign's entries hashed otherwise.
  const SIGSTORE_JS_INTOTO = [
    "sigstore-go/pkg/testing/data/bundles/sigstore.js@2.0.0-provenance.sigstore.json",
    "sigstore-js/tests/bundles/bundleV01-full-cert-chain.sigstore",
    "sigstore-js/tests/bundles/bundleV01-intoto-no-proof.sigstore",
    "sigstore-js/tests/bundles/bundleV01-intoto-with-proof.sigstore",
    "sigstore-js/tests/bundles/bundleV02-intoto.sigstore",
    "sigstore-js/tests/bundles/bundleV03-intoto.sigstore",
  ];
  it.each(SIGSTORE_JS_INTOTO)("intoto, hash included: %s", (name) => {
    const f = faithful.find((x) => x.name === name)!;
    const loggedPem = Buffer.from(f.logged.spec.content.envelope.signatures[0].publicKey, "base64").toString("latin1");
    expect(Buffer.from(viaSigstoreSign(f, loggedPem, "intoto"))).toEqual(Buffer.from(f.realBody));
  });

  it("dsse: today's sigstore-js omits an empty keyid, older sigstore-js wrote it, and envelopeHash tells them apart", () => {
    const current = FIXTURES.find((f) => f.name.endsWith("happy-path-intoto-in-dsse-v3/bundle.sigstore.json"))!;
    expect(Buffer.from(viaSigstoreSign(current, signerPem(current)))).toEqual(Buffer.from(current.realBody));
    for (const f of v1("dsse").filter((x) => x !== current)) {
      expect(f.json.dsseEnvelope.signatures[0].keyid).toBe("");
      const ours = JSON.parse(Buffer.from(viaSigstoreSign(f, signerPem(f))).toString("utf8"));
      expect(ours.spec.envelopeHash).not.toEqual(f.logged.spec.envelopeHash);
      expect({ ...ours.spec, envelopeHash: null }).toEqual({ ...f.logged.spec, envelopeHash: null });
    }
  });
});

describe("tampered conformance bundles are refused or log a different body", () => {
  it.each(Object.entries(TAMPERED).map(([name, expected]) => [name, expected] as const))("%s", (name, expected) => {
    const f = FIXTURES.find((x) => x.name === name)!;
    if (expected === "differs") {
      expect(Buffer.from(resubmit(f).body)).not.toEqual(Buffer.from(f.realBody));
    } else if ("rejected" in expected) {
      const error = thrownVouchError(() => resubmit(f));
      expect(error.code).toBe("LOG_INVALID_ENTRY");
      expect(error.message).toMatch(expected.rejected);
    } else if (expected.unusable === "the body is not an entry") {
      // Submitting that "body" as it is gets a reason, not a crash.
      const error = thrownVouchError(() => canonicalizeProposedEntry(f.realBody));
      expect(error.code).toBe("LOG_INVALID_ENTRY");
      expect(error.message).toBe("kind is missing or not a string");
    } else {
      expect(() => signerPem(f)).toThrow(/no signer material/);
    }
  });
});

describe("vouch's verifier accepts what vouch's log stores for these bundles", () => {
  // Decoded by hand rather than with parseBundle: several conformance bundles are structurally broken on purpose
  // elsewhere (no inclusion proof, two DSSE signatures), and only the entry body is at stake here.
  function verifierInputs(f: Fixture): { content: LoggedContent; material: SignerMaterial } {
    const cert = leafCertificate(f);
    const material: SignerMaterial =
      cert === undefined
        ? { kind: "publicKey", der: createPublicKey(keyFile(f)!).export({ type: "spki", format: "der" }) }
        : { kind: "certificate", der: cert };
    const bytes = (s: string) => new Uint8Array(Buffer.from(s, "base64"));
    const { messageSignature, dsseEnvelope } = f.json;
    if (messageSignature !== undefined) {
      const digest = { algorithm: messageSignature.messageDigest.algorithm, value: bytes(messageSignature.messageDigest.digest) };
      return { content: { kind: "messageSignature", digest, signature: bytes(messageSignature.signature) }, material };
    }
    // sigstore-go's dsse-2sigs bundle repeats the one signature that was logged; the log entry describes that one.
    const sig = dsseEnvelope.signatures[0];
    const envelope = { payload: bytes(dsseEnvelope.payload), payloadType: dsseEnvelope.payloadType, signatures: [{ sig: bytes(sig.sig), keyid: sig.keyid ?? "" }] };
    return { content: { kind: "dsseEnvelope", envelope }, material };
  }

  it.each(faithful.map((f) => [f.name, f] as const))("%s", (_name, f) => {
    const { content, material } = verifierInputs(f);
    const ours = resubmit(f);
    const kindVersion = f.json.verificationMaterial.tlogEntries[0].kindVersion;
    const entry: TlogEntry = { logIndex: 0n, logId: new Uint8Array(32), kind: kindVersion.kind, kindVersion: kindVersion.version, canonicalizedBody: ours.body };
    expect(() => verifyEntryBody(entry, content, material)).not.toThrow();
    const parsed = parseEntryBody(ours.body);
    expect([parsed.kind, parsed.apiVersion]).toEqual([ours.kind, ours.apiVersion]);
  });
});

describe("signers are read from the entry for the monitor's watch list", () => {
  const find = (name: string) => FIXTURES.find((f) => f.name.endsWith(name))!;

  it("a Fulcio certificate: DER, its key, subject alternative names and the OIDC issuer", () => {
    const f = find("bundle-verify/happy-path-v0.3/bundle.sigstore.json");
    const [signer, ...rest] = resubmit(f).signers;
    expect(rest).toEqual([]);
    expect(Buffer.from(signer!.certificate!)).toEqual(Buffer.from(leafCertificate(f)!));
    expect(Buffer.from(signer!.publicKey)).toEqual(new X509Certificate(leafCertificate(f)!).publicKey.export({ type: "spki", format: "der" }));
    expect(signer!.subjectAlternativeNames).toEqual([
      "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
    ]);
    expect(signer!.issuer).toBe("https://token.actions.githubusercontent.com");
  });

  it("a bare key: its SPKI, no certificate", () => {
    const f = find("managed-key-happy-path/bundle.sigstore.json");
    const signers = resubmit(f).signers;
    expect(signers).toEqual([{ publicKey: new Uint8Array(createPublicKey(keyFile(f)!).export({ type: "spki", format: "der" })) }]);
  });

  it("an email identity with the deprecated v1 issuer extension (sigstore-js bundles)", () => {
    const signers = resubmit(find("sigstore-js/tests/bundles/bundleV03-dsse.sigstore")).signers;
    expect(signers).toHaveLength(1);
    expect(signers[0]!.subjectAlternativeNames).toEqual([expect.stringContaining("@")]);
    expect(signers[0]!.issuer).toMatch(/^https:\/\//);
  });
});
