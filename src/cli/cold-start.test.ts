import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { vouch } from "../../test/support/cli.js";

/**
 * Which modules a CLI run loads (not how long it takes: no timings in tests). Each verb imports its API area when it
 * runs (src/cli/main.ts), and the dependency-cruiser rule cli-loads-verbs-lazily checks the imports it can see; this
 * catches what it cannot, such as `import { type X } from "../../public/verify.js"`, which verbatimModuleSyntax keeps
 * as a real import of the whole area. Numbers: docs/benchmarks.md ("Cold start of the CLI").
 */
const REPO = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "vouch-cold-start-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Records every module loaded into $VOUCH_TEST_MODULES at exit: what the load hook sees, plus require's cache (under
 * tsx, a require() of an ES module, as in core/crypto/prehash.ts, goes through tsx's own loader, past the hook).
 */
const HOOK = `data:text/javascript,${encodeURIComponent(
  'import{createRequire,registerHooks}from"node:module";import{writeFileSync}from"node:fs";import{pathToFileURL}from"node:url";' +
    'const s=new Set();registerHooks({load(u,c,n){if(!u.startsWith("node:"))s.add(u);return n(u,c)}});' +
    'process.on("exit",()=>{for(const f of Object.keys(createRequire("/").cache))s.add(pathToFileURL(f).href);' +
    'writeFileSync(process.env.VOUCH_TEST_MODULES,[...s].join("\\n"))})',
)}`;

let runs = 0;
/** The modules a run loaded, as paths relative to the repo (src/... under tsx, dist/... under VOUCH_CLI_DIST=1). */
function loadedModules(args: string[]): string[] {
  const file = join(dir, `${runs++}.txt`);
  const r = vouch(args, { env: { NODE_OPTIONS: `--import=${HOOK}`, VOUCH_TEST_MODULES: file, VOUCH_DATA_DIR: dir } });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((u) => u.startsWith("file:"))
    .map((u) => new URL(u).pathname.slice(REPO.length + 1))
    .filter((p) => !p.startsWith("node_modules/tsx/") && !p.startsWith("node_modules/esbuild/"));
}

/** Paths of vouch's own modules under a folder, in src/ or dist/, and of packages in node_modules. */
const vouchModule = (folder: string) => new RegExp(`^(src|dist)/${folder}`);
const pkg = (name: string) => new RegExp(`^node_modules/${name}/`);
const loads = (modules: string[], re: RegExp) => modules.filter((m) => re.test(m));

const CASES = join(REPO, "test/fixtures/sigstore/conformance/test/assets/bundle-verify");
const ARTIFACT = join(CASES, "a.txt");
const VERIFY = [
  "--bundle",
  join(CASES, "happy-path-v0.3/bundle.sigstore.json"),
  "--certificate-identity",
  "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
  "--certificate-oidc-issuer",
  "https://token.actions.githubusercontent.com",
  "--trusted-root",
  join(REPO, "test/fixtures/sigstore/sigstore-js/derived/public-good-trusted_root.json"),
];
/** What no verb but `vouch sbom` needs: the catalogers, the SBOM serializers and readers, and vouch.yaml's parsers. */
const SBOM_SIDE = [vouchModule("catalog/"), vouchModule("sbom/"), pkg("yaml"), pkg("ajv"), pkg("fast-xml-parser"), pkg("packageurl-js")];

describe("CLI cold start: each verb loads only what it needs", () => {
  it("--version and --help load commander and the command table, no API area but public/base", () => {
    for (const args of [["--version"], ["--help"], ["verify", "--help"]]) {
      const modules = loadedModules(args);
      expect(loads(modules, vouchModule("public/")).map((m) => m.replace(/\.[jt]s$/, ""))).toEqual([expect.stringMatching(/public\/base$/)]);
      for (const heavy of [...SBOM_SIDE, vouchModule("(verify|bundle|sign|attest)/"), pkg("@noble/curves")]) expect(loads(modules, heavy)).toEqual([]);
    }
  });

  it("vouch verify FILE loads the verifier, not the SBOM side or @noble/curves", () => {
    const modules = loadedModules(["verify", ARTIFACT, ...VERIFY]);
    expect(loads(modules, vouchModule("verify/verifier")).length).toBe(1);
    for (const heavy of [...SBOM_SIDE, vouchModule("attest/"), pkg("@noble/curves")]) expect(loads(modules, heavy)).toEqual([]);
  });

  it("vouch verify sha256:DIGEST verifies the digest with node:crypto's arithmetic: no @noble/curves, no SBOM side", () => {
    const digest = createHash("sha256").update(readFileSync(ARTIFACT)).digest("hex");
    const modules = loadedModules(["verify", `sha256:${digest}`, ...VERIFY]);
    expect(loads(modules, pkg("@noble/curves"))).toEqual([]);
    for (const heavy of SBOM_SIDE) expect(loads(modules, heavy)).toEqual([]);
  });
});
