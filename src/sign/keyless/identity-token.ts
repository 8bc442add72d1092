import { readFileSync, statSync } from "node:fs";
import { VouchError } from "../../core/errors.js";
import { defaultFetch, reasonOf, send, type KeylessFetch } from "./http.js";

/**
 * Where the OIDC identity token for keyless signing comes from, in cosign's order: the `--identity-token` flag (the
 * token, or a file holding it, as cosign's flag accepts), then SIGSTORE_ID_TOKEN (cosign's env provider; GitLab CI
 * sets it with `id_tokens: SIGSTORE_ID_TOKEN: {aud: sigstore}`), then GitHub Actions' token endpoint
 * (ACTIONS_ID_TOKEN_REQUEST_URL + ACTIONS_ID_TOKEN_REQUEST_TOKEN, present when the job has `id-token: write`).
 * The token is checked only for shape here; the CA verifies it.
 */

export type IdentityTokenSource = "flag" | "file" | "SIGSTORE_ID_TOKEN" | "github-actions";

export interface IdentityToken {
  token: string;
  source: IdentityTokenSource;
  claims: JwtClaims;
}

/** The claims the client reads; everything else passes through to the CA untouched. */
export interface JwtClaims {
  iss?: string;
  sub?: string;
  email?: string;
  email_verified?: boolean;
  exp?: number;
  [claim: string]: unknown;
}

export interface IdentityTokenOptions {
  /** `--identity-token`: the token itself, or the path of a file holding it. */
  token?: string;
  env?: Readonly<Record<string, string | undefined>>;
  fetch?: KeylessFetch;
  /** A file's text, or undefined when there is no such file (default: node:fs). */
  readFile?: (path: string) => string | undefined;
  /** The audience asked of GitHub Actions (default "sigstore", what Fulcio expects). */
  audience?: string;
}

const HINT = "an identity token is needed for --keyless: pass --identity-token TOKEN|FILE, set SIGSTORE_ID_TOKEN, or run in GitHub Actions with `permissions: id-token: write`";

/**
 * The identity token from the first source that has one.
 *
 * @throws VouchError INPUT_USAGE when no source has one; INPUT_MALFORMED when the token is not a JWT;
 *   SERVICE_UNAVAILABLE when GitHub's token endpoint cannot be reached or refuses.
 * @example
 *   const { token, claims } = await getIdentityToken({ env: process.env });
 */
export async function getIdentityToken(options: IdentityTokenOptions = {}): Promise<IdentityToken> {
  const env = options.env ?? {};
  const flag = options.token?.trim();
  if (flag) {
    // As cosign: a value naming an existing file is that file (a mounted projected token, say); otherwise the token.
    const fromFile = (options.readFile ?? readTokenFile)(flag);
    if (fromFile !== undefined) return checked(fromFile.trim(), "file", `the --identity-token file ${flag}`);
    if (!looksLikeJwt(flag)) {
      // Neither: most likely a mistyped path. The value is not echoed (it may be a credential).
      throw new VouchError("INPUT_MALFORMED", "--identity-token is neither a JWT nor the path of a readable file");
    }
    return checked(flag, "flag", "--identity-token");
  }
  const fromEnv = env.SIGSTORE_ID_TOKEN?.trim();
  if (fromEnv) return checked(fromEnv, "SIGSTORE_ID_TOKEN", "SIGSTORE_ID_TOKEN");
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (requestUrl && requestToken) {
    const token = await githubActionsToken(requestUrl, requestToken, options.audience ?? "sigstore", options.fetch ?? defaultFetch);
    return checked(token, "github-actions", "GitHub Actions' identity token");
  }
  throw new VouchError("INPUT_USAGE", HINT);
}

/**
 * GitHub Actions' OIDC token endpoint (what @actions/core getIDToken does): GET the request URL with `audience`
 * added, bearer the request token, answer `{"value": "<jwt>"}`.
 */
