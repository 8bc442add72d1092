import { createPublicKey, verify as nodeVerify, X509Certificate } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rejectedVouchError, thrownVouchError } from "../../../test/support/errors.js";
import { startMockSigstore, unsignedIdentityToken, type MockSigstore } from "../../../test/support/sigstore-mock.js";
import { parseSigningCertificateResponse } from "./fulcio-client.js";
import type { KeylessFetch } from "./http.js";
import { KeylessSigner } from "./keyless-signer.js";

const SUBJECT = "https://github.com/octo/app/.github/workflows/release.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";

let mock: MockSigstore;
beforeAll(async () => {
  mock = await startMockSigstore();
});
afterAll(async () => {
  await mock?.close();
});

/** Global fetch, recording each request body (to check what was sent to the CA). */
function recordingFetch(): { fetch: KeylessFetch; bodies: unknown[] } {
  const bodies: unknown[] = [];
  return {
    bodies,
    fetch: (url, init) => {
      if (typeof init.body === "string") bodies.push(JSON.parse(init.body));
      return fetch(url, init);
    },
  };
}

/** A loopback CA stub answering every request with `status` and `body`. */
async function stubCa(status: number, body: string, contentType = "application/json"): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(status, { "content-type": contentType }).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe("KeylessSigner against @sigstore/mock's Fulcio (Fulcio v2 protocol over loopback HTTP)", () => {
  it("certifies an ephemeral P-256 key once, proves possession over `sub`, and signs with it", async () => {
    const recorder = recordingFetch();
    const token = unsignedIdentityToken({ sub: SUBJECT, iss: ISSUER });
    const signer = new KeylessSigner({ caUrl: mock.url, identityToken: token, fetch: recorder.fetch });
    const data = new Uint8Array(Buffer.from("artifact bytes"));
    const first = await signer.sign(data);
    const second = await signer.sign(new Uint8Array([1, 2, 3]));

    // One certificate request for both signatures, in the Fulcio v2 JSON shape.
    expect(recorder.bodies).toHaveLength(1);
    const request = recorder.bodies[0] as { credentials: { oidcIdentityToken: string }; publicKeyRequest: { publicKey: { algorithm: string; content: string }; proofOfPossession: string } };
    expect(request.credentials).toEqual({ oidcIdentityToken: token });
    expect(request.publicKeyRequest.publicKey.algorithm).toBe("ECDSA");
    const publicKey = createPublicKey(request.publicKeyRequest.publicKey.content);
    expect(publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(nodeVerify("sha256", Buffer.from(SUBJECT), publicKey, Buffer.from(request.publicKeyRequest.proofOfPossession, "base64"))).toBe(true);

    // The material is the CA's chain, leaf first; the leaf names the token's identity and holds the key that signed.
    expect(first.material.kind).toBe("certificate");
    if (first.material.kind !== "certificate") return;
    expect(first.material.certificates).toHaveLength(2);
    const leaf = new X509Certificate(Buffer.from(first.material.certificates[0]!));
    expect(leaf.subjectAltName).toBe(`URI:${SUBJECT}`);
    expect(leaf.publicKey.export({ type: "spki", format: "der" }).equals(publicKey.export({ type: "spki", format: "der" }))).toBe(true);
    expect(nodeVerify("sha256", data, leaf.publicKey, first.signature)).toBe(true);
    expect(second.material).toBe(first.material);
  });

  it("an email token: the proof of possession signs the verified email, as Fulcio's email principal expects", async () => {
    const recorder = recordingFetch();
    const token = unsignedIdentityToken({ sub: "10769150", iss: "https://accounts.example.com", email: "dev@example.com", email_verified: true });
    await new KeylessSigner({ caUrl: mock.url, identityToken: token, fetch: recorder.fetch }).sign(new Uint8Array([0]));
    const { publicKeyRequest } = recorder.bodies[0] as { publicKeyRequest: { publicKey: { content: string }; proofOfPossession: string } };
    expect(nodeVerify("sha256", Buffer.from("dev@example.com"), createPublicKey(publicKeyRequest.publicKey.content), Buffer.from(publicKeyRequest.proofOfPossession, "base64"))).toBe(true);
  });
});

describe("CA errors: a coded VouchError with the CA's own reason, on one line", () => {
  const token = unsignedIdentityToken({ sub: SUBJECT, iss: ISSUER });
  const cases: [number, string, string, string][] = [
    // Fulcio's grpc-gateway error body for codes.Unauthenticated.
    [401, JSON.stringify({ code: 16, message: "There was an error processing the identity token", details: [] }), "CA_TOKEN_INVALID", "There was an error processing the identity token"],
    [400, JSON.stringify({ code: "CA_REQUEST_INVALID", message: "the proof of possession does not verify" }), "CA_REQUEST_INVALID", "the proof of possession does not verify"],
    [400, "error processing\n  the request", "CA_REQUEST_INVALID", "error processing the request"],
    [503, "", "SERVICE_UNAVAILABLE", "(no reason given)"],
  ];
  for (const [status, body, code, reason] of cases) {
    it(`${status} → ${code}`, async () => {
      const ca = await stubCa(status, body);
      try {
        const err = await rejectedVouchError(() => new KeylessSigner({ caUrl: ca.url, identityToken: token }).sign(new Uint8Array([0])));
        expect({ code: err.code, message: err.message }).toEqual({ code, message: `the certificate authority at ${ca.url} refused the certificate request (${status}): ${reason}` });
      } finally {
        await close(ca.server);
      }
    });
  }

  it("a detached SCT is refused (a bundle cannot carry it); a certificate for another key is refused", async () => {
    const detached = await stubCa(201, JSON.stringify({ signedCertificateDetachedSct: { chain: { certificates: [] }, signedCertificateTimestamp: "AA==" } }));
    // A real chain from the mock CA, but for another signer's key.
    const recorder: unknown[] = [];
    await new KeylessSigner({
      caUrl: mock.url,
      identityToken: token,
      fetch: async (url, init) => {
        const response = await fetch(url, init);
        recorder.push(await response.clone().text());
        return response;
      },
    }).sign(new Uint8Array([0]));
    const foreign = await stubCa(201, recorder[0] as string);
    try {
      const d = await rejectedVouchError(() => new KeylessSigner({ caUrl: detached.url, identityToken: token }).sign(new Uint8Array([0])));
      expect(d.code).toBe("INPUT_UNSUPPORTED_FORMAT");
      expect(d.message).toMatch(/answered with a detached SCT, which a Sigstore bundle cannot carry/);
      const f = await rejectedVouchError(() => new KeylessSigner({ caUrl: foreign.url, identityToken: token }).sign(new Uint8Array([0])));
      expect({ code: f.code, message: f.message }).toEqual({ code: "SERVICE_UNAVAILABLE", message: `the certificate authority at ${foreign.url} issued a certificate for another public key` });
    } finally {
      await Promise.all([close(detached.server), close(foreign.server)]);
    }
  });

  it("an unreachable CA names its URL", async () => {
    const err = await rejectedVouchError(() => new KeylessSigner({ caUrl: "http://127.0.0.1:1", identityToken: token }).sign(new Uint8Array([0])));
    expect(err.code).toBe("SERVICE_UNAVAILABLE");
    expect(err.message).toMatch(/^cannot reach the certificate authority at http:\/\/127\.0\.0\.1:1\/api\/v2\/signingCert: /);
  });
});

describe("parseSigningCertificateResponse: corrupt answers", () => {
  const parse = (body: string) => thrownVouchError(() => parseSigningCertificateResponse(new Uint8Array(Buffer.from(body)), "http://ca"));
  it("says what is wrong with the answer", () => {
    const embedded = (certificates: unknown) => JSON.stringify({ signedCertificateEmbeddedSct: { chain: { certificates } } });
    const cases: [string, string][] = [
      ["<html>", "not JSON"],
      ["null", "not a JSON object"],
      ["{}", "no signedCertificateEmbeddedSct"],
      [embedded([]), "signedCertificateEmbeddedSct.chain.certificates is not a non-empty list"],
      [embedded([42]), "certificates[0] is not a string"],
      [embedded(["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]), "certificates[0] is not one PEM CERTIFICATE"],
      [embedded(["-----BEGIN PUBLIC KEY-----\nMAAA\n-----END PUBLIC KEY-----\n"]), "certificates[0] is not one PEM CERTIFICATE"],
    ];
    for (const [body, why] of cases) {
      const err = parse(body);
      expect({ code: err.code, message: err.message }).toEqual({ code: "SERVICE_UNAVAILABLE", message: `the answer of the certificate authority at http://ca is unusable: ${why}` });
    }
  });
});
