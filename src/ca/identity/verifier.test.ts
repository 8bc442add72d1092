import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { rejectedVouchError } from "../../../test/support/errors.js";
import { generateSigningKey, startOidcIssuer, type OidcIssuer } from "../../../test/support/oidc-issuer.js";
import type { IssuerConfig } from "./config.js";
import { IdentityVerifier, type IdentityVerifierOptions, type OidcFetch } from "./verifier.js";

// Every test runs against a real issuer on 127.0.0.1 (discovery + JWKS over HTTP, tokens signed with jose). The
// issuer and the verifier share one injected clock, so lifetimes, skew and cache ages are exact, never timing-based.
let clock: Date;
const now = (): Date => clock;
const advance = (seconds: number): void => {
  clock = new Date(clock.getTime() + seconds * 1000);
};

let issuer: OidcIssuer;
beforeEach(async () => {
  clock = new Date("2026-03-01T12:00:00Z");
  issuer = await startOidcIssuer({ now });
});
afterEach(async () => {
  await issuer.close();
});

function verifierFor(config: Partial<IssuerConfig> = {}, options: Partial<IdentityVerifierOptions> = {}): IdentityVerifier {
  return new IdentityVerifier({ issuers: [{ url: issuer.url, type: "github-workflow", ...config }], now, ...options });
}

async function refusal(verifier: IdentityVerifier, token: string): Promise<{ code: string; message: string }> {
  const err = await rejectedVouchError(() => verifier.verify(token));
  return { code: err.code, message: err.message };
}

