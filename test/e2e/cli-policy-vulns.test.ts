/**
 * `vouch policy eval` with vulnerability rules, end to end: the OSV fixture records imported with `vouch db import`,
 * then SBOMs given with `--sbom`, inside a signed SBOM attestation given with `--bundle`, and attached to an image in
 * Debian's docker-registry, scanned against that database; `--vex` statements waive findings; a missing or empty
 * database is an error naming `vouch db import` (exit 2), and a policy without vulnerability rules needs none.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { vouch } from "../support/cli.js";
import { buildTestImage, pushTestImage, registryUnavailable, startRegistry, type RunningRegistry } from "../support/registry.js";

const REPO = join(import.meta.dirname, "..", "..");
const RECORDS = join(REPO, "src", "vuln", "osv", "fixtures", "records");
const work = mkdtempSync(join(tmpdir(), "vouch-policy-vulns-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const env = { VOUCH_DATA_DIR: join(work, "data"), VOUCH_PASSWORD: "policy vulns password", VOUCH_CACHE_DIR: join(work, "cache") };

beforeAll(() => {
  const r = vouch(["db", "import", RECORDS], { env });
  expect(r.code, r.stderr).toBe(0);
});

function file(name: string, content: unknown): string {
  const path = join(work, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
}

const LOG4J = (v: string) => `pkg:maven/org.apache.logging.log4j/log4j-core@${v}`;
/** A CycloneDX SBOM of an image holding log4j-core at `version` (2.14.1: Log4Shell, critical; 2.15.0: not affected). */
const sbom = (version: string) =>
  file(`app-${version}.cdx.json`, {
    bomFormat: "CycloneDX",
    specVersion: "1.6",
    version: 1,
    metadata: { component: { type: "container", name: "app", "bom-ref": "app" } },
    components: [{ type: "library", "bom-ref": "log4j", group: "org.apache.logging.log4j", name: "log4j-core", version, purl: LOG4J(version) }],
  });
const VULNERABLE = sbom("2.14.1");
const FIXED = sbom("2.15.0");
/** OpenVEX: Log4Shell does not affect this log4j-core (its JndiLookup class removed). */
const NOT_AFFECTED = file("log4shell.openvex.json", {
  "@context": "https://openvex.dev/ns/v0.2.0",
  "@id": "https://example.com/vex/log4shell-1",
  author: "Security Team",
  timestamp: "2026-01-01T00:00:00Z",
  version: 1,
  statements: [
    {
      vulnerability: { name: "CVE-2021-44228" },
      products: [{ "@id": LOG4J("2.14.1") }],
      status: "not_affected",
      justification: "vulnerable_code_not_in_execute_path",
    },
  ],
});
const CORRUPT_VEX = file("corrupt.openvex.json", '{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [');
const CORRUPT_SBOM = file("corrupt.cdx.json", '{"bomFormat": "CycloneDX", "components": [');

/** Any image, no signature needed: only the vulnerability rule decides. */
const POLICY = file(
  "no-high-vulns.yaml",
  `apiVersion: vouch.dev/v1
kind: ImagePolicy
metadata: { name: no-high-vulns }
spec:
  mode: enforce
  images: [ { glob: "**" } ]
  authorities: [ { static: pass } ]
  vulnerabilities:
    denyAtOrAbove: high
`,
);
const NO_VULN_RULES = file(
  "static.yaml",
  `apiVersion: vouch.dev/v1
kind: ImagePolicy
metadata: { name: static-only }
spec:
  images: [ { glob: "**" } ]
  authorities: [ { static: pass } ]
`,
);
const DIGEST = `sha256:${createHash("sha256").update("the image").digest("hex")}`;
const FINDING = `CVE-2021-44228 in ${LOG4J("2.14.1")} (critical)`;

interface DecisionJson {
  allowed: boolean;
  images: { policies: { rules: { rule: string; outcome: string; reasons: string[] }[]; evidence: { findings?: { denied: string[]; coveredByVex: string[] } } }[] }[];
}

