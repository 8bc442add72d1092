import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isVouchError } from "../../core/errors.js";
import { catalogDirectory } from "../../../test/support/catalog.js";
import { parseFixtureFile } from "../../../test/support/parse.js";
import { licensesFromClassifiers } from "./license-classifiers.js";
import { installedCataloger, isInstalledMetadata, parseHeaders, parseInstalled } from "./parse-installed.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const SITE = "venv/lib/python3.12/site-packages";

/** Parse <fixture>/<path> with the fixture folder as the source root. */
const parseFile = (fixture: string, path: string) => parseFixtureFile(parseInstalled, join(FIXTURES, fixture), path);

describe("pypi installed distributions cataloger", () => {
  it("matches dist-info METADATA, egg-info PKG-INFO and distutils egg-info files in site-packages", () => {
    for (const p of [
      `${SITE}/requests-2.31.0.dist-info/METADATA`,
      "usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO",
      "usr/lib/python3/dist-packages/certifi-2023.7.22.egg-info",
      "site-packages/foo-1.0-py3.8.egg/EGG-INFO/PKG-INFO",
    ]) {
      expect(installedCataloger.matches(p), p).toBe(true);
    }
    for (const p of ["METADATA", "docs/foo.egg-info", "requests-2.31.0/PKG-INFO", `${SITE}/requests-2.31.0.dist-info/RECORD`]) {
      expect(isInstalledMetadata(p), p).toBe(false);
    }
  });

  it("parses folded headers up to the first empty line (a spaces-only line is a continuation)", () => {
    const headers = parseHeaders("Name: a\nLicense: MIT\n        \n        more\nClassifier: x\nClassifier: y\n\nBody: no\n");
    expect([...headers]).toEqual([
      ["name", ["a"]],
      ["license", ["MIT\n\nmore"]],
      ["classifier", ["x", "y"]],
    ]);
  });

  it("maps only unambiguous license classifiers to SPDX ids", () => {
    expect(
      licensesFromClassifiers([
        "License :: OSI Approved :: MIT License",
        "License :: OSI Approved :: Apache Software License",
        "License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)",
        "License :: OSI Approved",
        "Programming Language :: Python",
        "License :: OSI Approved :: MIT License",
      ]),
    ).toEqual(["MIT", "Apache Software License", "LGPL-3.0-or-later"]);
  });

  describe("a dist-info with RECORD and Requires-Dist", () => {
    const result = parseFile("installed", `${SITE}/requests-2.31.0.dist-info/METADATA`);
    const requests = result.packages[0]!;

    it("reads name, version, license, author, summary and URLs from the header block only", () => {
      expect(requests).toMatchObject({
        id: "pkg:pypi/requests@2.31.0",
        purl: "pkg:pypi/requests@2.31.0",
        name: "requests",
        version: "2.31.0",
        scope: "required",
        licenseDeclared: "Apache 2.0",
        author: "Kenneth Reitz",
        description: "Python HTTP for Humans.",
        hashes: [],
        externalRefs: [
          { type: "website", url: "https://requests.readthedocs.io" },
          { type: "vcs", url: "https://github.com/psf/requests" },
        ],
      });
      expect(requests.properties).toEqual([{ name: "vouch:pypi:installedFiles", value: "3" }]);
    });

    it("links Requires-Dist to the installed distributions, named by their own metadata; extras are not followed", () => {
      expect(requests.dependsOn).toEqual(["pkg:pypi/charset-normalizer@3.3.2", "pkg:pypi/idna@3.6", "pkg:pypi/urllib3@2.0.7", "pkg:pypi/certifi@2023.7.22"]);
      expect(result.packages.map((p) => p.id)).toEqual([
        "pkg:pypi/requests@2.31.0",
        "pkg:pypi/charset-normalizer@3.3.2",
        "pkg:pypi/idna@3.6",
        "pkg:pypi/urllib3@2.0.7",
        "pkg:pypi/certifi@2023.7.22",
      ]);
      expect(result.directDependencies).toEqual([]);
    });
  });

  it("prefers License-Expression, skips a pasted license text for the classifiers, ignores UNKNOWN", () => {
    expect(parseFile("installed", `${SITE}/urllib3-2.0.7.dist-info/METADATA`).packages[0]).toMatchObject({
      licenseDeclared: "MIT",
      author: "Andrey Petrov <andrey.petrov@shazow.net>",
      externalRefs: [
        { type: "vcs", url: "https://github.com/urllib3/urllib3" },
        { type: "issue-tracker", url: "https://github.com/urllib3/urllib3/issues" },
      ],
    });
    expect(parseFile("installed", `${SITE}/charset_normalizer-3.3.2.dist-info/METADATA`).packages[0]!.licenseDeclared).toBe("MIT");
    expect(parseFile("installed", `${SITE}/idna-3.6.dist-info/METADATA`).packages[0]!.licenseDeclared).toEqual(["BSD License", "GPL-2.0-or-later"]);
    expect(parseFile("installed", `${SITE}/six-1.16.0-py3.12.egg-info/PKG-INFO`).packages[0]).toMatchObject({ id: "pkg:pypi/six@1.16.0", licenseDeclared: "MIT" });
    expect(parseFile("installed", `${SITE}/certifi-2023.7.22-py3.12.egg-info`).packages[0]).toMatchObject({ id: "pkg:pypi/certifi@2023.7.22", licenseDeclared: "MPL-2.0" });
  });

  it("catalogs a virtualenv: one component per distribution, edges merged across files", () => {
    const out = catalogDirectory(join(FIXTURES, "installed"));
    expect(out.components.map((c) => `${c.name}@${c.version}`)).toEqual([
      "certifi@2023.7.22",
      "charset-normalizer@3.3.2",
      "idna@3.6",
      "requests@2.31.0",
      "six@1.16.0",
      "urllib3@2.0.7",
    ]);
    expect(out.dependencies.find((d) => d.ref === "pkg:pypi/requests@2.31.0")?.dependsOn).toHaveLength(4);
    expect(out.components.find((c) => c.name === "urllib3")?.licenses).toEqual([{ expression: "MIT" }]);
    expect(out.warnings).toEqual([]);
  });

  it("rejects a METADATA file without Name and Version", () => {
    try {
      parseFile("installed-corrupt", "site-packages/broken-1.0.dist-info/METADATA");
      expect.unreachable();
    } catch (err) {
      expect(isVouchError(err) && err.code).toBe("INPUT_MALFORMED");
    }
  });
});
