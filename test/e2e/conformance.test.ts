import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { vouch } from "../support/cli.js";

/**
 * The sigstore-conformance verification cases (test/fixtures/sigstore/conformance, see its SOURCE.md), run through
 * `vouch conformance verify-bundle` exactly as the upstream suite calls a client: every case twice, with the
 * artifact path and with `sha256:<hex>`. A case named *_fail must fail (exit non-zero), every other must pass.
 * Beyond upstream, a failing case must fail as a verification or input error (exit 1 or 2), never a crash (3).
 */
const ASSETS = join(import.meta.dirname, "..", "fixtures", "sigstore", "conformance", "test", "assets", "bundle-verify");
const DEFAULT_IDENTITY =
  "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER = "https://token.actions.githubusercontent.com";
const PRODUCTION_ROOT = join(import.meta.dirname, "..", "fixtures", "sigstore", "sigstore-js", "derived", "public-good-trusted_root.json");

const cases = readdirSync(ASSETS, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

function argsFor(name: string, artifactForm: "path" | "digest"): string[] {
  const dir = join(ASSETS, name);
  const file = (f: string) => join(dir, f);
  const artifact = existsSync(file("artifact")) ? file("artifact") : join(ASSETS, "a.txt");
  const target = artifactForm === "path" ? artifact : `sha256:${createHash("sha256").update(readFileSync(artifact)).digest("hex")}`;
  const args = ["conformance", "verify-bundle", "--bundle", file("bundle.sigstore.json")];
  if (existsSync(file("key.pub"))) {
    args.push("--key", file("key.pub"));
  } else {
    const identity = existsSync(file("identity")) ? readFileSync(file("identity"), "utf8").trim() : DEFAULT_IDENTITY;
    const issuer = existsSync(file("issuer")) ? readFileSync(file("issuer"), "utf8").trim() : DEFAULT_ISSUER;
    args.push("--certificate-identity", identity, "--certificate-oidc-issuer", issuer);
  }
  // Upstream fetches the production root through TUF when a case has none; vouch ships the same root, and the
  // test names the snapshot explicitly so that it does not depend on the copy built into vouch.
  args.push("--trusted-root", existsSync(file("trusted_root.json")) ? file("trusted_root.json") : PRODUCTION_ROOT);
  args.push(target);
  return args;
}

describe("sigstore-conformance: bundle verification", () => {
  it("has the 47 cases", () => expect(cases).toHaveLength(47));

  for (const name of cases) {
    const mustFail = name.endsWith("_fail");
    for (const form of ["path", "digest"] as const) {
      it(`${name} (${form})`, () => {
        const r = vouch(argsFor(name, form));
        if (mustFail) {
          expect({ code: r.code, stderr: r.stderr.slice(0, 400) }).toMatchObject({ code: expect.toBeOneOf([1, 2]) });
        } else {
          expect({ code: r.code, stderr: r.stderr.slice(0, 400) }).toEqual({ code: 0, stderr: "" });
        }
      });
    }
  }
});
