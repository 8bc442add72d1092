import { describe, expect, it } from "vitest";
import { catalogFiles } from "../../../test/support/catalog.js";
import { pypiCatalogers } from "./index.js";
import { licensesFromClassifiers } from "./license-classifiers.js";

/** Attacker-controlled fields of every wrong type: warnings and skipped entries, never a TypeError. */
describe("pypi catalogers on hostile input", () => {
  it("keeps prototype keys out of the classifier table", () => {
    expect(licensesFromClassifiers(["License :: constructor", "License :: OSI Approved :: __proto__"])).toEqual(["constructor", "__proto__"]);
  });

  it("survives wrong types in every format", () => {
    const out = catalogFiles(
      {
        "a/Pipfile.lock": JSON.stringify({ _meta: { "pipfile-spec": 6 }, default: { " ": { version: "==1" }, ok: { version: 5, hashes: "x" }, x: null }, develop: [] }),
        "b/poetry.lock": '[[package]]\nname = " "\nversion = "1"\n\n[[package]]\nname = "p"\nversion = "1"\ndependencies = "x"\nfiles = 5\nextras = 3\ngroups = "main"\n\n[metadata]\nlock-version = "2.0"\nfiles = 7\n',
        "b/pyproject.toml": '[project]\nname = 5\n[tool.poetry]\nname = "n"\ndependencies = [1, 2]\ngroup = "x"\nextras = { a = 5, b = [1, "p"] }\n[dependency-groups]\ng = [{ include-group = "constructor" }, { include-group = "g" }, 5]\n',
        "c/uv.lock": 'version = 1\npackage = [{ name = "x", source = 5, dependencies = [1, { name = 2 }, { name = "x", extra = "y" }], wheels = { hash = 1 }, sdist = [1] }, { name = "m", source = { editable = 5 } }, { source = { virtual = "." } }, { name = "-bad-" }]\n',
        "d/pdm.lock": '[metadata]\nlock_version = "4.4"\nfiles = 5\n[[package]]\nname = "q"\nversion = 3\ngroups = "default"\ndependencies = [1, "", "!!"]\nfiles = [{ hash = 5 }]\n',
        "e/requirements.txt": "-r\n-e\n--hash=sha256:abc\n@ x\nname[ ==1\nfoo==1 --hash\n./_-1.0.tar.gz\n",
        "f/site-packages/x.dist-info/METADATA": "Name: constructor\nVersion: 1\nRequires-Dist: __proto__\nRequires-Dist: constructor\nProject-URL: ,\nClassifier: License :: __proto__\n",
        "g/site-packages/y.dist-info/METADATA": "Name: a b\nVersion: 1\n",
      },
      pypiCatalogers,
    );
    expect(out.components.map((c) => c.bomRef)).toEqual([
      "pkg:pypi/constructor@1",
      "pkg:pypi/foo@1",
      "pkg:pypi/m",
      "pkg:pypi/n",
      "pkg:pypi/ok",
      "pkg:pypi/p@1",
      "pkg:pypi/q",
      "pkg:pypi/x",
    ]);
    expect(out.components.find((c) => c.name === "constructor")?.licenses).toEqual([{ name: "__proto__" }]);
    expect(out.warnings.map((w) => `${w.file}:${w.line ?? ""} ${w.message}`)).toEqual([
      'a/Pipfile.lock: package " " has an invalid name; skipped',
      'a/Pipfile.lock: package "x" is not an object; skipped',
      'a/Pipfile.lock: "develop" is not an object; skipped',
      'b/poetry.lock:1 [[package]] with an invalid name " "; skipped',
      "c/uv.lock: [[package]] without a name; skipped",
      'c/uv.lock: [[package]] with an invalid name "-bad-"; skipped',
      "e/requirements.txt:1 -r without a file name; skipped",
      "e/requirements.txt:2 -e without a value; skipped",
      'e/requirements.txt:4 cannot parse requirement "@ x"; skipped',
      'e/requirements.txt:5 cannot parse requirement "name[ ==1"; skipped',
      'e/requirements.txt:7 cannot name the package of "./_-1.0.tar.gz" (no #egg= fragment); skipped',
      'g/site-packages/y.dist-info/METADATA:1 core metadata Name "a b" is not a valid distribution name; skipped',
    ]);
  });
});