describe("vouch policy eval --sbom FILE --digest: vulnerability rules over the imported advisory database", () => {
  it("denyAtOrAbove: high denies an SBOM with Log4Shell (exit 1), naming the finding", () => {
    const r = vouch(["policy", "eval", "--policy", POLICY, "--sbom", VULNERABLE, "--digest", DIGEST], { env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`✗ vulnerabilities: 1 finding(s) at or above high: ${FINDING}`);
    expect(r.stdout.trim().split("\n").at(-2)).toBe("denied");
    expect(r.stderr.trim().split("\n")).toEqual([expect.stringContaining(`no-high-vulns/vulnerabilities: 1 finding(s) at or above high: ${FINDING}`)]);
  });

  it("a VEX not_affected statement for the finding allows it (exit 0), recorded as covered by VEX", () => {
    const r = vouch(["policy", "eval", "--policy", POLICY, "--sbom", VULNERABLE, "--digest", DIGEST, "--vex", NOT_AFFECTED, "-o", "json"], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as DecisionJson;
    expect(d.allowed).toBe(true);
    const policy = d.images[0]!.policies[0]!;
    expect(policy.rules.find((x) => x.rule === "vulnerabilities")).toMatchObject({ outcome: "pass", reasons: ["1 finding(s), none at or above high without VEX (1 covered by VEX)"] });
    expect(policy.evidence.findings).toEqual({ denied: [], coveredByVex: [`${FINDING} (not_affected)`] });
  });

  it("an SBOM whose log4j-core is fixed passes (the scan ran: zero findings, not a missing scan)", () => {
    const r = vouch(["policy", "eval", "--policy", POLICY, "--sbom", FIXED, "--digest", DIGEST], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("✓ vulnerabilities: 0 finding(s), none at or above high without VEX");
  });

  it("a corrupt VEX document waives nothing and says so; a corrupt SBOM is no clean scan", () => {
    const vex = vouch(["policy", "eval", "--policy", POLICY, "--sbom", VULNERABLE, "--digest", DIGEST, "--vex", CORRUPT_VEX], { env });
    expect(vex.code).toBe(1);
    expect(vex.stdout).toContain(FINDING);
    expect(vex.stdout).toMatch(/VEX document 1 ignored: /);
    const bad = vouch(["policy", "eval", "--policy", POLICY, "--sbom", CORRUPT_SBOM, "--digest", DIGEST], { env });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("✗ vulnerabilities: no scan findings: no SBOM of the image was scanned");
  });

  it("scans the SBOM inside a signed SBOM attestation given with --bundle", () => {
    const subject = file("image.bin", "the image"); // its digest is DIGEST
    expect(vouch(["key", "generate", "--out", join(work, "signer")], { env }).code).toBe(0);
    const bundle = join(work, "sbom.att.json");
    const attest = vouch(["attest", subject, "--type", "cyclonedx", "--predicate", VULNERABLE, "--key", join(work, "signer.key"), "--bundle", bundle], { env });
    expect(attest.code, attest.stderr).toBe(0);
    const r = vouch(["policy", "eval", "--policy", POLICY, "--bundle", bundle, "--digest", DIGEST], { env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`✗ vulnerabilities: 1 finding(s) at or above high: ${FINDING}`);
  });

  it("no advisory database (or an empty one) is an error naming vouch db import (exit 2), never a pass", () => {
    const none = { ...env, VOUCH_DATA_DIR: join(work, "no-db") };
    const r = vouch(["policy", "eval", "--policy", POLICY, "--sbom", FIXED, "--digest", DIGEST], { env: none });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toEqual([expect.stringMatching(/no advisory database in .*no-db.*vouch db import/)]);
    expect(existsSync(join(work, "no-db"))).toBe(false); // nothing created for it

    expect(vouch(["db", "status"], { env: none }).code).toBe(0); // creates the database, empty
    const empty = vouch(["policy", "eval", "--policy", POLICY, "--sbom", FIXED, "--digest", DIGEST], { env: none });
    expect(empty.code).toBe(2);
    expect(empty.stderr.trim().split("\n")).toEqual([expect.stringMatching(/advisory database .* is empty: import OSV records first \(vouch db import PATH…\); the vulnerability rules of no-high-vulns need it/)]);
  });

  it("a policy without vulnerability rules opens no database", () => {
    const none = { ...env, VOUCH_DATA_DIR: join(work, "never") };
    const r = vouch(["policy", "eval", "--policy", NO_VULN_RULES, "--sbom", VULNERABLE, "--digest", DIGEST], { env: none });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(existsSync(join(work, "never"))).toBe(false);
  });
});

const skipReason = registryUnavailable();
if (skipReason !== undefined) console.warn(`skipping vouch policy eval IMAGE vulnerability tests: ${skipReason}`);

describe.skipIf(skipReason !== undefined)("vouch policy eval IMAGE: the SBOMs attached in the registry are scanned", () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  }, 60_000);
  afterAll(async () => {
    await registry?.stop();
  });

  const push = async (repository: string) => {
    const digest = await pushTestImage({ registry: registry.host, repository }, buildTestImage({ layers: [[{ path: "etc/seed", content: repository }]] }), "1.0");
    return { digest, ref: `${registry.host}/${repository}:1.0` };
  };

  it("an SBOM referrer with Log4Shell denies (exit 1); a VEX statement about the image waives it; no SBOM is no clean scan", async () => {
    const image = await push("vulns/app");
    const attach = vouch(["sbom", "attach", image.ref, "--sbom", VULNERABLE], { env });
    expect(attach.code, attach.stderr).toBe(0);
    const denied = vouch(["policy", "eval", "--policy", POLICY, image.ref], { env });
    expect(denied.code, denied.stderr).toBe(1);
    expect(denied.stdout).toContain(`✗ vulnerabilities: 1 finding(s) at or above high: ${FINDING}`);

    // A statement about the whole image (its digest), as a deployment's VEX would name it.
    const vex = file("image.openvex.json", {
      "@context": "https://openvex.dev/ns/v0.2.0",
      "@id": "https://example.com/vex/image-1",
      author: "Security Team",
      timestamp: "2026-01-01T00:00:00Z",
      version: 1,
      statements: [{ vulnerability: { name: "CVE-2021-44228" }, products: [{ "@id": image.digest }], status: "not_affected", justification: "vulnerable_code_not_present" }],
    });
    const waived = vouch(["policy", "eval", "--policy", POLICY, image.ref, "--vex", vex], { env });
    expect(waived.stderr).toBe("");
    expect(waived.code).toBe(0);
    expect(waived.stdout).toContain("(1 covered by VEX)");

    const bare = await push("vulns/bare");
    const none = vouch(["policy", "eval", "--policy", POLICY, bare.ref], { env });
    expect(none.code).toBe(1);
    expect(none.stdout).toContain("✗ vulnerabilities: no scan findings: no SBOM of the image was scanned");
  });
});
