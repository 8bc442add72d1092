import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rejectedVouchError, thrownVouchError } from "../../../test/support/errors.js";
import { decodeJwtClaims, getIdentityToken, proofOfPossessionSubject } from "./identity-token.js";

const work = mkdtempSync(join(tmpdir(), "vouch-idtoken-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let jwt: string;
beforeAll(async () => {
  // A real signed JWT (ES256), shaped like a GitHub Actions token; the client only decodes it.
  const { privateKey } = await generateKeyPair("ES256");
  jwt = await new SignJWT({ repository: "octo/app", job_workflow_ref: "octo/app/.github/workflows/release.yml@refs/heads/main" })
    .setProtectedHeader({ alg: "ES256", kid: "k1" })
    .setIssuer("https://token.actions.githubusercontent.com")
    .setSubject("repo:octo/app:ref:refs/heads/main")
    .setAudience("sigstore")
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(privateKey);
});

/** A loopback imitation of GitHub's ACTIONS_ID_TOKEN_REQUEST_URL endpoint; records each request. */
async function tokenEndpoint(answer: (req: IncomingMessage) => { status: number; body: string }): Promise<{ url: string; seen: IncomingMessage[]; server: Server }> {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    const { status, body } = answer(req);
    res.writeHead(status, { "content-type": "application/json" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  // GitHub's URL already carries a query (api-version); the audience is added to it.
  return { url: `http://127.0.0.1:${port}/_apis/distributedtask/token?api-version=2.0`, seen, server };
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe("getIdentityToken: sources in cosign's order", () => {
  it("--identity-token as the token itself wins over the environment", async () => {
    const got = await getIdentityToken({ token: jwt, env: { SIGSTORE_ID_TOKEN: "x.y.z" } });
    expect(got.source).toBe("flag");
    expect(got.token).toBe(jwt);
    expect(got.claims).toMatchObject({ iss: "https://token.actions.githubusercontent.com", sub: "repo:octo/app:ref:refs/heads/main", aud: "sigstore" });
  });

  it("--identity-token naming a file reads the file (trailing newline trimmed)", async () => {
    const file = join(work, "oidc-token");
    writeFileSync(file, `${jwt}\n`);
    const got = await getIdentityToken({ token: file, env: {} });
    expect({ source: got.source, token: got.token }).toEqual({ source: "file", token: jwt });
  });

  it("SIGSTORE_ID_TOKEN (GitLab's id_tokens convention) when there is no flag", async () => {
    const got = await getIdentityToken({ env: { SIGSTORE_ID_TOKEN: ` ${jwt} `, ACTIONS_ID_TOKEN_REQUEST_URL: "http://127.0.0.1:1/unused", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t" } });
    expect({ source: got.source, token: got.token }).toEqual({ source: "SIGSTORE_ID_TOKEN", token: jwt });
  });

  it("GitHub Actions: GET <url>&audience=sigstore with the bearer request token, answer {value}", async () => {
    const endpoint = await tokenEndpoint(() => ({ status: 200, body: JSON.stringify({ count: 1, value: jwt }) }));
    try {
      const got = await getIdentityToken({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: endpoint.url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token-123" } });
      expect({ source: got.source, token: got.token }).toEqual({ source: "github-actions", token: jwt });
      expect(endpoint.seen).toHaveLength(1);
      const req = endpoint.seen[0]!;
      expect(req.method).toBe("GET");
      const url = new URL(req.url!, "http://127.0.0.1");
      expect(url.pathname).toBe("/_apis/distributedtask/token");
      expect(Object.fromEntries(url.searchParams)).toEqual({ "api-version": "2.0", audience: "sigstore" });
      expect(req.headers.authorization).toBe("bearer request-token-123");
    } finally {
      await close(endpoint.server);
    }
  });

  it("GitHub Actions refusing, or answering without a token: SERVICE_UNAVAILABLE with the reason", async () => {
    const refusing = await tokenEndpoint(() => ({ status: 403, body: JSON.stringify({ message: "Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable" }) }));
    const empty = await tokenEndpoint(() => ({ status: 200, body: JSON.stringify({ count: 0 }) }));
    try {
      const env = (url: string) => ({ ACTIONS_ID_TOKEN_REQUEST_URL: url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t" });
      const refused = await rejectedVouchError(() => getIdentityToken({ env: env(refusing.url) }));
      expect({ code: refused.code, message: refused.message }).toEqual({
        code: "SERVICE_UNAVAILABLE",
        message: "GitHub Actions' token endpoint answered 403: Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable",
      });
      expect((await rejectedVouchError(() => getIdentityToken({ env: env(empty.url) }))).message).toBe("GitHub Actions' token endpoint answered without a token (no JSON `value`)");
    } finally {
      await Promise.all([close(refusing.server), close(empty.server)]);
    }
  });

  it("no source: INPUT_USAGE with a one-line hint (the request URL alone, without its token, is no source)", async () => {
    const err = await rejectedVouchError(() => getIdentityToken({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: "http://127.0.0.1:1/x" } }));
    expect(err.code).toBe("INPUT_USAGE");
    expect(err.message).toBe(
      "an identity token is needed for --keyless: pass --identity-token TOKEN|FILE, set SIGSTORE_ID_TOKEN, or run in GitHub Actions with `permissions: id-token: write`",
    );
  });

  it("corrupt tokens: INPUT_MALFORMED naming the source and the broken part, never echoing the token", async () => {
    const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const cases: [string, string][] = [
      ["not-a-jwt", "--identity-token is neither a JWT nor the path of a readable file"],
      [`${part({ alg: "none" })}.!!!.sig`, "--identity-token is neither a JWT nor the path of a readable file"],
      [`${part({ alg: "none" })}.${Buffer.from("not json").toString("base64url")}.`, "--identity-token is not a JWT (its payload is not JSON)"],
      [`${part({ alg: "none" })}.${part([1, 2])}.`, "--identity-token is not a JWT (its payload is not a JSON object)"],
      [`${Buffer.from("{").toString("base64url")}.${part({ sub: "a" })}.`, "--identity-token is not a JWT (its header is not JSON)"],
    ];
    for (const [token, message] of cases) {
      const err = await rejectedVouchError(() => getIdentityToken({ token, env: {} }));
      expect({ code: err.code, message: err.message }).toEqual({ code: "INPUT_MALFORMED", message });
    }
    const fromEnv = await rejectedVouchError(() => getIdentityToken({ env: { SIGSTORE_ID_TOKEN: "a.b" } }));
    expect({ code: fromEnv.code, message: fromEnv.message }).toEqual({ code: "INPUT_MALFORMED", message: "SIGSTORE_ID_TOKEN is not a JWT (expected 3 dot-separated parts, found 2)" });
    const file = join(work, "corrupt-token");
    writeFileSync(file, "garbage\n");
    expect((await rejectedVouchError(() => getIdentityToken({ token: file, env: {} }))).message).toBe(`the --identity-token file ${file} is not a JWT (expected 3 dot-separated parts, found 1)`);
  });
});

describe("proofOfPossessionSubject: what the key signs for the CA (as sigstore-js's FulcioSigner)", () => {
  const claims = (token: string) => decodeJwtClaims(token);
  const unsigned = (payload: object) => `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.`;

  it("sub for workload tokens; the verified email for email tokens", () => {
    expect(proofOfPossessionSubject(claims(jwt))).toBe("repo:octo/app:ref:refs/heads/main");
    expect(proofOfPossessionSubject(claims(unsigned({ sub: "1234", email: "dev@example.com", email_verified: true })))).toBe("dev@example.com");
  });

  it("an unverified email or no subject at all is refused before the CA is asked", () => {
    expect(thrownVouchError(() => proofOfPossessionSubject(claims(unsigned({ sub: "1", email: "dev@example.com", email_verified: false })))).code).toBe("CA_TOKEN_INVALID");
    expect(thrownVouchError(() => proofOfPossessionSubject(claims(unsigned({ iss: "https://issuer" })))).message).toBe("the identity token has no subject (neither email nor sub)");
  });
});