async function githubActionsToken(requestUrl: string, requestToken: string, audience: string, fetcher: KeylessFetch): Promise<string> {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    throw new VouchError("INPUT_MALFORMED", "ACTIONS_ID_TOKEN_REQUEST_URL is not a URL");
  }
  url.searchParams.set("audience", audience);
  const answer = await send(
    fetcher,
    url.toString(),
    { method: "GET", headers: { authorization: `bearer ${requestToken}`, accept: "application/json" } },
    "SERVICE_UNAVAILABLE",
    "GitHub Actions token endpoint",
  );
  if (answer.status !== 200) {
    throw new VouchError("SERVICE_UNAVAILABLE", `GitHub Actions' token endpoint answered ${answer.status}: ${reasonOf(answer.body)}`);
  }
  let value: unknown;
  try {
    value = (JSON.parse(Buffer.from(answer.body).toString("utf8")) as { value?: unknown }).value;
  } catch {
    value = undefined;
  }
  if (typeof value !== "string" || value === "") throw new VouchError("SERVICE_UNAVAILABLE", "GitHub Actions' token endpoint answered without a token (no JSON `value`)");
  return value;
}

function checked(token: string, source: IdentityTokenSource, what: string): IdentityToken {
  return { token, source, claims: decodeJwtClaims(token, what) };
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function looksLikeJwt(value: string): boolean {
  const parts = value.split(".");
  return parts.length === 3 && parts.every((p) => BASE64URL.test(p)) && parts[0] !== "" && parts[1] !== "";
}

/**
 * The claims of a compact JWS (RFC 7519 §7.2 steps 1-6, without the signature check the CA does): three base64url
 * parts, header and payload JSON objects. The signature part may be empty (an unsecured JWT is still a JWT to parse;
 * the CA refuses it).
 *
 * @throws VouchError INPUT_MALFORMED naming `what` and the part that is wrong (never echoing the token: it is a
 *   credential).
 */
export function decodeJwtClaims(token: string, what = "the identity token"): JwtClaims {
  const parts = token.split(".");
  if (parts.length !== 3) throw new VouchError("INPUT_MALFORMED", `${what} is not a JWT (expected 3 dot-separated parts, found ${parts.length})`);
  const decode = (part: string, name: string): Record<string, unknown> => {
    if (part === "" || !BASE64URL.test(part)) throw new VouchError("INPUT_MALFORMED", `${what} is not a JWT (its ${name} is not base64url)`);
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    } catch {
      throw new VouchError("INPUT_MALFORMED", `${what} is not a JWT (its ${name} is not JSON)`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new VouchError("INPUT_MALFORMED", `${what} is not a JWT (its ${name} is not a JSON object)`);
    return value as Record<string, unknown>;
  };
  decode(parts[0]!, "header");
  if (!BASE64URL.test(parts[2]!)) throw new VouchError("INPUT_MALFORMED", `${what} is not a JWT (its signature is not base64url)`);
  return decode(parts[1]!, "payload") as JwtClaims;
}

/**
 * What the proof of possession signs: the `email` claim when the token has one (it must then be verified by the
 * issuer, as Fulcio's email principal requires), else `sub` — the same challenge sigstore-js's FulcioSigner
 * (util/oidc extractJWTSubject) and cosign sign.
 *
 * @throws VouchError CA_TOKEN_INVALID when the token has neither, or an unverified email.
 */
export function proofOfPossessionSubject(claims: JwtClaims): string {
  if (claims.email !== undefined) {
    if (typeof claims.email !== "string" || claims.email === "") throw new VouchError("CA_TOKEN_INVALID", "the identity token's email claim is not a string");
    if (claims.email_verified !== true) throw new VouchError("CA_TOKEN_INVALID", "the identity token's email is not verified by its issuer (email_verified is not true)");
    return claims.email;
  }
  if (typeof claims.sub === "string" && claims.sub !== "") return claims.sub;
  throw new VouchError("CA_TOKEN_INVALID", "the identity token has no subject (neither email nor sub)");
}

function readTokenFile(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return undefined;
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
