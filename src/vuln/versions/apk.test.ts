import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { apk } from "./apk.js";
import { checkComparisons, parseComparisons } from "./compare-fixtures.test-helper.js";
import { schemeForEcosystem } from "./index.js";

const fixture = (name: string) => parseComparisons(readFileSync(join(import.meta.dirname, "fixtures", name), "utf8"));

/**
 * osv-scalibr's hand-written alpine-versions.txt follows apk-tools 3 for some strings that are not valid apk versions
 * (the file itself notes that apk-tools releases disagree on them). apk-tools 2, which produced the generated ground
 * truth and which this scheme implements, orders them the other way. None is a version apk-package(5)'s grammar allows
 * (a "." must be followed by a number, the letter is lower case, a revision is "-r" and a number).
 */
const APK_TOOLS_3_ONLY = new Map([
  ["1-r-0 < 1-r0", "'-r-0' is no revision: apk-tools 2 stops at the '-' (invalid, oldest token type -1) after equal tokens and so ranks it newer"],
  ["1-r-1 < 1-r0", "as above"],
  ["0.r1 < 0r2", "a '.' not followed by a digit: apk-tools 2 reads a '.' component (type 0) against a letter (type 2) and the earlier type is newer"],
  ["0.8.21.r2 < 0.8.21r2", "as above"],
  ["1.2.0A < 1.2.0d", "an upper-case letter is invalid; apk-tools 2 ranks the invalid token (-1) newer than the letter"],
  ["1.2.0D < 1.2.0d", "as above"],
  ["1 > 1-ruff", "'-ruff' is no revision number: apk-tools 2 reads the revision as 0 and then meets invalid text, ranking it newer"],
  ["1-ruff2 = 1--ruff1", "'--ruff1' is invalid straight after the number in apk-tools 2, so the two are not equal there"],
]);

describe("apk", () => {
  it("passes every comparison in alpine-versions-generated.txt (apk version -t over the OSV export)", () => {
    const cases = fixture("alpine-versions-generated.txt");
    expect(cases.length).toBe(13979);
    expect(checkComparisons(apk, cases)).toEqual([]);
  });

  it("passes osv-scalibr's alpine-versions.txt except eight invalid strings apk-tools 3 orders differently", () => {
    const cases = fixture("alpine-versions.txt");
    expect(cases.length).toBe(778);
    expect(checkComparisons(apk, cases, APK_TOOLS_3_ONLY)).toEqual([]);
  });

  it("orders suffixes, letters and revisions as apk does", () => {
    const chain = [
      "1.2_alpha", "1.2_alpha2", "1.2_beta", "1.2_pre1", "1.2_rc1", "1.2", "1.2-r1", "1.2_cvs1", "1.2_svn1", "1.2_git1",
      "1.2_hg1", "1.2_p1", "1.2_p1-r3", "1.2a", "1.2b", "1.2.1", "1.10",
    ];
    expect([...chain].reverse().sort(apk.compare)).toEqual(chain);
    expect(apk.compare("3.1.4-r5", "3.1.4-r10")).toBeLessThan(0);
    expect(apk.compare("9.6_p1-r0", "9.6_p1-r1")).toBeLessThan(0);
    expect(apk.compare("6.6.2p1", "6.6.2_p1")).toBeGreaterThan(0);
  });

  it("reads a later component that starts with zeros as minus the count of its zeros", () => {
    expect(apk.compare("1.05", "1.1")).toBeLessThan(0);
    expect(apk.compare("1.05", "1.0")).toBeGreaterThan(0);
    expect(apk.compare("1.00", "1.0")).toBeLessThan(0);
    expect(apk.compare("006", "6")).toBe(0); // the first component is an ordinary number
    expect(apk.compare("20230101123456789", "20230101123456788")).toBeGreaterThan(0);
  });

  it("never throws; isValid is apk_version_validate", () => {
    expect(apk.compare("", "1")).toBeLessThan(0);
    expect(apk.compare("latest", "1")).toBeLessThan(0);
    for (const ok of ["1", "1.2.3-r0", "2.4.1_rc2-r1", "6.6.2p1", "1.0a_beta2_p3-r10", "0.1.0_alpha"]) {
      expect(apk.isValid(ok), ok).toBe(true);
    }
    // apk-tools 2 is lax where a token is empty: a first number may be missing, and so may the number after a "."
    for (const lax of ["v1.0", "0.r1", "1..0", "1.0-r", "a"]) expect(apk.isValid(lax), lax).toBe(true);
    for (const bad of ["", "1.0-1", "1.0_foo", "1.0A", "1.0~abc"]) {
      expect(apk.isValid(bad), bad).toBe(false);
    }
  });

  it("is the scheme of Alpine, Alpine, Wolfi, Chainguard, MinimOS", () => {
    for (const e of ["Alpine:v3.19", "Alpine:v3.22", "Wolfi", "Chainguard", "MinimOS"]) expect(schemeForEcosystem(e)?.name, e).toBe("apk");
  });
});
