import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { thrownVouchError } from "../../../test/support/errors.js";
import { fulcioConfiguration, ISSUERS_SCHEMA, matchIssuer, resolveIssuers, type IssuerConfig } from "./config.js";

// The issue's example, exactly as written.
const EXAMPLE = `
ca:
  issuers:
    - url: https://token.actions.githubusercontent.com   # discovery at <url>/.well-known/openid-configuration
      type: github-workflow                               # SAN = https://github.com/ + job_workflow_ref (server URL configurable)
    - url: http://127.0.0.1:9000
      type: github-workflow
`;

const validate = new Ajv({ allErrors: true }).compile({
  type: "object",
  properties: { ca: { type: "object", properties: { issuers: ISSUERS_SCHEMA } } },
});

describe("ISSUERS_SCHEMA", () => {
  it("accepts the issue's vouch.yaml example as written, and resolveIssuers takes it", () => {
    const data = parse(EXAMPLE) as { ca: { issuers: IssuerConfig[] } };
    expect(validate(data), JSON.stringify(validate.errors)).toBe(true);
    const issuers = resolveIssuers(data.ca.issuers);
    expect(issuers.map((i) => [i.url, i.type, i.clientId, i.githubServerUrl])).toEqual([
      ["https://token.actions.githubusercontent.com", "github-workflow", "sigstore", "https://github.com"],
      ["http://127.0.0.1:9000", "github-workflow", "sigstore", "https://github.com"],
    ]);
  });

  it.each([
    [{ url: "https://a.example", type: "ldap" }, "/ca/issuers/0/type"],
    [{ url: "ftp://a.example", type: "email" }, "/ca/issuers/0/url"],
    [{ url: "https://a.example", type: "email", client_id: "x" }, "/ca/issuers/0"],
    [{ url: "https://a.example", type: "spiffe" }, "/ca/issuers/0"],
    [{ url: "https://a.example", type: "uri" }, "/ca/issuers/0"],
    [{ type: "email" }, "/ca/issuers/0"],
  ])("refuses %j at %s", (issuer, path) => {
    expect(validate({ ca: { issuers: [issuer] } })).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toContain(path);
  });
});

