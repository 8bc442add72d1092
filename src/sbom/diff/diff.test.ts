import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Component, Sbom } from "../model/types.js";
import { readSbom } from "../read/index.js";
import { DIFF_KINDS, diffFails, diffSboms, renderDiffTable } from "./index.js";

const FIXTURES = join(import.meta.dirname, "fixtures");

function read(name: string): Sbom {
  return readSbom(readFileSync(join(FIXTURES, name), "utf8"), name).sbom;
}

/** Old release as SPDX 2.3, new release as CycloneDX 1.6: every kind of change once, plus things that are not changes. */
const oldSbom = read("old.spdx.json");
const newSbom = read("new.cdx.json");
const diff = diffSboms(oldSbom, newSbom);

describe("diffSboms across formats (SPDX old, CycloneDX new)", () => {
  it("counts every kind of change", () => {
    expect(diff.summary).toEqual({ added: 1, removed: 1, upgraded: 3, downgraded: 1, license: 1, "hash-mismatch": 1, unchanged: 4 });
  });

  it("finds added and removed components", () => {
    expect(diff.added).toEqual([
      { key: "pkg:npm/chalk", name: "chalk", version: "5.3.0", ecosystem: "npm", licenses: ["MIT"], purl: "pkg:npm/chalk@5.3.0" },
    ]);
    expect(diff.removed).toEqual([
      { key: "pkg:npm/left-pad", name: "left-pad", version: "1.3.0", ecosystem: "npm", licenses: ["WTFPL"], purl: "pkg:npm/left-pad@1.3.0" },
    ]);
  });

  it("tells upgrades from downgrades, pairing several versions of one npm package by version", () => {
    expect(diff.upgraded.map((c) => `${c.name} ${c.from} -> ${c.to}`)).toEqual([
      "debug 4.3.4 -> 4.3.5", // debug 2.6.9 is on both sides and stays paired with itself
      "lodash 4.17.20 -> 4.17.21",
      "zlib 1.2.13 -> 1.3", // no purl in the old SBOM: matched by name
    ]);
    expect(diff.downgraded).toEqual([{ key: "pkg:npm/express", name: "express", from: "4.18.2", to: "4.17.3", purl: "pkg:npm/express@4.17.3" }]);
  });

  it("reports a licence change, but not the same expression written in another order", () => {
    expect(diff.licenseChanged).toEqual([
      { key: "pkg:npm/colors", name: "colors", version: "1.4.0", from: ["MIT"], to: ["GPL-3.0-only"], purl: "pkg:npm/colors@1.4.0" },
    ]);
    // tslib: "Apache-2.0 OR MIT" (SPDX) and "MIT OR Apache-2.0" (CycloneDX) are the same licence.
    expect(diff.licenseChanged.some((c) => c.name === "tslib")).toBe(false);
  });

  it("flags the same name and version with a different digest as a substitution", () => {
    expect(diff.hashMismatch).toEqual([
      {
        key: "pkg:npm/minimist",
        name: "minimist",
        version: "1.2.8",
        purl: "pkg:npm/minimist@1.2.8",
        digests: [{ algorithm: "SHA-256", old: ["1".repeat(64)], new: ["9".repeat(64)] }],
      },
    ]);
  });

  it("does not count qualifiers, duplicates or digests of different algorithms as changes", () => {
    // busybox: purl qualifiers differ (?arch=...&distro=... vs none), listed twice in the new SBOM, same SHA-256.
    // semver: SHA-1 in the old SBOM, SHA-256 in the new one: nothing to compare, so no mismatch.
    const mentioned = [...diff.added, ...diff.removed, ...diff.upgraded, ...diff.downgraded, ...diff.licenseChanged, ...diff.hashMismatch].map(
      (c) => c.name,
    );
    expect(mentioned).not.toContain("busybox");
    expect(mentioned).not.toContain("semver");
  });

  it("is JSON-serialisable as is and deterministic", () => {
    expect(JSON.parse(JSON.stringify(diff))).toEqual(diff);
    expect(JSON.stringify(diffSboms(read("old.spdx.json"), read("new.cdx.json")))).toBe(JSON.stringify(diff));
  });

  it("finds nothing between an SBOM and itself, whatever its format", () => {
    const same = diffSboms(newSbom, newSbom);
    expect(same.summary).toEqual({ added: 0, removed: 0, upgraded: 0, downgraded: 0, license: 0, "hash-mismatch": 0, unchanged: 11 });
  });

  it("turns the diff around when the SBOMs are swapped", () => {
    const back = diffSboms(newSbom, oldSbom);
    expect(back.summary).toEqual({ added: 1, removed: 1, upgraded: 1, downgraded: 3, license: 1, "hash-mismatch": 1, unchanged: 4 });
    expect(back.added.map((c) => c.name)).toEqual(["left-pad"]);
    expect(back.downgraded.map((c) => `${c.name} ${c.from} -> ${c.to}`)).toEqual(["debug 4.3.5 -> 4.3.4", "lodash 4.17.21 -> 4.17.20", "zlib 1.3 -> 1.2.13"]);
  });
});