describe("IdentityVerifier against a loopback issuer", () => {
  it("verifies a GitHub Actions token and derives the exact SAN and every extension", async () => {
    const principal = await verifierFor().verify(await issuer.mintGithubToken());
    expect(principal).toEqual({
      issuer: issuer.url,
      proofSubject: "repo:octo-org/octo-repo:ref:refs/heads/main",
      san: { kind: "uri", value: "https://github.com/octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main" },
      extensions: {
        issuerV1: issuer.url,
        githubWorkflowTrigger: "push",
        githubWorkflowSHA: "d6cd1e2bd19e03a81132a23b2025920577f84e37",
        githubWorkflowName: "Release",
        githubWorkflowRepository: "octo-org/octo-repo",
        githubWorkflowRef: "refs/heads/main",
        issuer: issuer.url,
        buildSignerURI: "https://github.com/octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main",
        buildSignerDigest: "2f4d7e9c1b3a5d6e8f0a1b2c3d4e5f6a7b8c9d0e",
        runnerEnvironment: "github-hosted",
        sourceRepositoryURI: "https://github.com/octo-org/octo-repo",
        sourceRepositoryDigest: "d6cd1e2bd19e03a81132a23b2025920577f84e37",
        sourceRepositoryRef: "refs/heads/main",
        sourceRepositoryIdentifier: "123456",
        sourceRepositoryOwnerURI: "https://github.com/octo-org",
        sourceRepositoryOwnerIdentifier: "78901",
        buildConfigURI: "https://github.com/octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main",
        buildConfigDigest: "d6cd1e2bd19e03a81132a23b2025920577f84e37",
        buildTrigger: "push",
        runInvocationURI: "https://github.com/octo-org/octo-repo/actions/runs/5432109876/attempts/2",
        sourceRepositoryVisibilityAtSigning: "public",
        tokenSubject: "repo:octo-org/octo-repo:ref:refs/heads/main",
      },
    });
  });

  it("verifies ES256 tokens", async () => {
    const es = await startOidcIssuer({ now, alg: "ES256" });
    try {
      const verifier = new IdentityVerifier({ issuers: [{ url: es.url, type: "github-workflow" }], now });
      expect((await verifier.verify(await es.mintGithubToken())).issuer).toBe(es.url);
    } finally {
      await es.close();
    }
  });

  it("caches discovery and JWKS per issuer, shares one fetch among concurrent requests, and refreshes after the TTL", async () => {
    const verifier = verifierFor({}, { cacheTtlSeconds: 600 });
    const tokens = await Promise.all([1, 2, 3, 4, 5].map(() => issuer.mintGithubToken()));
    await Promise.all(tokens.map((t) => verifier.verify(t)));
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 1, other: 0 });
    advance(599);
    await verifier.verify(await issuer.mintGithubToken());
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 1, other: 0 });
    advance(1);
    await verifier.verify(await issuer.mintGithubToken());
    expect(issuer.requests).toEqual({ discovery: 2, jwks: 2, other: 0 });
  });

  it("accepts a rotated key after one JWKS refetch, and refetches no more often than the cooldown", async () => {
    const verifier = verifierFor({}, { refetchCooldownSeconds: 30 });
    await verifier.verify(await issuer.mintGithubToken());
    const old = issuer.key;
    const rotated = await issuer.rotateKey();
    const token = await issuer.mintGithubToken({}, { expiresIn: 600 });
    // Within the cooldown of the last fetch the new kid is refused without asking the issuer again.
    expect(await refusal(verifier, token)).toEqual({ code: "CA_TOKEN_INVALID", message: `signing key "${rotated.kid}" is not in the issuer's JWKS` });
    expect(issuer.requests.jwks).toBe(1);
    advance(30);
    // A burst of requests with the new kid shares one refetch.
    const principals = await Promise.all([1, 2, 3].map(() => verifier.verify(token)));
    expect(principals.map((p) => p.issuer)).toEqual([issuer.url, issuer.url, issuer.url]);
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 2, other: 0 });
    // Tokens from the old key still verify while the issuer publishes it.
    expect((await verifier.verify(await issuer.mintGithubToken({}, { key: old }))).issuer).toBe(issuer.url);
    expect(issuer.requests.jwks).toBe(2);
  });

  it("refuses a token signed by a key the issuer never published: one refetch, then a refusal, then none during the cooldown", async () => {
    const verifier = verifierFor();
    await verifier.verify(await issuer.mintGithubToken());
    advance(31);
    const foreign = await generateSigningKey("RS256", "attacker-key");
    const token = await issuer.mintGithubToken({}, { key: foreign, expiresIn: 600 });
    expect(await refusal(verifier, token)).toEqual({ code: "CA_TOKEN_INVALID", message: `signing key "attacker-key" is not in the issuer's JWKS` });
    expect(issuer.requests.jwks).toBe(2);
    for (let i = 0; i < 5; i += 1) expect((await refusal(verifier, token)).code).toBe("CA_TOKEN_INVALID");
    expect(issuer.requests.jwks).toBe(2);
  });

  it("counts a failed JWKS refetch towards the cooldown, so an unreachable issuer is not asked again per request", async () => {
    const verifier = verifierFor();
    await verifier.verify(await issuer.mintGithubToken());
    advance(31);
    const token = await issuer.mintGithubToken({}, { key: await generateSigningKey("RS256", "new-key"), expiresIn: 600 });
    issuer.failWith = 503;
    expect((await refusal(verifier, token)).code).toBe("CA_ISSUER_UNAVAILABLE");
    expect((await refusal(verifier, token)).message).toBe('signing key "new-key" is not in the issuer\'s JWKS');
    expect(issuer.requests).toEqual({ discovery: 1, jwks: 2, other: 0 });
  });

  it("refuses a token signed by another key under a published kid: bad signature", async () => {
    const impostor = await generateSigningKey("RS256", issuer.key.kid);
    const token = await issuer.mintGithubToken({}, { key: impostor });
    expect(await refusal(verifierFor(), token)).toEqual({
      code: "CA_TOKEN_INVALID",
      message: `bad signature: the token does not verify with ${issuer.url}'s key ${issuer.key.kid}`,
    });
  });

  it("refuses an expired token beyond the clock skew, and accepts one within it", async () => {
    const verifier = verifierFor({}, { clockSkewSeconds: 60 });
    const token = await issuer.mintGithubToken({}, { expiresIn: 300 });
    advance(300 + 59);
    expect((await verifier.verify(token)).issuer).toBe(issuer.url);
    advance(1);
    expect(await refusal(verifier, token)).toEqual({ code: "CA_TOKEN_INVALID", message: "token expired (exp 2026-03-01T12:05:00.000Z)" });
  });

  it("refuses nbf or iat in the future beyond the skew, and accepts them within it", async () => {
    const verifier = verifierFor({}, { clockSkewSeconds: 60 });
    const at = clock.getTime() / 1000;
    expect((await verifier.verify(await issuer.mintGithubToken({ nbf: at + 60, iat: at + 60 }))).issuer).toBe(issuer.url);
    expect(await refusal(verifier, await issuer.mintGithubToken({ nbf: at + 120 }))).toEqual({
      code: "CA_TOKEN_INVALID",
      message: "token not valid yet (nbf 2026-03-01T12:02:00.000Z)",
    });
    expect(await refusal(verifier, await issuer.mintGithubToken({ iat: at + 120 }))).toEqual({
      code: "CA_TOKEN_INVALID",
      message: "token issued in the future (iat 2026-03-01T12:02:00.000Z)",
    });
  });

  it("refuses the wrong audience and accepts the configured clientId", async () => {
    expect(await refusal(verifierFor(), await issuer.mintGithubToken({ aud: "https://github.com/octo-org" }))).toEqual({
      code: "CA_TOKEN_INVALID",
      message: 'wrong audience: expected "sigstore", the token is for "https://github.com/octo-org"',
    });
    const custom = verifierFor({ clientId: "vouch" });
    expect((await custom.verify(await issuer.mintGithubToken({ aud: ["other", "vouch"] }))).issuer).toBe(issuer.url);
  });

  it("refuses an unknown issuer without contacting anyone", async () => {
    const token = await issuer.mintGithubToken({ iss: "https://token.actions.githubusercontent.com" });
    expect(await refusal(verifierFor(), token)).toEqual({ code: "CA_TOKEN_INVALID", message: 'unknown issuer "https://token.actions.githubusercontent.com"' });
    expect(issuer.requests).toEqual({ discovery: 0, jwks: 0, other: 0 });
  });

  it("refuses tokens without exp, iat or sub, and GitHub tokens without a required claim, naming the claim", async () => {
    const verifier = verifierFor();
    const at = clock.getTime() / 1000;
    const base = { iss: issuer.url, aud: "sigstore", sub: "repo:o/r:ref:refs/heads/main", iat: at, exp: at + 300 };
    for (const claim of ["exp", "iat", "sub"] as const) {
      const { [claim]: _dropped, ...claims } = base;
      expect(await refusal(verifier, await issuer.mint(claims, { bare: true }))).toEqual({ code: "CA_TOKEN_INVALID", message: `missing claim "${claim}"` });
    }
    expect(await refusal(verifier, await issuer.mintGithubToken({ job_workflow_ref: undefined }))).toEqual({
      code: "CA_TOKEN_INVALID",
      message: 'missing claim "job_workflow_ref"',
    });
  });

  it("refuses a discovery document that names another issuer (OIDC Discovery §4.3)", async () => {
    issuer.discoveryIssuer = "https://token.actions.githubusercontent.com";
    expect(await refusal(verifierFor(), await issuer.mintGithubToken())).toEqual({
      code: "CA_ISSUER_UNAVAILABLE",
      message: `the discovery document ${issuer.url}/.well-known/openid-configuration names issuer "https://token.actions.githubusercontent.com", not ${issuer.url}`,
    });
  });

  it("answers CA_ISSUER_UNAVAILABLE when the issuer is down or failing", async () => {
    const verifier = verifierFor();
    const token = await issuer.mintGithubToken();
    issuer.failWith = 502;
    expect(await refusal(verifier, token)).toEqual({
      code: "CA_ISSUER_UNAVAILABLE",
      message: `the discovery document ${issuer.url}/.well-known/openid-configuration answered HTTP 502`,
    });
    await issuer.close();
    const down = await refusal(verifier, token);
    expect(down.code).toBe("CA_ISSUER_UNAVAILABLE");
    expect(down.message).toBe(`cannot fetch the discovery document ${issuer.url}/.well-known/openid-configuration: ECONNREFUSED`);
    issuer = await startOidcIssuer({ now }); // for afterEach
  });

  it("verifies against a meta issuer: discovery at the token's own issuer URL", async () => {
    const eks = await startOidcIssuer({ now, path: "/id/B02C93B6A2D30341AD01E1B6D48164CB" });
    try {
      const origin = new URL(eks.url).origin;
      const verifier = new IdentityVerifier({ issuers: [{ url: `${origin}/id/*`, type: "kubernetes" }], now });
      const token = await eks.mint({ sub: "system:serviceaccount:ci:builder", "kubernetes.io": { namespace: "ci", serviceaccount: { name: "builder" } } });
      expect(await verifier.verify(token)).toMatchObject({
        issuer: eks.url,
        proofSubject: "system:serviceaccount:ci:builder",
        san: { kind: "uri", value: "https://kubernetes.io/namespaces/ci/serviceaccounts/builder" },
      });
      expect(eks.requests).toEqual({ discovery: 1, jwks: 1, other: 0 });
    } finally {
      await eks.close();
    }
  });

  it("verifies email tokens only with email_verified", async () => {
    const verifier = verifierFor({ type: "email" });
    const principal = await verifier.verify(await issuer.mint({ sub: "110169484474386276334", email: "jane@example.com", email_verified: true }));
    expect(principal).toMatchObject({ proofSubject: "jane@example.com", san: { kind: "email", value: "jane@example.com" } });
    expect(await refusal(verifier, await issuer.mint({ sub: "1", email: "jane@example.com", email_verified: false }))).toEqual({
      code: "CA_TOKEN_INVALID",
      message: 'claim "email_verified" is not true',
    });
  });
});

