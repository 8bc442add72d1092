import { createHash, verify as nodeVerify } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseBundle } from "../bundle/parse.js";
import { generateKeyPair, keyId } from "../core/crypto/keys.js";
import { preAuthEncoding } from "../core/dsse/pae.js";
import { parseStatement } from "../core/intoto/statement.js";
import { KeySigner } from "../sign/key-signer.js";
import { attestFiles, generateProvenance, predicateTypeOf } from "./attest.js";
import { signFile } from "./sign.js";
import { rejectedVouchError } from "../../test/support/errors.js";

const work = mkdtempSync(join(tmpdir(), "vouch-attest-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const pair = generateKeyPair();
const signer = new KeySigner(pair.privateKey);
const file = (name: string, content: string): string => {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
};
const sha256 = (s: string): string => createHash("sha256").update(s).digest("hex");
const app = file("app.tgz", "app bytes");
const lib = file("lib.tgz", "lib bytes");
const provenance = { buildDefinition: { buildType: "https://example.com/bt", externalParameters: {} }, runDetails: { builder: { id: "https://example.com/b" } } };


describe("attestFiles", () => {
  it("an in-toto Statement v1 over the subjects' sha256, DSSE-signed over PAE, in a v0.3 bundle", async () => {
    const a = await attestFiles([app, lib], { type: "slsaprovenance", predicate: provenance, signer });
    expect(a.predicateType).toBe("https://slsa.dev/provenance/v1");
    expect(a.statement).toEqual({
      _type: "https://in-toto.io/Statement/v1",
      subject: [
        { name: "app.tgz", digest: { sha256: sha256("app bytes") } },
        { name: "lib.tgz", digest: { sha256: sha256("lib bytes") } },
      ],
      predicateType: "https://slsa.dev/provenance/v1",
      predicate: provenance,
    });
    const bundle = parseBundle(a.bundleJson);
    expect(bundle.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    expect(bundle.material).toEqual({ kind: "publicKey", hint: keyId(pair.publicKey) });
    if (bundle.content.kind !== "dsseEnvelope") throw new Error("not DSSE");
    const { envelope } = bundle.content;
    expect(envelope.payloadType).toBe("application/vnd.in-toto+json");
    expect(parseStatement(envelope.payload)).toEqual(a.statement);
    expect(nodeVerify("sha256", preAuthEncoding(envelope.payloadType, envelope.payload), pair.publicKey, envelope.signatures[0]!.sig)).toBe(true);
  });

  it("reads the predicate from a file and checks it is what --type says", async () => {
    const cdx = file("bom.json", JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.6" }));
    const ok = await attestFiles([app], { type: "cyclonedx", predicatePath: cdx, signer });
    expect(ok.statement.predicate).toEqual({ bomFormat: "CycloneDX", specVersion: "1.6" });
    const e = await rejectedVouchError(() => attestFiles([app], { type: "slsaprovenance", predicatePath: cdx, signer }));
    expect(e.code).toBe("INPUT_MALFORMED");
    expect(e.describe()).toBe(`${cdx}: the predicate is not SLSA Provenance v1 (buildDefinition.buildType and runDetails.builder.id are required)`);
    expect((await rejectedVouchError(() => attestFiles([app], { type: "spdx", predicatePath: cdx, signer }))).code).toBe("INPUT_MALFORMED");
    expect((await rejectedVouchError(() => attestFiles([app], { type: "openvex", predicatePath: cdx, signer }))).code).toBe("INPUT_MALFORMED");
    // A URI type takes any JSON object.
    expect((await attestFiles([app], { type: "https://example.com/my-predicate/v1", predicatePath: cdx, signer })).predicateType).toBe("https://example.com/my-predicate/v1");
  });

  it("refuses a predicate that is not a JSON object, with the line of a syntax error", async () => {
    const bad = file("bad.json", '{\n  "a": 1,\n  oops\n}');
    const e = await rejectedVouchError(() => attestFiles([app], { type: "custom", predicatePath: bad, signer }));
    expect(e.code).toBe("INPUT_MALFORMED");
    expect(e.location).toEqual({ file: bad, line: 3 });
    const list = file("list.json", "[1,2]");
    expect((await rejectedVouchError(() => attestFiles([app], { type: "custom", predicatePath: list, signer }))).message).toBe("a predicate must be a JSON object");
    expect((await rejectedVouchError(() => attestFiles([app], { type: "custom", predicatePath: join(work, "none.json"), signer }))).code).toBe("INPUT_NOT_FOUND");
    expect((await rejectedVouchError(() => attestFiles([app], { type: "custom", signer }))).code).toBe("INPUT_USAGE");
  });

  it("refuses an unknown type, no subjects, a missing or directory subject, and two different files under one name", async () => {
    expect((await rejectedVouchError(() => attestFiles([app], { type: "sbom", predicate: {}, signer }))).code).toBe("INPUT_USAGE");
    expect(() => predicateTypeOf("slsa provenance")).toThrow(/unknown predicate type/);
    expect((await rejectedVouchError(() => attestFiles([], { type: "custom", predicate: {}, signer }))).code).toBe("INPUT_USAGE");
    expect((await rejectedVouchError(() => attestFiles([join(work, "missing")], { type: "custom", predicate: {}, signer }))).code).toBe("INPUT_NOT_FOUND");
    expect((await rejectedVouchError(() => attestFiles([work], { type: "custom", predicate: {}, signer }))).code).toBe("INPUT_USAGE");
    mkdirSync(join(work, "other"));
    const twin = join(work, "other", "app.tgz");
    writeFileSync(twin, "different bytes");
    const e = await rejectedVouchError(() => attestFiles([app, twin], { type: "custom", predicate: {}, signer }));
    expect(e.message).toBe('two different subjects are named "app.tgz": attest them separately');
    // The same file twice is one subject.
    expect((await attestFiles([app, app], { type: "custom", predicate: {}, signer })).statement.subject).toHaveLength(1);
  });
});

describe("signFile", () => {
  it("a messageSignature bundle whose signature verifies over the file", async () => {
    const s = await signFile(app, { signer });
    expect(s.sha256).toBe(sha256("app bytes"));
    const bundle = parseBundle(s.bundleJson);
    if (bundle.content.kind !== "messageSignature") throw new Error("not a message signature");
    expect(Buffer.from(bundle.content.digest!.value).toString("hex")).toBe(sha256("app bytes"));
    expect(nodeVerify("sha256", Buffer.from("app bytes"), pair.publicKey, bundle.content.signature)).toBe(true);
    expect((await rejectedVouchError(() => signFile(join(work, "missing"), { signer }))).code).toBe("INPUT_NOT_FOUND");
    expect((await rejectedVouchError(() => signFile(work, { signer }))).code).toBe("INPUT_USAGE");
    expect((await rejectedVouchError(() => signFile(app, {}))).code).toBe("INPUT_USAGE");
  });
});

describe("generateProvenance", () => {
  it("reads the environment, SOURCE_DATE_EPOCH and the SBOM file", () => {
    const sbomText = JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.6", components: [] });
    const sbomPath = file("sbom.cdx.json", sbomText);
    const p = generateProvenance({
      env: { GITLAB_CI: "true", CI_PROJECT_URL: "https://gitlab.com/g/p", CI_JOB_ID: "5", CI_RUNNER_ID: "9", SOURCE_DATE_EPOCH: "1700000000" },
      sbomPath,
      now: () => new Date("2030-01-01T00:00:00Z"),
    });
    expect(p.runDetails.metadata).toEqual({ invocationId: "https://gitlab.com/g/p/-/jobs/5", finishedOn: "2023-11-14T22:13:20Z" });
    expect(p.runDetails.byproducts).toEqual([{ name: "sbom.cdx.json", digest: { sha256: sha256(sbomText) }, mediaType: "application/vnd.cyclonedx+json" }]);
  });

  it("outside CI, reads the git checkout of cwd", () => {
    const repo = join(work, "repo");
    mkdirSync(join(repo, ".git", "refs", "heads"), { recursive: true });
    writeFileSync(join(repo, ".git", "HEAD"), "ref: refs/heads/main\n");
    writeFileSync(join(repo, ".git", "refs", "heads", "main"), `${"ab".repeat(20)}\n`);
    writeFileSync(join(repo, ".git", "config"), '[remote "origin"]\n\turl = https://user:token@example.com/acme/widget.git\n');
    const p = generateProvenance({ env: {}, cwd: repo, now: () => new Date("2030-01-01T00:00:00Z") });
    expect(p.buildDefinition.resolvedDependencies).toEqual([{ uri: "git+https://example.com/acme/widget.git@refs/heads/main", digest: { gitCommit: "ab".repeat(20) } }]);
    expect(JSON.stringify(p)).not.toContain("token");
  });
});