describe("pairing several versions of one package", () => {
  const sbom = (versions: string[]): Sbom => ({
    metadata: { timestamp: "", tools: [], root: component("root", "1"), build: {} },
    components: versions.map((v) => component("lodash", v, `pkg:npm/lodash@${v}`)),
    dependencies: [],
  });

  it("pairs within the same major version before pairing across majors", () => {
    const d = diffSboms(sbom(["3.10.1", "4.17.20"]), sbom(["4.17.21"]));
    expect(d.upgraded.map((c) => `${c.from} -> ${c.to}`)).toEqual(["4.17.20 -> 4.17.21"]);
    expect(d.removed.map((c) => c.version)).toEqual(["3.10.1"]);
  });

  it("pairs the highest with the highest when no major matches", () => {
    const d = diffSboms(sbom(["1.0.0", "2.0.0"]), sbom(["3.0.0"]));
    expect(d.upgraded.map((c) => `${c.from} -> ${c.to}`)).toEqual(["2.0.0 -> 3.0.0"]);
    expect(d.removed.map((c) => c.version)).toEqual(["1.0.0"]);
  });

  it("keeps equal versions paired even when written differently (v prefix)", () => {
    const d = diffSboms(sbom(["v1.2.0"]), sbom(["1.2.0"]));
    expect(d.summary.unchanged).toBe(1);
    expect(d.upgraded).toEqual([]);
  });
});

describe("purl spellings that name the same package", () => {
  const one = (purl: string, name: string, group?: string): Sbom => ({
    metadata: { timestamp: "", tools: [], root: component("root", "1"), build: {} },
    components: [{ ...component(name, "0.4.1", purl), ecosystem: "npm", ...(group === undefined ? {} : { group }) }],
    dependencies: [],
  });

  it("matches cdxgen's %2F-encoded scope with the usual form, and ignores qualifiers", () => {
    const cdxgen = one("pkg:npm/%40cypress%2Flistr-verbose-renderer@0.4.1", "listr-verbose-renderer", "@cypress");
    const syft = one("pkg:npm/%40cypress/listr-verbose-renderer@0.4.1?foo=bar", "@cypress/listr-verbose-renderer", "@cypress");
    const d = diffSboms(cdxgen, syft);
    expect(d.summary).toEqual({ added: 0, removed: 0, upgraded: 0, downgraded: 0, license: 0, "hash-mismatch": 0, unchanged: 1 });
  });
});

describe("real SBOMs", () => {
  it("a large SBOM against itself: no changes, one entry per package version", () => {
    const file = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "sboms-in-the-wild", "cdx15_cdxgen-9.8.8_nodegoat.json");
    const sbom = readSbom(readFileSync(file, "utf8"), "nodegoat.json").sbom;
    const d = diffSboms(sbom, sbom);
    expect(d.summary).toEqual({ added: 0, removed: 0, upgraded: 0, downgraded: 0, license: 0, "hash-mismatch": 0, unchanged: 1060 });
  });
});

