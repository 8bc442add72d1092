import { createHash, generateKeyPairSync } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { vouch } from "../support/cli.js";

const REPO = join(import.meta.dirname, "..", "..");
const POLICIES = join(REPO, "src", "policy", "fixtures", "policies");
const CONFORMANCE = join(REPO, "test", "fixtures", "sigstore", "conformance", "test", "assets");
const MANAGED = join(CONFORMANCE, "bundle-verify", "managed-key-happy-path");
const SLSA = join(REPO, "test", "fixtures", "slsa");
/** The artifact the conformance managed-key bundle signs, standing for an image digest. */
const DIGEST = `sha256:${createHash("sha256").update(readFileSync(join(CONFORMANCE, "a.txt"))).digest("hex")}`;

const dir = mkdtempSync(join(tmpdir(), "vouch-policy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** A P-256 key that signed nothing: the wrong release key. */
const WRONG_KEY = join(dir, "wrong.pub");
writeFileSync(WRONG_KEY, generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }));

/** The first policy, its key path pointed at a real key (the issue's /etc/vouch/release.pub is not here). */
function releaseKeyPolicy(keyPath: string, extra = ""): string {
  const file = join(dir, `release-${createHash("sha256").update(keyPath + extra).digest("hex").slice(0, 8)}.yaml`);
  const text = readFileSync(join(POLICIES, "issue-10.yaml"), "utf8").split("\n---\n")[0]!.replace("/etc/vouch/release.pub", keyPath);
  writeFileSync(file, `${text}\n${extra}`);
  return file;
}

