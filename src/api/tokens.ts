import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { IdentityVerifier, type OidcFetch } from "../ca/identity/verifier.js";
import type { IssuerConfig } from "../ca/identity/config.js";
import { VouchError } from "../core/errors.js";
import type { TokenRecord, TokenScope, TokenStore } from "../store/ports.js";

/**
 * API tokens for the SBOM index (`vouch token create|list|revoke`, and the server's bearer auth).
 *
 * A token reads `vouch_<id>_<secret>`: a recognisable prefix (secret scanners and humans can tell what leaked), a
 * public id of 16 hex digits (the store's key, and the `by` of every write the token makes) and 32 random bytes in
 * base64url. The store keeps only the SHA-256 of the whole text; a request's token is looked up by its id and its
 * hash compared in constant time, so neither the lookup nor the comparison reveals how much of a guess was right.
 */

export const TOKEN_SCOPES: readonly TokenScope[] = ["admin", "ingest", "read"];

const TOKEN_TEXT = /^vouch_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$/;

export interface CreatedToken {
  /** The token's text: shown once, never stored. */
  token: string;
  record: TokenRecord;
}

export interface CreateTokenOptions {
  scopes: readonly TokenScope[];
  name?: string;
  /** Lifetime in milliseconds (parseDuration); absent: never expires. */
  expiresInMs?: number;
  /** Default: the system clock. */
  now?: () => Date;
  /** Default: node:crypto randomBytes (tests inject a fixed source). */
  random?: (size: number) => Uint8Array;
}

/**
 * Creates a token and stores its hash.
 *
 * @example
 *   const { token, record } = await createToken(store, { scopes: ["ingest", "read"], name: "ci" });
 *   console.log(token); // vouch_3f2a…_…, shown once
 */
export async function createToken(store: TokenStore, options: CreateTokenOptions): Promise<CreatedToken> {
  const scopes = [...new Set(options.scopes)].sort();
  if (scopes.length === 0) throw new VouchError("INPUT_USAGE", `a token needs at least one scope (${TOKEN_SCOPES.join(", ")})`);
  const random = options.random ?? randomBytes;
  const now = (options.now ?? (() => new Date()))();
  const id = Buffer.from(random(8)).toString("hex");
  const token = `vouch_${id}_${Buffer.from(random(32)).toString("base64url")}`;
  const record: TokenRecord = {
    id,
    ...(options.name === undefined ? {} : { name: options.name }),
    scopes,
    createdAt: now.toISOString(),
    ...(options.expiresInMs === undefined ? {} : { expiresAt: new Date(now.getTime() + options.expiresInMs).toISOString() }),
  };
  await store.create({ ...record, hash: hashToken(token) });
  return { token, record };
}

/** `ingest,read` → the scopes, else a usage error naming the unknown one. */
export function parseScopes(text: string): TokenScope[] {
  const scopes = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const s of scopes) {
    if (!(TOKEN_SCOPES as readonly string[]).includes(s)) throw new VouchError("INPUT_USAGE", `--scope ${s}: use ${TOKEN_SCOPES.join(", ")} (comma-separated)`);
  }
  if (scopes.length === 0) throw new VouchError("INPUT_USAGE", `--scope: name at least one of ${TOKEN_SCOPES.join(", ")}`);
  return scopes as TokenScope[];
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 365 * 86_400_000 };