describe("hash mismatch details", () => {
  const withHashes = (hashes: Component["hashes"]): Sbom => ({
    metadata: { timestamp: "", tools: [], root: component("root", "1"), build: {} },
    components: [{ ...component("left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0"), hashes }],
    dependencies: [],
  });
  const sha1 = (c: string) => ({ alg: "SHA-1" as const, content: c.repeat(40) });
  const sha256 = (c: string) => ({ alg: "SHA-256" as const, content: c.repeat(64) });

  it("is a mismatch when one algorithm agrees and another does not", () => {
    const d = diffSboms(withHashes([sha1("a"), sha256("b")]), withHashes([sha1("a"), sha256("c")]));
    expect(d.hashMismatch.map((m) => m.digests.map((x) => x.algorithm))).toEqual([["SHA-256"]]);
  });

  it("is not a mismatch when the old digest is among the new ones", () => {
    expect(diffSboms(withHashes([sha256("b")]), withHashes([sha256("b"), sha256("c")])).hashMismatch).toEqual([]);
  });

  it("is not looked for across different versions (an upgrade changes the bytes)", () => {
    const old = withHashes([sha256("b")]);
    const next = withHashes([sha256("c")]);
    next.components[0] = { ...next.components[0]!, version: "1.3.1", purl: "pkg:npm/left-pad@1.3.1" };
    const d = diffSboms(old, next);
    expect(d.summary["hash-mismatch"]).toBe(0);
    expect(d.summary.upgraded).toBe(1);
  });
});

describe("diffFails", () => {
  it("fails only on the kinds asked for", () => {
    expect(diffFails(diff, ["hash-mismatch"])).toBe(true);
    expect(diffFails(diff, [])).toBe(false);
    const quiet = diffSboms(newSbom, newSbom);
    expect(DIFF_KINDS.filter((k) => diffFails(quiet, [k]))).toEqual([]);
    expect(DIFF_KINDS.filter((k) => diffFails(diff, [k]))).toEqual([...DIFF_KINDS]);
  });
});

describe("renderDiffTable", () => {
  it("puts the substitution first and loud, then every section", () => {
    expect(renderDiffTable(diff)).toBe(
      [
        "1 added, 1 removed, 3 upgraded, 1 downgraded, 1 licence changed, 1 hash mismatch; 4 unchanged",
        "",
        "!! HASH MISMATCH: 1 component kept name and version but changed checksum.",
        "!! The artifact was substituted or rebuilt: find out which before shipping.",
        "!!   minimist@1.2.8  SHA-256  1111111111111111… -> 9999999999999999…",
        "",
        "Downgraded (1)",
        "  express  4.18.2  ->  4.17.3",
        "",
        "Upgraded (3)",
        "  debug   4.3.4    ->  4.3.5",
        "  lodash  4.17.20  ->  4.17.21",
        "  zlib    1.2.13   ->  1.3",
        "",
        "Licence changed (1)",
        "  colors@1.4.0  MIT  ->  GPL-3.0-only",
        "",
        "Added (1)",
        "  chalk  5.3.0  MIT",
        "",
        "Removed (1)",
        "  left-pad  1.3.0  WTFPL",
        "",
      ].join("\n"),
    );
  });

  it("escapes control characters from the SBOM", () => {
    const evil = diffSboms(
      { ...newSbom, components: [] },
      { ...newSbom, components: [component("\u001b[2Jevil\nrow", "1.0", undefined)] },
    );
    const text = renderDiffTable(evil);
    expect(text).toContain("\\u001b[2Jevil\\u000arow");
    expect(text).not.toContain("\u001b");
  });
});

function component(name: string, version: string, purl?: string): Component {
  const c: Component = {
    bomRef: purl ?? `${name}@${version}`,
    type: "library",
    ecosystem: purl?.startsWith("pkg:npm/") ? "npm" : "generic",
    name,
    version,
    licenses: [],
    hashes: [],
    scope: "required",
    externalRefs: [],
    foundIn: [],
    properties: [],
  };
  if (purl !== undefined) c.purl = purl;
  return c;
}