describe("vouch policy validate", () => {
  it("accepts the issue's two policies and names them", () => {
    const r = vouch(["policy", "validate", join(POLICIES, "issue-10.yaml")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("document 1: ImagePolicy signed-by-release-key (enforce): valid");
    expect(r.stdout).toContain("document 2: ImagePolicy keyless-with-provenance (warn): valid");
    expect(r.stdout).toContain("2 policies in 1 file: valid");
  });

  it("-o json lists every policy of a directory", () => {
    const r0 = vouch(["policy", "validate", POLICIES, "-o", "json"]);
    // the fixtures directory holds the corrupt ones too: validating it must fail on the first of them
    expect(r0.code).toBe(2);
    const r = vouch(["policy", "validate", join(POLICIES, "issue-10.yaml"), join(POLICIES, "full.yaml"), "-o", "json"]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { valid: boolean; files: { file: string; policies: { name: string }[] }[] };
    expect(json.valid).toBe(true);
    expect(json.files.map((f) => f.file)).toEqual([join(POLICIES, "issue-10.yaml"), join(POLICIES, "full.yaml")]);
  });

  it("reads a ConfigMap mounted as a directory once: kubelet's hidden ..data copies are not policies", () => {
    // kubelet's layout: dir/policies.yaml -> ..data/policies.yaml, ..data -> ..<timestamp>/ (the real file).
    const mount = mkdtempSync(join(tmpdir(), "vouch-policy-configmap-"));
    try {
      mkdirSync(join(mount, "..2026_11_22_00_00_00.1"));
      copyFileSync(join(POLICIES, "issue-10.yaml"), join(mount, "..2026_11_22_00_00_00.1", "policies.yaml"));
      symlinkSync("..2026_11_22_00_00_00.1", join(mount, "..data"));
      symlinkSync(join("..data", "policies.yaml"), join(mount, "policies.yaml"));
      const r = vouch(["policy", "validate", mount, "-o", "json"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const json = JSON.parse(r.stdout) as { files: { file: string; policies: unknown[] }[] };
      expect(json.files).toEqual([{ file: join(mount, "policies.yaml"), policies: expect.any(Array) }]);
      expect(json.files[0]!.policies).toHaveLength(2);
    } finally {
      rmSync(mount, { recursive: true, force: true });
    }
  });

  it("exits 2 with the file, line, document and field of each corrupt fixture", () => {
    for (const [name, pattern] of [
      ["bad-cel.yaml", /bad-cel\.yaml:\d+: document 1, spec\.attestations\[0\]\.conditions\[0\]: invalid CEL/],
      ["bad-regexp.yaml", /bad-regexp\.yaml:\d+: document \d+, spec\.authorities\[0\]\.keyless\.identities\[0\]\.subjectRegExp/],
      ["wrong-api-version.yaml", /wrong-api-version\.yaml:\d+: document 1, apiVersion/],
    ] as const) {
      const r = vouch(["policy", "validate", join(POLICIES, "corrupt", name)]);
      expect(r.code, name).toBe(2);
      expect(r.stderr, name).toMatch(pattern);
      expect(r.stderr.trim().split("\n"), name).toHaveLength(1);
    }
  });

  it("exits 2 for a path that does not exist", () => {
    const r = vouch(["policy", "validate", join(dir, "nope.yaml")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.yaml: no such file or directory/);
  });
});

describe("vouch policy eval --bundle --digest", () => {
  it("allows an image signed by the release key (the issue's enforce policy) and reports every rule", () => {
    const r = vouch(["policy", "eval", "--policy", releaseKeyPolicy(join(MANAGED, "key.pub")), "--bundle", join(MANAGED, "bundle.sigstore.json"), "--digest", DIGEST, "localhost:5000/holdout/app:1.0"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/policy signed-by-release-key \(enforce\): PASS/);
    expect(r.stdout).toMatch(/✓ authority:authority-0: signed by key [0-9a-f]{64}/);
    expect(r.stdout.trim().split("\n").at(-1)).toBe("allowed");
  });

  it("denies (exit 1) the same bundle for another digest, and with another key", () => {
    const other = vouch(["policy", "eval", "--policy", releaseKeyPolicy(join(MANAGED, "key.pub")), "--bundle", join(MANAGED, "bundle.sigstore.json"), "--digest", `sha256:${"0".repeat(64)}`, "localhost:5000/holdout/app:1.0"]);
    expect(other.code).toBe(1);
    expect(other.stdout).toMatch(/policy signed-by-release-key \(enforce\): FAIL/);
    expect(other.stdout).toContain("denied");
    expect(other.stderr).toMatch(/denied by policy: localhost:5000\/holdout\/app:1\.0: signed-by-release-key\/authorities: none of 1 signature/);

    const wrongKey = vouch(["policy", "eval", "--policy", releaseKeyPolicy(WRONG_KEY), "--bundle", join(MANAGED, "bundle.sigstore.json"), "--digest", DIGEST, "localhost:5000/holdout/app:1.0", "-o", "json"]);
    expect(wrongKey.code).toBe(1);
    const decision = JSON.parse(wrongKey.stdout) as { allowed: boolean; reasons: string[]; images: { policies: { passed: boolean }[] }[] };
    expect(decision.allowed).toBe(false);
    expect(decision.images[0]!.policies[0]!.passed).toBe(false);
    expect(decision.reasons).toEqual([expect.stringMatching(/signed-by-release-key\/authorities: none of 1 signature\(s\) verified/)]);
  });

  it("an unexpired exception waives the failure; an expired one does not (judged at --now)", () => {
    const exception = `  exceptions:
    - name: hotfix
      images: [ { glob: "localhost:*/holdout/**" } ]
      reason: signing outage
      ticket: OPS-1
      approver: sec@example.com
      expiresAt: "2026-06-01T00:00:00Z"
`;
    const policy = releaseKeyPolicy(join(MANAGED, "key.pub"), exception);
    const args = ["policy", "eval", "--policy", policy, "--bundle", join(MANAGED, "bundle.sigstore.json"), "--digest", `sha256:${"0".repeat(64)}`, "localhost:5000/holdout/app:1.0"];
    const before = vouch([...args, "--now", "2026-05-31T23:59:59Z"]);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/WAIVED by exception hotfix \(signing outage; until 2026-06-01T00:00:00\.000Z\)/);
    const after = vouch([...args, "--now", "2026-06-01T00:00:00Z"]);
    expect(after.code).toBe(1);
    expect(after.stdout).toMatch(/signed-by-release-key \(enforce\): FAIL/);
  });

  it("the issue's warn policy allows an image whose signer is not acme's, with warnings", () => {
    const bundle = join(SLSA, "gha_delegator", "v2.1.0", "binary-linux-amd64-workflow_dispatch.build.slsa");
    const digest = "sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
    const r = vouch(["policy", "eval", "--policy", join(POLICIES, "issue-10.yaml"), "--bundle", bundle, "--digest", digest, "ghcr.io/acme/app:v1", "-o", "json"]);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as { allowed: boolean; warnings: string[]; images: { policies: { policy: string; mode: string; passed: boolean }[] }[] };
    expect(d.allowed).toBe(true);
    expect(d.images[0]!.policies).toEqual([expect.objectContaining({ policy: "keyless-with-provenance", mode: "warn", passed: false })]);
    expect(d.warnings.length).toBeGreaterThan(0);
    for (const w of d.warnings) expect(w.length).toBeLessThan(256);
    expect(d.warnings.join()).toMatch(/keyless-with-provenance\/authorities/);
  });

  it("denies an image no policy covers (no-match deny by default; --on-no-match allow)", () => {
    const args = ["policy", "eval", "--policy", join(POLICIES, "issue-10.yaml"), "--bundle", join(MANAGED, "bundle.sigstore.json"), "--digest", DIGEST, "quay.io/other/app:1"];
    const r = vouch(args);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("no policy covers this image");
    expect(vouch([...args, "--on-no-match", "allow"]).code).toBe(0);
  });

  it("refuses --bundle without --digest, and bad flags, with exit 2", () => {
    const r = vouch(["policy", "eval", "--policy", join(POLICIES, "issue-10.yaml"), "--bundle", join(MANAGED, "bundle.sigstore.json")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--digest sha256/);
    expect(vouch(["policy", "eval", "--policy", join(POLICIES, "issue-10.yaml"), "--bundle", join(MANAGED, "bundle.sigstore.json"), "--digest", DIGEST, "--on-no-match", "maybe"]).code).toBe(2);
  });
});