describe("resolveIssuers", () => {
  it("applies defaults and keeps per-type settings", () => {
    const [gh, spiffe, uri, username] = resolveIssuers([
      { url: "https://ghe.example.com/_services/token", type: "github-workflow", clientId: "vouch", githubServerUrl: "https://ghe.example.com/" },
      { url: "https://spire.example.org", type: "spiffe", spiffeTrustDomain: "example.org" },
      { url: "https://accounts.example.com", type: "uri", subjectDomain: "https://users.example.com" },
      { url: "https://accounts.example.com/u", type: "username", subjectDomain: "example.com" },
    ]);
    expect(gh).toMatchObject({ clientId: "vouch", githubServerUrl: "https://ghe.example.com", gitlabServerUrl: "https://gitlab.com" });
    expect(spiffe?.spiffeTrustDomain).toBe("example.org");
    expect(uri?.subjectDomain).toBe("https://users.example.com");
    expect(username?.subjectDomain).toBe("example.com");
  });

  it.each<[IssuerConfig, RegExp]>([
    [{ url: "http://issuer.example.com", type: "email" }, /plain-http issuer is accepted on loopback only/],
    [{ url: "https://a.example.com?x=1", type: "email" }, /no query/],
    [{ url: "not a url", type: "email" }, /is not a URL/],
    [{ url: "https://spire.example.org", type: "spiffe", spiffeTrustDomain: "Example.ORG" }, /valid spiffeTrustDomain/],
    [{ url: "https://*.spire.example.org", type: "spiffe", spiffeTrustDomain: "example.org" }, /cannot be a meta issuer/],
    [{ url: "https://accounts.example.com", type: "uri", subjectDomain: "https://evil.example.net" }, /not in the issuer's domain/],
    [{ url: "https://accounts.example.com", type: "uri", subjectDomain: "http://users.example.com" }, /scheme http: differs/],
    [{ url: "https://accounts.example.com", type: "username", subjectDomain: "https://example.com" }, /without a scheme/],
    [{ url: "https://accounts.example.com", type: "username", subjectDomain: "other.org" }, /not in the issuer's domain/],
  ])("refuses %j", (config, message) => {
    const err = thrownVouchError(() => resolveIssuers([config]));
    expect(err.code).toBe("INPUT_MALFORMED");
    expect(err.message).toMatch(message);
  });

  it("refuses an issuer listed twice", () => {
    const twice: IssuerConfig = { url: "https://a.example.com", type: "email" };
    expect(thrownVouchError(() => resolveIssuers([twice, twice])).message).toMatch(/listed twice/);
  });

  it("accepts plain http on a non-loopback host only when the unsafe option says so", () => {
    expect(resolveIssuers([{ url: "http://dex.internal:5556", type: "email", allowInsecureHttpUnsafe: true }])).toHaveLength(1);
  });
});

describe("matchIssuer", () => {
  const issuers = resolveIssuers([
    { url: "https://token.actions.githubusercontent.com", type: "github-workflow" },
    { url: "https://oidc.eks.*.amazonaws.com/id/*", type: "kubernetes" },
  ]);

  it("matches exact issuers by string equality only", () => {
    expect(matchIssuer(issuers, "https://token.actions.githubusercontent.com")?.type).toBe("github-workflow");
    expect(matchIssuer(issuers, "https://token.actions.githubusercontent.com/")).toBeUndefined();
  });

  it("matches a meta issuer one label or segment per wildcard, and returns the token's issuer as url", () => {
    const iss = "https://oidc.eks.us-west-2.amazonaws.com/id/B02C93B6A2D30341AD01E1B6D48164CB";
    const matched = matchIssuer(issuers, iss);
    expect(matched).toMatchObject({ url: iss, type: "kubernetes", clientId: "sigstore" });
    expect(matched?.pattern).toBeUndefined();
  });

  it.each([
    "https://oidc.eks.us-west-2.evil.com/.amazonaws.com/id/x", // a wildcard never spans '.' or '/'
    "https://oidc.eks.a.b.amazonaws.com/id/x",
    "https://oidc.eks.us-west-2.amazonaws.com/id/x/y",
    "https://oidc.eks.us-west-2.amazonaws.com/id/x?y",
    "xhttps://oidc.eks.us-west-2.amazonaws.com/id/x", // anchored at both ends
    "https://oidc.eks..amazonaws.com/id/x",
  ])("does not let %s through a wildcard", (iss) => {
    expect(matchIssuer(issuers, iss)).toBeUndefined();
  });
});

describe("fulcioConfiguration", () => {
  it("describes each issuer as Fulcio's /api/v2/configuration does, with its challenge claim", () => {
    const issuers = resolveIssuers([
      { url: "https://accounts.google.com", type: "email" },
      { url: "https://spire.example.org", type: "spiffe", spiffeTrustDomain: "example.org", clientId: "fulcio" },
      { url: "https://container.googleapis.com/v1/projects/*/locations/*/clusters/*", type: "kubernetes" },
    ]);
    expect(fulcioConfiguration(issuers)).toEqual({
      issuers: [
        { issuerUrl: "https://accounts.google.com", audience: "sigstore", challengeClaim: "email", spiffeTrustDomain: "" },
        { issuerUrl: "https://spire.example.org", audience: "fulcio", challengeClaim: "sub", spiffeTrustDomain: "example.org" },
        { wildcardIssuerUrl: "https://container.googleapis.com/v1/projects/*/locations/*/clusters/*", audience: "sigstore", challengeClaim: "sub", spiffeTrustDomain: "" },
      ],
    });
  });
});
