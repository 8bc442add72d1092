import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogDirectory, catalogFiles } from "../../../test/support/catalog.js";
import { parseFixtureFile, pkg } from "../../../test/support/parse.js";
import { pypiCatalogers } from "./index.js";
import { archiveNameVersion, isDevRequirementsFile, isRequirementsFile, logicalLines, parseRequirementsFile } from "./parse-requirements.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** Parse <dir>/<file> of the fixtures, with the fixture folder <dir> as the source root. */
const parseFixture = (dir: string, file: string) => parseFixtureFile(parseRequirementsFile, join(FIXTURES, dir), file);

describe("pypi requirements.txt cataloger", () => {
  it("matches requirements files the way syft's *requirements*.txt does, plus requirements/*.txt", () => {
    for (const p of ["requirements.txt", "a/requirements-dev.txt", "dev-requirements.txt", "requirements/main.txt", "Requirements.TXT", "test_requirements.txt"]) {
      expect(isRequirementsFile(p), p).toBe(true);
    }
    for (const p of ["requirements.in", "requirements/main.in", "constraints.txt", "requirements/constraints.txt", "notes.txt", "requirements.txt.bak"]) {
      expect(isRequirementsFile(p), p).toBe(false);
    }
    expect(pypiCatalogers.filter((c) => c.matches("requirements.txt")).map((c) => c.name)).toEqual(["pypi-requirements"]);
  });

  it("puts dev/test/lint/docs requirements files in dev scope", () => {
    for (const p of ["requirements-dev.txt", "dev-requirements.txt", "requirements/dev.txt", "requirements/dev-py3.txt", "requirements_test.txt", "requirements/docs.txt", "requirements-dev2.txt"]) {
      expect(isDevRequirementsFile(p), p).toBe(true);
    }
    for (const p of ["requirements.txt", "requirements/main.txt", "requirements/deploy.txt", "requirements-docker.txt", "requirements/device.txt"]) {
      expect(isDevRequirementsFile(p), p).toBe(false);
    }
  });

  it("joins backslash continuations like pip, never across a comment line", () => {
    expect(logicalLines("a==1 \\\n  --hash=sha256:x \\\n  --hash=sha256:y\n# c \\\nb==2\n")).toEqual([
      { text: "a==1    --hash=sha256:x    --hash=sha256:y", line: 1 },
      { text: "# c \\", line: 4 },
      { text: "b==2", line: 5 },
      { text: "", line: 6 },
    ]);
  });

  it("names distributions by wheel and sdist file names", () => {
    expect(archiveNameVersion("https://x.invalid/p/attrs-23.1.0-py3-none-any.whl")).toEqual({ name: "attrs", version: "23.1.0" });
    expect(archiveNameVersion("./dist/zope.interface-6.1-1-cp312-cp312-manylinux_x86_64.whl#sha256=ab")).toEqual({ name: "zope.interface", version: "6.1" });
    expect(archiveNameVersion("file:///tmp/my-pkg-1.0.0.tar.gz")).toEqual({ name: "my-pkg", version: "1.0.0" });
    expect(archiveNameVersion("git+https://github.com/x/y.git")).toBeUndefined();
  });

  describe("hand-written file with pip's syntax", () => {
    const result = parseFixture("requirements-basic", "requirements.txt");

    it("keeps pinned, unpinned and referenced packages, and follows -r includes (not -c constraints)", () => {
      expect(result.packages.map((p) => p.id)).toEqual([
        "pkg:pypi/certifi@2023.7.22",
        "pkg:pypi/requests@2.31.0",
        "pkg:pypi/django@4.2.7",
        "pkg:pypi/flask",
        "pkg:pypi/six",
        "pkg:pypi/zope.interface@6.1",
        "pkg:pypi/mylib",
        "pkg:pypi/attrs@23.1.0",
        "pkg:pypi/pkg-with-url@0.3.0",
      ]);
      expect(result.packages.every((p) => p.scope === "required" && p.ecosystem === "pypi")).toBe(true);
      // Without pip-compile annotations every declared line is a direct dependency.
      expect(result.directDependencies).toEqual(result.packages.map((p) => p.id));
    });

    it("collects --hash options from continuation lines and from a repeated pin", () => {
      expect(pkg(result, "pkg:pypi/requests@2.31.0").hashes).toEqual(
        [sha256("requests-whl"), sha256("requests-sdist"), sha256("requests-extra")].sort().map((content) => ({ alg: "SHA-256", content })),
      );
    });

    it("drops extras from the name and keeps extras, markers and constraints as properties", () => {
      const requests = pkg(result, "pkg:pypi/requests@2.31.0");
      expect(requests.name).toBe("requests");
      expect(requests.properties).toEqual([
        { name: "vouch:pypi:extras", value: "security,socks" },
        { name: "vouch:pypi:markers", value: 'python_version >= "3.8"' },
      ]);
      expect(pkg(result, "pkg:pypi/django@4.2.7")).toMatchObject({ name: "Django", version: "4.2.7" });
      expect(pkg(result, "pkg:pypi/flask")).toMatchObject({ version: "", properties: [{ name: "vouch:pypi:versionConstraint", value: ">=2.0,<3" }] });
      expect(pkg(result, "pkg:pypi/six").version).toBe("");
      expect(pkg(result, "pkg:pypi/six").properties).toBeUndefined();
    });

    it("names -e/URL references by #egg= or the archive file name", () => {
      expect(pkg(result, "pkg:pypi/mylib").properties).toEqual([{ name: "vouch:pypi:source", value: "git+https://github.com/example/mylib.git@v1.0" }]);
      expect(pkg(result, "pkg:pypi/attrs@23.1.0").properties).toEqual([
        { name: "vouch:pypi:source", value: "https://files.example.invalid/packages/attrs-23.1.0-py3-none-any.whl" },
      ]);
      expect(pkg(result, "pkg:pypi/pkg-with-url@0.3.0").properties).toEqual([
        { name: "vouch:pypi:markers", value: 'sys_platform == "linux"' },
        { name: "vouch:pypi:source", value: "https://files.example.invalid/pkg_with_url-0.3.0-py3-none-any.whl" },
      ]);
    });

    it("warns about what it cannot read, with the line, and about includes elsewhere with their file", () => {
      expect(result.warnings).toEqual([
        { file: "requirements/base.txt", message: "-r ../requirements.txt: include cycle; skipped", line: 3 },
        { file: "requirements/base.txt", message: "-r missing.txt: requirements/missing.txt not found or unreadable; skipped", line: 4 },
        { message: 'cannot name the package of "git+https://github.com/example/noname.git@main" (no #egg= fragment); skipped', line: 15 },
        { message: 'cannot parse requirement "not a (requirement"; skipped', line: 20 },
      ]);
    });
  });

  describe("pip-compile output", () => {
    const result = parseFixture("requirements-pip-compile", "requirements.txt");

    it("reads every pin with its hashes", () => {
      expect(result.packages.map((p) => `${p.name}@${p.version}`)).toEqual(["celery@5.3.6", "kombu@5.3.4", "redis@5.0.1", "vine@5.1.0", "amqp@5.2.0", "myapp-plugin@1.0.0"]);
      expect(pkg(result, "pkg:pypi/vine@5.1.0").hashes).toEqual([{ alg: "SHA-256", content: sha256("vine1") }]);
      expect(pkg(result, "pkg:pypi/celery@5.3.6").properties).toEqual([{ name: "vouch:pypi:extras", value: "redis" }]);
    });

    it("turns `# via` annotations into edges and direct dependencies", () => {
      expect(result.directDependencies).toEqual(["pkg:pypi/celery@5.3.6", "pkg:pypi/kombu@5.3.4", "pkg:pypi/myapp-plugin@1.0.0"]);
      expect(pkg(result, "pkg:pypi/celery@5.3.6").dependsOn).toEqual(["pkg:pypi/kombu@5.3.4", "pkg:pypi/redis@5.0.1", "pkg:pypi/vine@5.1.0"]);
      expect(pkg(result, "pkg:pypi/kombu@5.3.4").dependsOn).toEqual(["pkg:pypi/redis@5.0.1", "pkg:pypi/amqp@5.2.0"]);
      expect(pkg(result, "pkg:pypi/redis@5.0.1").dependsOn).toEqual([]);
      expect(result.warnings).toEqual([]);
    });
  });

  it("scopes by file name and lets the catalog merge a package seen as dev and required to required", () => {
    const dev = parseFixture("requirements-dev-scope", "requirements-dev.txt");
    expect(dev.packages.map((p) => [p.id, p.scope])).toEqual([
      ["pkg:pypi/attrs@23.1.0", "dev"],
      ["pkg:pypi/ruff@0.1.6", "dev"],
      ["pkg:pypi/pytest@7.4.3", "dev"],
    ]);
    const out = catalogDirectory(join(FIXTURES, "requirements-dev-scope"));
    expect(out.components.map((c) => [c.bomRef, c.scope, c.foundIn])).toEqual([
      ["pkg:pypi/attrs@23.1.0", "required", ["requirements-dev.txt", "requirements.txt"]],
      ["pkg:pypi/idna@3.6", "required", ["requirements/main.txt"]],
      ["pkg:pypi/pytest@7.4.3", "dev", ["requirements-dev.txt"]],
      ["pkg:pypi/ruff@0.1.6", "dev", ["requirements-dev.txt", "requirements/lint.txt"]],
    ]);
    expect(out.warnings).toEqual([]);
  });

  it("never throws on garbage: bad lines are warnings, good lines still count", () => {
    const result = parseFixture("requirements-corrupt", "requirements.txt");
    expect(result.packages.map((p) => p.id)).toEqual(["pkg:pypi/ok-package@1.0"]);
    expect(result.warnings.map((w) => w.line)).toEqual([1, 2, 3, 5]);
  });

  it("reads annotation-style=line via comments and -r with = or glued", () => {
    const out = catalogFiles({
      "requirements.txt": "--requirement=base.txt\n-rextra.txt\nflask==3.0.0  # via -r requirements.in\nwerkzeug==3.0.1  # via flask\n",
      "base.txt": "click==8.1.7\n",
      "extra.txt": "itsdangerous==2.1.2\n",
    });
    expect(out.components.map((c) => c.bomRef)).toEqual(["pkg:pypi/click@8.1.7", "pkg:pypi/flask@3.0.0", "pkg:pypi/itsdangerous@2.1.2", "pkg:pypi/werkzeug@3.0.1"]);
    expect(out.dependencies).toContainEqual({ ref: "pkg:pypi/flask@3.0.0", dependsOn: ["pkg:pypi/werkzeug@3.0.1"] });
    // click and itsdangerous carry no annotation: taken as declared directly.
    expect(out.rootDependsOn).toEqual(["pkg:pypi/click@8.1.7", "pkg:pypi/flask@3.0.0", "pkg:pypi/itsdangerous@2.1.2"]);
  });

  it("catalogs a 20,000-line pip-compile file", () => {
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const hex = (i % 65536).toString(16).padStart(4, "0").repeat(16);
      lines.push(`pkg${i}==1.${i}.0 \\`, `    --hash=sha256:${hex}`, "    # via", `    #   ${i === 0 ? "-r requirements.in" : `pkg${i - 1}`}`);
    }
    const out = catalogFiles({ "requirements.txt": lines.join("\n") });
    expect(out.components).toHaveLength(20_000);
    expect(out.rootDependsOn).toEqual(["pkg:pypi/pkg0@1.0.0"]);
  });
});