describe("IdentityVerifier on corrupt input", () => {
  const b64 = (value: unknown): string => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

  it.each<[string, () => string, RegExp]>([
    ["an empty token", () => "", /^malformed token: empty$/],
    ["two parts", () => "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0", /^malformed token: not a compact JWS/],
    ["a JWE (five parts)", () => "a.b.c.d.e", /^malformed token: not a compact JWS/],
    ["characters outside base64url", () => "eyJ+.eyJ.sig", /^malformed token: not a compact JWS/],
    ["an unsigned token", () => `${b64({ alg: "none" })}.${b64({ iss: "x" })}.`, /^malformed token: unsigned$/],
    ["a header that is not JSON", () => `${b64("{not json")}.${b64({ iss: "x" })}.c2ln`, /^malformed token: /],
    ["claims that are not a JSON object", () => `${b64({ alg: "RS256" })}.${b64("[1,2]")}.c2ln`, /^malformed token: /],
    ["an HMAC algorithm", () => `${b64({ alg: "HS256" })}.${b64({ iss: "x" })}.c2ln`, /^algorithm "HS256" is not accepted/],
    ["no algorithm", () => `${b64({ kid: "k" })}.${b64({ iss: "x" })}.c2ln`, /^algorithm undefined is not accepted/],
    ["no iss", () => `${b64({ alg: "RS256" })}.${b64({ sub: "x" })}.c2ln`, /^missing claim "iss"$/],
    ["a huge token", () => `${b64({ alg: "RS256" })}.${"A".repeat(40_000)}.c2ln`, /^malformed token: larger than/],
  ])("refuses %s with CA_TOKEN_INVALID before any fetch", async (_name, token, message) => {
    const result = await refusal(verifierFor(), token());
    expect(result.code).toBe("CA_TOKEN_INVALID");
    expect(result.message).toMatch(message);
    expect(issuer.requests).toEqual({ discovery: 0, jwks: 0, other: 0 });
  });

  it("refuses a corrupted signature", async () => {
    const token = await issuer.mintGithubToken();
    const [h, p, s] = token.split(".") as [string, string, string];
    const flipped = `${h}.${p}.${s.slice(0, 10)}${s[10] === "A" ? "B" : "A"}${s.slice(11)}`;
    expect((await refusal(verifierFor(), flipped)).message).toMatch(/^bad signature/);
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ["a discovery document that is not JSON", { discovery: "<html>" }, /discovery document .* is not JSON$/],
    ["a discovery document that is an array", { discovery: "[]" }, /is not a JSON object$/],
    ["a discovery document without jwks_uri", { discovery: JSON.stringify({ issuer: "ISSUER" }) }, /has no usable jwks_uri$/],
    ["a jwks_uri over http for an https issuer", { discovery: JSON.stringify({ issuer: "ISSUER", jwks_uri: "http://keys.example.com/jwks" }) }, /is not https$/],
    ["a JWKS that is not a key set", { jwks: JSON.stringify({ keys: "none" }) }, /JWKS .* is malformed/],
    ["a JWKS that is not JSON", { jwks: "{" }, /JWKS .* is not JSON$/],
    ["only HMAC algorithms", { discovery: JSON.stringify({ issuer: "ISSUER", jwks_uri: "https://issuer.example.com/jwks", id_token_signing_alg_values_supported: ["HS256"] }) }, /signs ID tokens with none of/],
  ])("answers CA_ISSUER_UNAVAILABLE for %s", async (_name, bodies, message) => {
    // An issuer serving broken documents; the fetch seam stands in for it (these cases never happen on the happy path).
    const url = "https://issuer.example.com";
    const fake: OidcFetch = async (target) => {
      const body = target.endsWith("/.well-known/openid-configuration")
        ? (bodies.discovery ?? JSON.stringify({ issuer: url, jwks_uri: `${url}/jwks` })).replace("ISSUER", url)
        : (bodies.jwks ?? JSON.stringify({ keys: [] }));
      return { status: 200, text: async () => body };
    };
    const verifier = new IdentityVerifier({ issuers: [{ url, type: "github-workflow" }], now, fetch: fake });
    const result = await refusal(verifier, await issuer.mintGithubToken({ iss: url }));
    expect(result.code).toBe("CA_ISSUER_UNAVAILABLE");
    expect(result.message).toMatch(message);
  });
});
