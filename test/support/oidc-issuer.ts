import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import type { CryptoKey, JWK, JWTPayload } from "jose";

/**
 * A real OpenID Connect issuer on 127.0.0.1 for tests: serves /.well-known/openid-configuration and the JWKS over
 * HTTP, and mints ID tokens signed with jose, shaped like the tokens GitHub Actions, GitLab, Kubernetes and email
 * providers issue. The CA verifies them exactly as it verifies real ones (discovery, JWKS, signature).
 */

export type IssuerAlgorithm = "RS256" | "ES256";

export interface OidcIssuerOptions {
  /** Algorithm of the signing keys (default RS256, GitHub's). */
  alg?: IssuerAlgorithm;
  /** Clock for iat/nbf/exp of minted tokens (default: the real clock); share it with the verifier under test. */
  now?: () => Date;
  /** Audience of minted tokens (default "sigstore"). */
  audience?: string;
  /** Path under the origin the issuer URL ends with, e.g. "/realms/ci" (default: none). */
  path?: string;
}

export interface SigningKey {
  kid: string;
  alg: IssuerAlgorithm;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface MintOptions {
  /** Header kid (default: the current key's); set it to a kid the JWKS does not hold for negative cases. */
  kid?: string;
  /** Sign with this key instead of the current one (e.g. from generateSigningKey(): a key the issuer never published). */
  key?: SigningKey;
  /** Lifetime in seconds from now (default 300; negative: already expired). */
  expiresIn?: number;
  /** Leave out the standard claims this helper would add (iss, aud, iat, nbf, exp, jti), to test missing ones. */
  bare?: boolean;
}

export interface OidcIssuer {
  /** http://127.0.0.1:PORT[path]: the `iss` of every minted token and what to configure as the issuer URL. */
  url: string;
  /** Requests served, per kind: discovery, jwks, other (proves caching). */
  requests: { discovery: number; jwks: number; other: number };
  /** The current signing key. */
  readonly key: SigningKey;
  /** Signs `claims` (plus iss, aud, iat, nbf, exp, jti unless `bare`) with the current key, or options.key. */
  mint(claims: Record<string, unknown>, options?: MintOptions): Promise<string>;
  /** A GitHub Actions ID token with the real claim set, for `repo:octo-org/octo-repo` on main; overrides win. */
  mintGithubToken(overrides?: Record<string, unknown>, options?: MintOptions): Promise<string>;
  /** Makes a new current key and publishes it (the old one stays in the JWKS unless `dropOld`). */
  rotateKey(options?: { dropOld?: boolean }): Promise<SigningKey>;
  /** The `issuer` the discovery document states (default: url); set another to test the OIDC Discovery §4.3 check. */
  discoveryIssuer: string;
  /** When set, every request is answered with this HTTP status (an issuer outage). */
  failWith: number | undefined;
  close(): Promise<void>;
}

/** A key pair and kid not published by any issuer. */
export async function generateSigningKey(alg: IssuerAlgorithm = "RS256", kid: string = randomUUID()): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  return { kid, alg, privateKey, publicJwk };
}

export async function startOidcIssuer(options: OidcIssuerOptions = {}): Promise<OidcIssuer> {
  const alg = options.alg ?? "RS256";
  const now = options.now ?? (() => new Date());
  const audience = options.audience ?? "sigstore";
  const path = (options.path ?? "").replace(/\/+$/, "");
  let keys: SigningKey[] = [await generateSigningKey(alg)];
  const requests = { discovery: 0, jwks: 0, other: 0 };

  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const route = req.url ?? "";
    if (route === `${path}/.well-known/openid-configuration`) requests.discovery += 1;
    else if (route === `${path}/.well-known/jwks`) requests.jwks += 1;
    else requests.other += 1;
    if (issuer.failWith !== undefined) return send(issuer.failWith, { error: "unavailable" });
    if (route === `${path}/.well-known/openid-configuration`) {
      // The fields GitHub's discovery document has (token.actions.githubusercontent.com).
      return send(200, {
        issuer: issuer.discoveryIssuer,
        jwks_uri: `${issuer.url}/.well-known/jwks`,
        subject_types_supported: ["public", "pairwise"],
        response_types_supported: ["id_token"],
        claims_supported: ["sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "repository", "repository_id", "repository_owner", "repository_owner_id", "run_id", "run_number", "run_attempt", "actor", "actor_id", "workflow", "workflow_ref", "workflow_sha", "head_ref", "base_ref", "event_name", "ref_type", "environment", "job_workflow_ref", "job_workflow_sha", "repository_visibility", "runner_environment"],
        id_token_signing_alg_values_supported: [alg],
        scopes_supported: ["openid"],
      });
    }
    if (route === `${path}/.well-known/jwks`) return send(200, { keys: keys.map((k) => k.publicJwk) });
    return send(404, { error: "not found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;

  const mint = async (claims: Record<string, unknown>, mintOptions: MintOptions = {}): Promise<string> => {
    const key = mintOptions.key ?? keys[keys.length - 1]!;
    const iat = Math.floor(now().getTime() / 1000);
    const standard: JWTPayload = mintOptions.bare
      ? {}
      : { jti: randomUUID(), iss: url, aud: audience, iat, nbf: iat, exp: iat + (mintOptions.expiresIn ?? 300) };
    return new SignJWT({ ...standard, ...claims })
      .setProtectedHeader({ alg: key.alg, kid: mintOptions.kid ?? key.kid, typ: "JWT" })
      .sign(key.privateKey);
  };

  const issuer: OidcIssuer = {
    url,
    requests,
    get key() {
      return keys[keys.length - 1]!;
    },
    mint,
    mintGithubToken: (overrides = {}, mintOptions) => mint({ ...githubClaims(), ...overrides }, mintOptions),
    async rotateKey(rotate = {}) {
      const next = await generateSigningKey(alg);
      keys = rotate.dropOld ? [next] : [...keys, next];
      return next;
    },
    discoveryIssuer: url,
    failWith: undefined,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
  return issuer;
}

/**
 * The custom claims of a GitHub Actions ID token for a push to main of octo-org/octo-repo running a reusable
 * workflow from octo-org/octo-automation (docs.github.com "OpenID Connect reference": every value is a string,
 * ids included). `iss`, `aud`, `iat`, `nbf`, `exp` and `jti` are added by mint().
 */
export function githubClaims(): Record<string, string> {
  return {
    sub: "repo:octo-org/octo-repo:ref:refs/heads/main",
    ref: "refs/heads/main",
    sha: "d6cd1e2bd19e03a81132a23b2025920577f84e37",
    repository: "octo-org/octo-repo",
    repository_owner: "octo-org",
    repository_owner_id: "78901",
    repository_id: "123456",
    repository_visibility: "public",
    run_id: "5432109876",
    run_number: "42",
    run_attempt: "2",
    runner_environment: "github-hosted",
    actor: "octocat",
    actor_id: "583231",
    workflow: "Release",
    workflow_ref: "octo-org/octo-repo/.github/workflows/release.yml@refs/heads/main",
    workflow_sha: "d6cd1e2bd19e03a81132a23b2025920577f84e37",
    job_workflow_ref: "octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main",
    job_workflow_sha: "2f4d7e9c1b3a5d6e8f0a1b2c3d4e5f6a7b8c9d0e",
    event_name: "push",
    ref_type: "branch",
    head_ref: "",
    base_ref: "",
  };
}