/** `90d`, `12h`, `30m`, `2w`, `1y` → milliseconds, else a usage error. */
export function parseDuration(text: string, flag = "--expires-in"): number {
  const match = /^(\d{1,6})([smhdwy])$/.exec(text.trim());
  if (match === null || Number(match[1]) === 0) throw new VouchError("INPUT_USAGE", `${flag} ${text}: use a positive number and a unit, e.g. 90d, 12h, 2w, 1y`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/** SHA-256 of a token's text: all the store ever holds. */
export function hashToken(token: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(token, "utf8").digest());
}

/** The public id of a token's text, undefined when the text is not shaped like a vouch token. */
export function tokenId(token: string): string | undefined {
  return TOKEN_TEXT.exec(token)?.[1];
}

/** Who a request is: a token (its id is the `by` of writes) or anonymous (reads only, when the config allows). */
export interface Principal {
  /** The token id, or "oidc:<issuer>#<subject>" for CI identity tokens. */
  id: string;
  scopes: readonly TokenScope[];
}

export type TokenCheck = { ok: true; principal: Principal } | { ok: false; reason: string };

/**
 * Checks a presented token against the store at `now`: known, hash equal (constant time), not revoked, not expired.
 * The reason is safe to show the client: it never says which part of an unknown token was wrong.
 */
export async function checkToken(store: TokenStore, presented: string, now: Date): Promise<TokenCheck> {
  const id = tokenId(presented);
  const stored = id === undefined ? undefined : await store.find(id);
  // Hash and compare even for an unknown id, so that a missing token and a wrong secret take the same work.
  const expected = stored !== undefined && stored.hash.length === 32 ? stored.hash : new Uint8Array(32);
  const equal = timingSafeEqual(hashToken(presented), expected);
  if (stored === undefined || !equal) return { ok: false, reason: "the token is not valid" };
  if (stored.revokedAt !== undefined) return { ok: false, reason: `token ${stored.id} was revoked` };
  if (stored.expiresAt !== undefined && Date.parse(stored.expiresAt) <= now.getTime()) return { ok: false, reason: `token ${stored.id} expired at ${stored.expiresAt}` };
  return { ok: true, principal: { id: stored.id, scopes: stored.scopes } };
}

/** Whether a principal holding `scopes` may do what `needed` names (admin may do everything). */
export function hasScope(scopes: readonly TokenScope[], needed: TokenScope): boolean {
  return scopes.includes(needed) || scopes.includes("admin");
}

/** `vouch token list`'s table. */
export function renderTokenTable(tokens: readonly TokenRecord[], now: Date): string {
  if (tokens.length === 0) return "no tokens (vouch token create --scope ingest,read)\n";
  const rows = [["ID", "NAME", "SCOPES", "CREATED", "EXPIRES", "STATUS"]];
  for (const t of tokens) {
    const status = t.revokedAt !== undefined ? `revoked ${t.revokedAt}` : t.expiresAt !== undefined && Date.parse(t.expiresAt) <= now.getTime() ? "expired" : "active";
    rows.push([t.id, t.name ?? "-", t.scopes.join(","), t.createdAt, t.expiresAt ?? "never", status]);
  }
  return renderColumns(rows);
}

/** Left-aligned columns, two spaces apart. */
export function renderColumns(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n") + "\n";
}

/** `index.oidc` in vouch.yaml: which CI identities may use the index, by the CA's issuer configuration. */
export interface IndexOidcConfig {
  /** The audience CI tokens must be minted for (GitHub: `core.getIDToken("vouch")`). Default "vouch". */
  audience?: string;
  identities: { issuer: string; subject: string; scopes: TokenScope[] }[];
}

/**
 * CI identity-token auth for the index from vouch.yaml: the issuers of `ca.issuers` (how each is verified), with the
 * index's own audience (a token minted for the CA, "sigstore", is not an index credential), and the identity rules.
 *
 * @example
 *   const oidc = indexOidcAuth(config.ca?.issuers ?? [], config.index.oidc);
 */
export function indexOidcAuth(
  issuers: readonly IssuerConfig[],
  config: IndexOidcConfig,
  options: { fetch?: OidcFetch; now?: () => Date } = {},
): { verify(token: string): Promise<{ issuer: string; subject: string }>; identities: IndexOidcConfig["identities"] } {
  const audience = config.audience ?? "vouch";
  for (const rule of config.identities) {
    // A rule matching every subject of a public issuer (GitHub, GitLab.com) would let any repository on it ingest.
    if (/^\**$/.test(rule.subject)) throw new VouchError("INPUT_MALFORMED", `index.oidc.identities: subject "${rule.subject}" matches every identity of ${rule.issuer}; name the repository or subject`);
    if (!issuers.some((i) => i.url === rule.issuer)) {
      throw new VouchError("INPUT_MALFORMED", `index.oidc.identities: issuer ${rule.issuer} is not in ca.issuers (which says how to verify its tokens)`);
    }
  }
  const verifier = new IdentityVerifier({ issuers: issuers.map((i) => ({ ...i, clientId: audience })), fetch: options.fetch, now: options.now });
  return {
    identities: config.identities,
    verify: async (token) => {
      const principal = await verifier.verify(token);
      return { issuer: principal.issuer, subject: principal.proofSubject };
    },
  };
}
