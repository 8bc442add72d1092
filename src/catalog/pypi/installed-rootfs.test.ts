import { describe, expect, it } from "vitest";
import { catalogSource } from "../catalog.js";
import { MemorySource } from "../sources/memory.js";
import { pypiCatalogers } from "./index.js";

/**
 * The installed-distributions cataloger on an image's rootfs layouts (issue 6): pip's site-packages under
 * /usr/local (python:3.x images), Debian's dist-packages with dist-info, egg-info folders and single-file egg-info.
 * (Checked by hand against `pip list --path /usr/lib/python3/dist-packages` on Debian 12: the same 26 name==version.)
 */
const meta = (name: string, version: string, extra = "") => `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n${extra}\n`;

describe("pypi installed distributions in a rootfs", () => {
  it("reads every layout, with edges inside one site directory", () => {
    const out = catalogSource(
      new MemorySource({
        "usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA": meta("requests", "2.31.0", "Requires-Dist: idna (<4,>=2.5)\nRequires-Dist: PySocks (!=1.5.7,>=1.5.6) ; extra == 'socks'"),
        "usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/RECORD": "requests/__init__.py,,\n",
        "usr/local/lib/python3.11/site-packages/idna-3.6.dist-info/METADATA": meta("idna", "3.6"),
        "usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA": meta("PyYAML", "6.0"),
        "usr/lib/python3/dist-packages/python_apt-2.6.0.egg-info/PKG-INFO": meta("python-apt", "2.6.0"),
        "usr/lib/python3/dist-packages/six-1.16.0.egg-info": meta("six", "1.16.0"),
        "usr/lib/python3/dist-packages/yaml/__init__.py": "",
      }),
      pypiCatalogers,
    );
    expect(out.warnings).toEqual([]);
    expect(out.components.map((c) => c.purl)).toEqual([
      "pkg:pypi/idna@3.6",
      "pkg:pypi/python-apt@2.6.0",
      "pkg:pypi/pyyaml@6.0",
      "pkg:pypi/requests@2.31.0",
      "pkg:pypi/six@1.16.0",
    ]);
    expect(out.dependencies.find((d) => d.ref === "pkg:pypi/requests@2.31.0")?.dependsOn).toEqual(["pkg:pypi/idna@3.6"]);
    expect(out.rootProject).toBeUndefined();
  });
});
