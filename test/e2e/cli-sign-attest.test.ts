import { createHash, createPublicKey, verify as nodeVerify } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { vouch } from "../support/cli.js";

const work = mkdtempSync(join(tmpdir(), "vouch-sign-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const PASSWORD = { VOUCH_PASSWORD: "correct horse battery staple" };
const BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json";
const sha256 = (b: Uint8Array | string): string => createHash("sha256").update(b).digest("hex");

function artifact(name: string, content: string): string {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
}

/** DSSE v1 PAE, written out here independently of vouch's (DSSE protocol.md). */
function pae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe("vouch key generate", () => {
  it("writes PREFIX.key (encrypted, 0600) and PREFIX.pub, and never overwrites them", () => {
    const prefix = join(work, "cosign");
    const r = vouch(["key", "generate", "--out", prefix], { env: PASSWORD });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: `Private key written to ${prefix}.key\nPublic key written to ${prefix}.pub\n` });
    expect(statSync(`${prefix}.key`).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${prefix}.key`, "utf8")).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    expect(readFileSync(`${prefix}.pub`, "utf8")).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const before = readFileSync(`${prefix}.key`, "utf8");

    const again = vouch(["key", "generate", "--out", prefix], { env: PASSWORD });
    expect(again.code).toBe(2);
    expect(oneLine(again.stderr)).toBe(`vouch: ${prefix}.key: already exists: refusing to overwrite a key file (remove it or pick another --out)`);
    expect(readFileSync(`${prefix}.key`, "utf8")).toBe(before);
  });

  it("Ed25519, -o json, a password file; no password source and no terminal is exit 2", () => {
    const pw = artifact("pw.txt", "from a file\n");
    const r = vouch(["key", "generate", "--out", join(work, "ed"), "--algorithm", "ed25519", "--password-file", pw, "-o", "json"]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.algorithm).toBe("ed25519");
    const der = createPublicKey(readFileSync(join(work, "ed.pub"), "utf8")).export({ type: "spki", format: "der" });
    expect(summary.keyId).toBe(sha256(der));

    const none = vouch(["key", "generate", "--out", join(work, "nopw")]);
    expect(none.code).toBe(2);
    expect(oneLine(none.stderr)).toBe("vouch: a key password is needed: set VOUCH_PASSWORD or pass --password-file FILE (no terminal to ask on)");
    expect(existsSync(join(work, "nopw.key"))).toBe(false);
    expect(vouch(["key", "generate", "--out", join(work, "rsa"), "--algorithm", "rsa"], { env: PASSWORD }).code).toBe(2);
  });
});

describe("vouch sign", () => {
  const prefix = join(work, "signing");
  const keyed = (): void => {
    if (!existsSync(`${prefix}.key`)) expect(vouch(["key", "generate", "--out", prefix], { env: PASSWORD }).code).toBe(0);
  };

  it("writes FILE.sigstore.json: a v0.3 messageSignature bundle that node:crypto verifies with the .pub key", () => {
    keyed();
    const file = artifact("release.tar.gz", "release contents\n");
    const r = vouch(["sign", file, "--key", `${prefix}.key`], { env: PASSWORD });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Signed ${file} (sha256:${sha256("release contents\n")}); bundle written to ${file}.sigstore.json\n`);
    const bundle = JSON.parse(readFileSync(`${file}.sigstore.json`, "utf8"));
    expect(bundle.mediaType).toBe(BUNDLE_V03);
    const pub = createPublicKey(readFileSync(`${prefix}.pub`, "utf8"));
    expect(bundle.verificationMaterial).toEqual({ publicKey: { hint: sha256(pub.export({ type: "spki", format: "der" })) }, tlogEntries: [] });
    expect(bundle.messageSignature.messageDigest).toEqual({ algorithm: "SHA2_256", digest: createHash("sha256").update("release contents\n").digest("base64") });
    const signature = Buffer.from(bundle.messageSignature.signature, "base64");
    expect(nodeVerify("sha256", readFileSync(file), pub, signature)).toBe(true);
    expect(nodeVerify("sha256", Buffer.from("other contents"), pub, signature)).toBe(false);
  });

  it("-o json summary, --bundle OUT, --bundle - (stdout), and an env:// key", () => {
    keyed();
    const file = artifact("app.bin", "app");
    const out = join(work, "app.bundle.json");
    const r = vouch(["sign", file, "--key", `${prefix}.key`, "--bundle", out, "-o", "json"], { env: PASSWORD });
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ artifact: file, digest: { sha256: sha256("app") }, bundle: out, mediaType: BUNDLE_V03 });
    expect(JSON.parse(readFileSync(out, "utf8")).mediaType).toBe(BUNDLE_V03);

    const fromEnv = vouch(["sign", file, "--key", "env://SIGNING_KEY", "--bundle", "-"], { env: { ...PASSWORD, SIGNING_KEY: readFileSync(`${prefix}.key`, "utf8") } });
    expect(fromEnv.code).toBe(0);
    const bundle = JSON.parse(fromEnv.stdout);
    expect(bundle.verificationMaterial.publicKey.hint).toBe(summary.keyId);
    const pub = createPublicKey(readFileSync(`${prefix}.pub`, "utf8"));
    expect(nodeVerify("sha256", Buffer.from("app"), pub, Buffer.from(bundle.messageSignature.signature, "base64"))).toBe(true);
  });

  it("Ed25519 keys sign too", () => {
    const ed = join(work, "ed-sign");
    expect(vouch(["key", "generate", "--out", ed, "--algorithm", "ed25519"], { env: PASSWORD }).code).toBe(0);
    const file = artifact("ed.txt", "ed25519 artifact");
    expect(vouch(["sign", file, "--key", `${ed}.key`], { env: PASSWORD }).code).toBe(0);
    const bundle = JSON.parse(readFileSync(`${file}.sigstore.json`, "utf8"));
    const pub = createPublicKey(readFileSync(`${ed}.pub`, "utf8"));
    expect(nodeVerify(null, Buffer.from("ed25519 artifact"), pub, Buffer.from(bundle.messageSignature.signature, "base64"))).toBe(true);
  });

  it("input errors are exit 2 with one line: wrong password, no password in CI, missing file, missing key", () => {
    keyed();
    const file = artifact("x.txt", "x");
    const wrong = vouch(["sign", file, "--key", `${prefix}.key`], { env: { VOUCH_PASSWORD: "nope" } });
    expect(wrong.code).toBe(2);
    expect(oneLine(wrong.stderr)).toBe(`vouch: ${prefix}.key: cannot decrypt the private key: wrong password (or a damaged key file)`);
    const ci = vouch(["sign", file, "--key", `${prefix}.key`]);
    expect(ci.code).toBe(2);
    expect(oneLine(ci.stderr)).toMatch(/set VOUCH_PASSWORD or pass --password-file FILE \(no terminal to ask on\)$/);
    expect(vouch(["sign", join(work, "missing.txt"), "--key", `${prefix}.key`], { env: PASSWORD }).code).toBe(2);
    const noKey = vouch(["sign", file, "--key", join(work, "missing.key")], { env: PASSWORD });
    expect(noKey.code).toBe(2);
    expect(oneLine(noKey.stderr)).toBe(`vouch: ${join(work, "missing.key")}: no such key file`);
    expect(vouch(["sign", file], { env: PASSWORD }).code).toBe(2); // --key is required
    expect(existsSync(`${file}.sigstore.json`)).toBe(false);
  });
});

