import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { buildCertificate, extension, ia5, utf8 } from "../../../test/support/x509-builder.js";
import { SIGSTORE, SIGSTORE_JS_BUNDLES, fixtureBundle } from "../../../test/support/x509-fixtures.js";
import { checkIdentity, type IdentityPolicy } from "./identity.js";

const GO = join(SIGSTORE, "sigstore-go", "pkg", "testing", "data", "bundles");
const github = fixtureBundle(join(GO, "sigstore.js@2.0.0-provenance.sigstore.json")).certificates[0]!;
const email = fixtureBundle(join(SIGSTORE_JS_BUNDLES, "bundleV01-intoto-with-proof.sigstore")).certificates[0]!;
const otherName = fixtureBundle(join(GO, "othername.sigstore.json")).certificates[0]!;

const WORKFLOW = "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main";
const ACTIONS = "https://token.actions.githubusercontent.com";

const refused = (leaf: Uint8Array, policy: IdentityPolicy) => {
  const err = thrownVouchError(() => checkIdentity(leaf, policy));
  expect(err.code).toBe("VERIFY_IDENTITY");
  return err.message;
};

describe("checkIdentity: subject and issuer", () => {
  it("accepts the sigstore-js bundles' signer (email SAN, GitHub OAuth issuer)", () => {
    const id = checkIdentity(email, { subject: "brian@dehamer.com", issuer: "https://github.com/login/oauth" });
    expect(id).toEqual({
      subject: "brian@dehamer.com",
      subjectType: "email",
      issuer: "https://github.com/login/oauth",
      extensions: { issuerV1: "https://github.com/login/oauth", issuer: "https://github.com/login/oauth" },
    });
  });

  it("accepts a GitHub Actions workflow identity and returns its claims", () => {
    const id = checkIdentity(github, { subject: WORKFLOW, issuer: ACTIONS });
    expect(id.subject).toBe(WORKFLOW);
    expect(id.subjectType).toBe("uri");
    expect(id.extensions.sourceRepositoryURI).toBe("https://github.com/sigstore/sigstore-js");
    expect(id.extensions.runnerEnvironment).toBe("github-hosted");
  });

  it("names the subject or issuer that does not match", () => {
    expect(refused(email, { subject: "brian@dehamer.co" })).toBe(
      'subject: the certificate identity "brian@dehamer.com" does not match the required "brian@dehamer.co"',
    );
    expect(refused(email, { subject: "brian@dehamer.com", issuer: ACTIONS })).toBe(
      `issuer: the certificate's OIDC issuer "https://github.com/login/oauth" is not the required "${ACTIONS}"`,
    );
  });

  it("anchors regular expressions: a pattern that only matches a substring does not pass", () => {
    expect(checkIdentity(github, { subjectRegExp: "https://github\\.com/sigstore/sigstore-js/\\.github/workflows/.*", issuerRegExp: "https://token\\.actions\\.githubusercontent\\.com" }).subject).toBe(WORKFLOW);
    expect(refused(github, { subjectRegExp: "sigstore/sigstore-js" })).toContain("does not match the required /^(?:sigstore\\/sigstore-js)$/");
    expect(refused(github, { subjectRegExp: /https:\/\/github\.com\/sigstore\// })).toContain("subject:");
    expect(refused(github, { issuerRegExp: "githubusercontent" })).toContain("issuer:");
    // an alternation cannot escape the anchors
    expect(refused(email, { subjectRegExp: "nobody@example\\.com|dehamer" })).toContain("subject:");
    expect(checkIdentity(email, { subjectRegExp: ".*@dehamer\\.com" }).subject).toBe("brian@dehamer.com");
  });

  it("keeps a RegExp's flags but not its statefulness", () => {
    const re = /BRIAN@DEHAMER\.COM/gi;
    expect(checkIdentity(email, { subjectRegExp: re }).subject).toBe("brian@dehamer.com");
    expect(checkIdentity(email, { subjectRegExp: re }).subject).toBe("brian@dehamer.com");
  });

  it("requires both an exact subject and a regexp when both are given", () => {
    expect(refused(email, { subject: "brian@dehamer.com", subjectRegExp: ".*@example\\.com" })).toContain('"brian@dehamer.com" and /^(?:.*@example\\.com)$/');
  });

  it("matches an otherName SAN exactly (sigstore-go othername: foo!oidc.local, not foo@oidc.local)", () => {
    expect(checkIdentity(otherName, { subject: "foo!oidc.local", issuer: "http://oidc.local:8080" }).subjectType).toBe("otherName");
    expect(refused(otherName, { subject: "foo@oidc.local" })).toContain("subject:");
  });

  it("returns the first SAN when the policy names no subject", () => {
    expect(checkIdentity(github, {}).subject).toBe(WORKFLOW);
  });

  it("refuses certificates without a SAN or issuer, and with disagreeing issuer extensions", () => {
    const bare = buildCertificate({ subject: "x" }).der;
    expect(refused(bare, {})).toBe("the signing certificate has no subject alternative name to identify the signer");
    const noIssuer = buildCertificate({ subject: "", san: [ia5(0x81, "a@example.com")] }).der;
    expect(refused(noIssuer, { issuer: ACTIONS })).toContain("has no OIDC issuer extension");
    const conflicting = buildCertificate({
      subject: "",
      san: [ia5(0x81, "a@example.com")],
      extensions: [
        extension("1.3.6.1.4.1.57264.1.1", false, new Uint8Array(Buffer.from("https://accounts.google.com"))),
        extension("1.3.6.1.4.1.57264.1.8", false, utf8(ACTIONS)),
      ],
    }).der;
    expect(refused(conflicting, { issuer: ACTIONS })).toContain("issuer extensions disagree");
    const malformed = buildCertificate({
      subject: "",
      san: [ia5(0x81, "a@example.com")],
      extensions: [extension("1.3.6.1.4.1.57264.1.8", false, new Uint8Array(Buffer.from(ACTIONS)))],
    }).der;
    expect(refused(malformed, { issuer: ACTIONS })).toContain("issuer: certificate extension 1.3.6.1.4.1.57264.1.8 is malformed");
    // a policy that does not ask about the issuer is not refused over it
    expect(checkIdentity(malformed, { subject: "a@example.com" })).toEqual({ subject: "a@example.com", subjectType: "email", extensions: {} });
  });
});

describe("checkIdentity: extensions (cosign --certificate-github-workflow-* and OID=VALUE)", () => {
  it("checks the GitHub workflow claims against v1 and v2 extensions", () => {
    const policy: IdentityPolicy = {
      subject: WORKFLOW,
      issuer: ACTIONS,
      extensions: {
        githubWorkflowTrigger: "push",
        githubWorkflowSHA: "f0b49a04e5a62250e0f60fb128004a73110fe311",
        githubWorkflowName: "Release",
        githubWorkflowRepository: "sigstore/sigstore-js",
        githubWorkflowRef: "refs/heads/main",
        runnerEnvironment: "github-hosted",
        "1.3.6.1.4.1.57264.1.22": "public",
      },
    };
    expect(checkIdentity(github, policy).subject).toBe(WORKFLOW);
    // the repository may be given in either form
    expect(checkIdentity(github, { extensions: { githubWorkflowRepository: "https://github.com/sigstore/sigstore-js" } }).subject).toBe(WORKFLOW);
  });

  it("names the extension that does not match", () => {
    expect(refused(github, { extensions: { githubWorkflowTrigger: "pull_request" } })).toBe(
      'githubWorkflowTrigger: certificate extension 1.3.6.1.4.1.57264.1.2 is "push", the policy requires "pull_request"',
    );
    expect(refused(github, { extensions: { githubWorkflowRepository: "sigstore/sigstore-go" } })).toContain("githubWorkflowRepository:");
    expect(refused(github, { extensions: { "1.3.6.1.4.1.57264.1.11": "self-hosted" } })).toBe(
      'runnerEnvironment: certificate extension 1.3.6.1.4.1.57264.1.11 is "github-hosted", the policy requires "self-hosted"',
    );
    expect(refused(github, { extensions: { deploymentEnvironment: "production" } })).toBe(
      "deploymentEnvironment: the signing certificate has no 1.3.6.1.4.1.57264.1.23 extension",
    );
    expect(refused(email, { extensions: { githubWorkflowRef: "refs/heads/main" } })).toBe(
      "githubWorkflowRef: the signing certificate has no 1.3.6.1.4.1.57264.1.6 or 1.3.6.1.4.1.57264.1.14 (sourceRepositoryRef) extension",
    );
    expect(refused(github, { extensions: { "1.2.3.4": "x" } })).toBe("1.2.3.4: the signing certificate has no extension 1.2.3.4");
  });

  it("uses the v2 successor when a certificate has no v1 GitHub extensions", () => {
    const v2only = buildCertificate({
      subject: "",
      san: [ia5(0x86, "https://github.com/o/r/.github/workflows/w.yml@refs/tags/v1")],
      extensions: [
        extension("1.3.6.1.4.1.57264.1.12", false, utf8("https://github.com/o/r")),
        extension("1.3.6.1.4.1.57264.1.14", false, utf8("refs/tags/v1")),
        extension("1.3.6.1.4.1.57264.1.20", false, utf8("release")),
      ],
    }).der;
    expect(checkIdentity(v2only, { extensions: { githubWorkflowRepository: "o/r", githubWorkflowRef: "refs/tags/v1", githubWorkflowTrigger: "release" } }).subject).toContain(
      "github.com/o/r",
    );
    expect(refused(v2only, { extensions: { githubWorkflowRepository: "o/other" } })).toBe(
      'githubWorkflowRepository: certificate extension 1.3.6.1.4.1.57264.1.12 (sourceRepositoryURI) is "https://github.com/o/r", the policy requires "o/other"',
    );
    expect(refused(v2only, { extensions: { githubWorkflowName: "Release" } })).toContain("has no 1.3.6.1.4.1.57264.1.4 extension");
  });

  it("refuses when v1 and v2 claims disagree with each other's requirement", () => {
    const split = buildCertificate({
      subject: "",
      san: [ia5(0x81, "a@example.com")],
      extensions: [
        extension("1.3.6.1.4.1.57264.1.6", false, new Uint8Array(Buffer.from("refs/heads/main"))),
        extension("1.3.6.1.4.1.57264.1.14", false, utf8("refs/heads/evil")),
      ],
    }).der;
    expect(refused(split, { extensions: { githubWorkflowRef: "refs/heads/main" } })).toContain("(sourceRepositoryRef) is \"refs/heads/evil\"");
  });
});

describe("checkIdentity: unusable policies", () => {
  it("are usage errors, not verification failures", () => {
    expect(thrownVouchError(() => checkIdentity(email, { subjectRegExp: "(" })).code).toBe("INPUT_USAGE");
    expect(thrownVouchError(() => checkIdentity(email, { subject: "" })).code).toBe("INPUT_USAGE");
    expect(thrownVouchError(() => checkIdentity(email, { issuerRegExp: "" })).code).toBe("INPUT_USAGE");
    const unknown = thrownVouchError(() => checkIdentity(email, { extensions: { workflowRepository: "x" } }));
    expect(unknown.code).toBe("INPUT_USAGE");
    expect(unknown.message).toContain('unknown certificate extension "workflowRepository"');
  });

  it("reports an unparseable certificate under VERIFY_IDENTITY", () => {
    expect(thrownVouchError(() => checkIdentity(new Uint8Array([1]), {})).code).toBe("VERIFY_IDENTITY");
  });
});
