import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeIndexService } from "../../../../test/support/fake-index-service.js";
import { startOidcIssuer, type OidcIssuer } from "../../../../test/support/oidc-issuer.js";
import { indexOidcAuth } from "../../../api/tokens.js";
import type { TokenStore } from "../../../store/ports.js";
import { openSqliteTokenStore } from "../../../store/sqlite/token-store.js";
import { buildApp } from "../../app.js";
import { globMatches } from "../../plugins/auth.js";

/**
 * CI pipelines ingest with their OIDC identity token instead of a stored secret: a real issuer on 127.0.0.1
 * (discovery + JWKS), the CA's verifier with the index's audience, and identity rules from vouch.yaml.
 */
describe("OIDC identity tokens on the index API", () => {
  let dir: string;
  let issuer: OidcIssuer;
  let tokens: TokenStore;
  let app: FastifyInstance;
  const service = new FakeIndexService();
  const sbom = JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.6", version: 1, components: [] });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "vouch-index-oidc-"));
    issuer = await startOidcIssuer({ audience: "vouch" });
    tokens = await openSqliteTokenStore(join(dir, "index.sqlite"));
    const oidc = indexOidcAuth([{ url: issuer.url, type: "github-workflow" }], {
      identities: [
        { issuer: issuer.url, subject: "repo:octo-org/*:ref:refs/heads/main", scopes: ["ingest"] },
        { issuer: issuer.url, subject: "repo:octo-org/dashboard:*", scopes: ["read"] },
      ],
    });
    app = await buildApp({ index: { service, tokens, oidc } });
  });
  afterAll(async () => {
    await app.close();
    await tokens.close();
    await issuer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const push = (token: string) =>
    app.inject({ method: "POST", url: "/api/v1/sboms?service=web", payload: sbom, headers: { "content-type": "application/json", authorization: `Bearer ${token}` } });

  it("lets a matching pipeline ingest, attributed to its issuer and subject", async () => {
    const res = await push(await issuer.mintGithubToken());
    expect(res.statusCode, res.body).toBe(201);
    expect([...service.sboms.values()][0]?.by).toBe(`oidc:${issuer.url}#repo:octo-org/octo-repo:ref:refs/heads/main`);
  });

  it("refuses an identity no rule names (403), a rule's other scope (403), and a token for another audience or expired (401)", async () => {
    const otherRepo = await push(await issuer.mintGithubToken({ sub: "repo:evil-org/octo-repo:ref:refs/heads/main" }));
    expect(otherRepo.statusCode).toBe(403);
    expect(otherRepo.json().message).toMatch(/matches no rule of index\.oidc\.identities/);
    const readOnly = await push(await issuer.mintGithubToken({ sub: "repo:octo-org/dashboard:ref:refs/heads/dev" }));
    expect(readOnly.statusCode).toBe(403);
    expect(readOnly.json().message).toMatch(/lacks the ingest scope/);
    const branch = await push(await issuer.mintGithubToken({ sub: "repo:octo-org/octo-repo:ref:refs/heads/feature" }));
    expect(branch.statusCode).toBe(403);
    const forCa = await push(await issuer.mint({ sub: "repo:octo-org/octo-repo:ref:refs/heads/main", aud: "sigstore" }));
    expect(forCa.statusCode).toBe(401);
    const expired = await push(await issuer.mintGithubToken({}, { expiresIn: -3600 }));
    expect(expired.statusCode).toBe(401);
    expect(expired.headers["www-authenticate"]).toMatch(/invalid_token/);
  });

  it("answers 503 while the issuer is down (a retry may succeed), never 2xx", async () => {
    const token = await issuer.mintGithubToken();
    issuer.failWith = 500;
    try {
      const fresh = indexOidcAuth([{ url: issuer.url, type: "github-workflow" }], { identities: [{ issuer: issuer.url, subject: "repo:*", scopes: ["ingest"] }] });
      const down = await buildApp({ index: { service, tokens, oidc: fresh } });
      const res = await down.inject({ method: "POST", url: "/api/v1/sboms?service=web", payload: sbom, headers: { "content-type": "application/json", authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(503);
      await down.close();
    } finally {
      issuer.failWith = undefined;
    }
  });

  it("refuses rules that match every subject, or name an issuer the CA config does not describe", () => {
    expect(() => indexOidcAuth([{ url: issuer.url, type: "github-workflow" }], { identities: [{ issuer: issuer.url, subject: "*", scopes: ["ingest"] }] })).toThrow(/matches every identity/);
    expect(() => indexOidcAuth([], { identities: [{ issuer: "https://token.actions.githubusercontent.com", subject: "repo:a/b:*", scopes: ["ingest"] }] })).toThrow(/not in ca\.issuers/);
  });

  it("matches subject globs with * as any run of characters, everything else literally", () => {
    expect(globMatches("repo:o/*:ref:refs/heads/main", "repo:o/r:ref:refs/heads/main")).toBe(true);
    expect(globMatches("repo:o/*:ref:refs/heads/main", "repo:o/r:ref:refs/heads/main2")).toBe(false);
    expect(globMatches("repo:o/*", "repo:o/")).toBe(true);
    expect(globMatches("a*b*c", "abc")).toBe(true);
    expect(globMatches("a*b*c", "acb")).toBe(false);
    expect(globMatches("ab*ba", "aba")).toBe(false);
    expect(globMatches("repo:o/r.?", "repo:o/rxx")).toBe(false);
    expect(globMatches("exact", "exact")).toBe(true);
  });
});