describe("vouch provenance + vouch attest", () => {
  const prefix = join(work, "attesting");
  const GITHUB = {
    GITHUB_ACTIONS: "true",
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_REPOSITORY: "acme/widget",
    GITHUB_REPOSITORY_ID: "1",
    GITHUB_REPOSITORY_OWNER_ID: "2",
    GITHUB_EVENT_NAME: "push",
    GITHUB_REF: "refs/tags/v1.0.0",
    GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567",
    GITHUB_WORKFLOW_REF: "acme/widget/.github/workflows/release.yml@refs/tags/v1.0.0",
    GITHUB_RUN_ID: "777",
    GITHUB_RUN_ATTEMPT: "1",
    RUNNER_ENVIRONMENT: "github-hosted",
    SOURCE_DATE_EPOCH: "1700000000",
  };

  it("provenance from GitHub Actions variables, linking the SBOM, attested as slsaprovenance and verifiable over PAE", () => {
    expect(vouch(["key", "generate", "--out", prefix], { env: PASSWORD }).code).toBe(0);
    const file = artifact("widget-1.0.0.tgz", "widget");
    const sbomText = '{"bomFormat":"CycloneDX","specVersion":"1.6"}';
    const sbom = artifact("widget.cdx.json", sbomText);
    const provPath = join(work, "provenance.json");
    const p = vouch(["provenance", file, "--sbom", sbom, "-o", provPath], { env: GITHUB });
    expect(p.code).toBe(0);
    const predicate = JSON.parse(readFileSync(provPath, "utf8"));
    expect(predicate).toEqual({
      buildDefinition: {
        buildType: "https://actions.github.io/buildtypes/workflow/v1",
        externalParameters: { workflow: { ref: "refs/tags/v1.0.0", repository: "https://github.com/acme/widget", path: ".github/workflows/release.yml" } },
        internalParameters: { github: { event_name: "push", repository_id: "1", repository_owner_id: "2", runner_environment: "github-hosted" } },
        resolvedDependencies: [{ uri: "git+https://github.com/acme/widget@refs/tags/v1.0.0", digest: { gitCommit: "0123456789abcdef0123456789abcdef01234567" } }],
      },
      runDetails: {
        builder: { id: "https://github.com/actions/runner/github-hosted" },
        metadata: { invocationId: "https://github.com/acme/widget/actions/runs/777/attempts/1", finishedOn: "2023-11-14T22:13:20Z" },
        byproducts: [{ name: "widget.cdx.json", digest: { sha256: sha256(sbomText) }, mediaType: "application/vnd.cyclonedx+json" }],
      },
    });

    const r = vouch(["attest", file, "--type", "slsaprovenance", "--predicate", provPath, "--key", `${prefix}.key`], { env: PASSWORD });
    expect(r.code).toBe(0);
    const bundlePath = `${file}.slsaprovenance.sigstore.json`;
    expect(r.stdout).toBe(`Attested ${file} (https://slsa.dev/provenance/v1); bundle written to ${bundlePath}\n`);
    const bundle = JSON.parse(readFileSync(bundlePath, "utf8"));
    expect(bundle.mediaType).toBe(BUNDLE_V03);
    const { payload, payloadType, signatures } = bundle.dsseEnvelope;
    expect(payloadType).toBe("application/vnd.in-toto+json");
    const body = Buffer.from(payload, "base64");
    const statement = JSON.parse(body.toString("utf8"));
    expect(statement).toEqual({
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ name: "widget-1.0.0.tgz", digest: { sha256: sha256("widget") } }],
      predicateType: "https://slsa.dev/provenance/v1",
      predicate,
    });
    const pub = createPublicKey(readFileSync(`${prefix}.pub`, "utf8"));
    expect(signatures).toHaveLength(1);
    expect(signatures[0].keyid).toBe(bundle.verificationMaterial.publicKey.hint);
    expect(nodeVerify("sha256", pae(payloadType, body), pub, Buffer.from(signatures[0].sig, "base64"))).toBe(true);
    expect(nodeVerify("sha256", body, pub, Buffer.from(signatures[0].sig, "base64"))).toBe(false);
  });

  it("several subjects into --bundle, -o json; a URI type; the statement form of vouch provenance", () => {
    if (!existsSync(`${prefix}.key`)) expect(vouch(["key", "generate", "--out", prefix], { env: PASSWORD }).code).toBe(0);
    const a = artifact("a.bin", "a");
    const b = artifact("b.bin", "b");
    const predicate = artifact("custom.json", '{"anything": ["goes"]}');
    const out = join(work, "ab.sigstore.json");
    const r = vouch(["attest", a, b, "--type", "https://example.com/review/v1", "--predicate", predicate, "--key", `${prefix}.key`, "--bundle", out, "-o", "json"], { env: PASSWORD });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      subjects: [
        { name: "a.bin", digest: { sha256: sha256("a") } },
        { name: "b.bin", digest: { sha256: sha256("b") } },
      ],
      predicateType: "https://example.com/review/v1",
      bundle: out,
      mediaType: BUNDLE_V03,
    });

    const s = vouch(["provenance", a, "--statement"], { env: GITHUB });
    expect(s.code).toBe(0);
    const statement = JSON.parse(s.stdout);
    expect(statement.subject).toEqual([{ name: "a.bin", digest: { sha256: sha256("a") } }]);
    expect(statement.predicateType).toBe("https://slsa.dev/provenance/v1");
  });

  it("input errors are exit 2 with one line", () => {
    const a = artifact("c.bin", "c");
    const predicate = artifact("p.json", "{}");
    const key = `${prefix}.key`;
    const unknown = vouch(["attest", a, "--type", "sbom", "--predicate", predicate, "--key", key], { env: PASSWORD });
    expect(unknown.code).toBe(2);
    expect(oneLine(unknown.stderr)).toMatch(/^vouch: unknown predicate type "sbom": use one of slsaprovenance, /);
    const several = vouch(["attest", a, a, "--type", "custom", "--predicate", predicate, "--key", key], { env: PASSWORD });
    expect(oneLine(several.stderr)).toBe("vouch: --bundle FILE is needed when attesting several subjects");
    const notProvenance = vouch(["attest", a, "--type", "slsaprovenance", "--predicate", predicate, "--key", key], { env: PASSWORD });
    expect(notProvenance.code).toBe(2);
    expect(oneLine(notProvenance.stderr)).toMatch(/the predicate is not SLSA Provenance v1/);
    expect(vouch(["provenance", join(work, "missing.bin")]).code).toBe(2);
    expect(vouch(["provenance", "--started-on", "yesterday"]).code).toBe(2);
  });
});
