import { generateKeyPairSync, createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
// Deep imports on purpose: @sigstore/mock's index also loads its nock adapter, and nock patches node:http for the
// whole process on require. The handlers are served here by a real HTTP server on 127.0.0.1 instead, so
// @sigstore/sign talks to them over loopback exactly as it would talk to Fulcio, Rekor and a TSA.
import { fulcioHandler, initializeCA, initializeCTLog } from "@sigstore/mock/dist/fulcio/index.js";
import { initializeTLog, rekorHandler, rekorV2Handler } from "@sigstore/mock/dist/rekor/index.js";
import { initializeTSA, tsaHandler } from "@sigstore/mock/dist/timestamp/index.js";
import type { Handler } from "@sigstore/mock/dist/shared.types.js";

/**
 * A whole Sigstore (Fulcio CA + CT log, Rekor v1 and v2, RFC 3161 TSA) from @sigstore/mock, served on loopback,
 * with the trusted_root.json that trusts exactly its keys.
 */
export interface MockSigstore {
  /** http://127.0.0.1:PORT: Fulcio (/api/v2/signingCert), Rekor (/api/v1|v2/log/entries) and the TSA (/api/v1/timestamp). */
  url: string;
  /** trusted_root.json (protobuf JSON mapping) for the mock's CA, CT log, Rekor log and TSA. */
  trustedRootJson: TrustedRootJson;
  /** How many requests each path has served (proves the signing really went over HTTP). */
  requests: Map<string, number>;
  close(): Promise<void>;
}

export interface TrustedRootJson {
  mediaType: string;
  tlogs: LogJson[];
  certificateAuthorities: AuthorityJson[];
  ctlogs: LogJson[];
  timestampAuthorities: AuthorityJson[];
}

interface LogJson {
  baseUrl: string;
  hashAlgorithm: "SHA2_256";
  publicKey: { rawBytes: string; keyDetails: string; validFor: { start: string } };
  logId: { keyId: string };
}

interface AuthorityJson {
  subject: { organization: string; commonName: string };
  uri: string;
  certChain: { certificates: { rawBytes: string }[] };
  validFor: { start: string };
}

const ecKeyPair = () => generateKeyPairSync("ec", { namedCurve: "P-256" });
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");

export interface MockSigstoreOptions {
  /**
   * The time the Rekor log and the TSA stamp entries with, read at each request. Default: now, truncated to whole
   * seconds (see wholeSecondsNow).
   */
  clock?: () => Date;
}

/**
 * Now, without milliseconds. The mock TSA writes genTime with DER's fractional seconds (".41Z" when the
 * milliseconds end in 0), which @sigstore/core 4.0.1 refuses ("invalid time": it wants exactly three digits); about
 * one timestamp in ten would make the @sigstore/verify cross-checks fail. Whole seconds keep them deterministic; the
 * fractional form is tested on its own.
 */
export function wholeSecondsNow(): Date {
  return new Date(Math.floor(Date.now() / 1000) * 1000);
}

/**
 * @sigstore/mock takes only a fixed `clock: Date` (and otherwise reads the real clock at each request); a live
 * clock is set on the instance's `getCurrentTime` (tlog: epoch ms, TSA: Date). Checked, so a renamed field fails
 * loudly instead of silently using the real clock.
 */
function setClock(target: object, read: () => number | Date): void {
  if (typeof (target as { getCurrentTime?: unknown }).getCurrentTime !== "function") {
    throw new Error("@sigstore/mock changed: its log/TSA has no getCurrentTime to set a clock on");
  }
  (target as { getCurrentTime: () => number | Date }).getCurrentTime = read;
}

export async function startMockSigstore(options: MockSigstoreOptions = {}): Promise<MockSigstore> {
  const handlers = new Map<string, Handler["fn"]>();
  const requests = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = (req.url ?? "").split("?")[0]!;
      const fn = req.method === "POST" ? handlers.get(path) : undefined;
      if (!fn) {
        res.writeHead(404).end();
        return;
      }
      requests.set(path, (requests.get(path) ?? 0) + 1);
      fn(Buffer.concat(chunks).toString("utf8")).then(
        ({ statusCode, response, contentType }) => {
          const body = typeof response === "string" ? response : Buffer.from(response.buffer, response.byteOffset, response.byteLength);
          res.writeHead(statusCode, { "Content-Type": contentType ?? "text/plain" }).end(body);
        },
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  // The mock's certificates start "now"; the trusted root must already be valid at their notBefore.
  const start = new Date(Date.now() - 60_000).toISOString();
  const caKeys = ecKeyPair();
  const ctKeys = ecKeyPair();
  const rekorKeys = ecKeyPair();
  const tsaKeys = ecKeyPair();
  const ctlog = await initializeCTLog(ctKeys);
  const ca = await initializeCA(caKeys, ctlog);
  // The Rekor checkpoint origin is "<host of this URL> - <tree id>", as Rekor v1 writes it.
  const tlog = await initializeTLog(url, rekorKeys);
  const tsa = await initializeTSA(tsaKeys);
  const clock = options.clock ?? wholeSecondsNow;
  setClock(tlog, () => clock().getTime());
  setClock(tsa, clock);
  for (const h of [fulcioHandler(ca), rekorHandler(tlog), rekorV2Handler(tlog), tsaHandler(tsa)]) handlers.set(h.path, h.fn);

  const rekorSpki = new Uint8Array(tlog.publicKey);
  const trustedRootJson: TrustedRootJson = {
    mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    tlogs: [
      {
        baseUrl: url,
        hashAlgorithm: "SHA2_256",
        publicKey: { rawBytes: b64(rekorSpki), keyDetails: "PKIX_ECDSA_P256_SHA_256", validFor: { start } },
        logId: { keyId: b64(createHash("sha256").update(rekorSpki).digest()) },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: "sigstore.mock", commonName: "sigstore" },
        uri: url,
        certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate as Uint8Array) }] },
        validFor: { start },
      },
    ],
    ctlogs: [
      {
        baseUrl: url,
        hashAlgorithm: "SHA2_256",
        publicKey: { rawBytes: b64(new Uint8Array(ctlog.publicKey)), keyDetails: "PKIX_ECDSA_P256_SHA_256", validFor: { start } },
        logId: { keyId: b64(ctlog.logID as Uint8Array) },
      },
    ],
    timestampAuthorities: [
      {
        subject: { organization: "sigstore.mock", commonName: "sigstore-tsa" },
        uri: url,
        certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate as Uint8Array) }, { rawBytes: b64(tsa.rootCertificate as Uint8Array) }] },
        validFor: { start },
      },
    ],
  };

  return {
    url,
    trustedRootJson,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

/**
 * An unsigned OIDC token (alg "none"): the mock Fulcio decodes the claims without checking a signature, the same
 * way it would read a real token's `sub` and `iss` into the certificate's SAN and issuer extensions.
 */
export function unsignedIdentityToken(claims: { sub: string; iss: string; [claim: string]: unknown }): string {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: "none", typ: "JWT" })}.${part({ aud: "sigstore", iat: now, exp: now + 600, ...claims })}.`;
}
