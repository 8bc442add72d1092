import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import type { SignerSummary } from "./alerts.js";
import { compileWatchList, normalizeFingerprint, parseWatchList } from "./watch-list.js";

const FP = "ab".repeat(32);
const release: SignerSummary = { identities: ["release@example.com"], issuer: "https://issuer.example", keyFingerprint: "cd".repeat(32) };
const bareKey: SignerSummary = { identities: [], keyFingerprint: FP };

describe("watch list", () => {
  it("matches when every field of a rule holds", () => {
    const watch = compileWatchList([
      { name: "release", identity: "release@example.com", issuer: "https://issuer.example" },
      { identity: "release@example.com", issuer: "https://elsewhere.example" },
      { issuerRegExp: "https://issuer\\.example" },
      { name: "key", keyFingerprint: `SHA256:${FP.toUpperCase().match(/../g)!.join(":")}` },
      { identity: "release@example.com", keyFingerprint: FP },
    ]);
    expect(watch.size).toBe(5);
    expect(watch.match(release)).toEqual([{ rule: "release" }, { rule: "issuer~/https://issuer\\.example/" }]);
    expect(watch.match(bareKey)).toEqual([{ rule: "key" }]);
    expect(watch.match({ identities: [], keyFingerprint: "00".repeat(32) })).toEqual([]);
  });

  it("anchors regular expressions, and needs one name to satisfy every identity constraint", () => {
    const watch = compileWatchList([{ identityRegExp: "release@example\\.com" }]);
    expect(watch.match({ ...release, identities: ["release@example.com.attacker.net"] })).toEqual([]);
    expect(watch.match({ ...release, identities: ["evil-release@example.com"] })).toEqual([]);
    const both = compileWatchList([{ identity: "a@example.com", identityRegExp: "b@.*" }]);
    expect(both.match({ ...release, identities: ["a@example.com", "b@example.com"] })).toEqual([]);
  });

  it("does not match an issuer rule against a certificate without the issuer extension, nor a bare key", () => {
    const watch = compileWatchList([{ identity: "release@example.com", issuer: "https://issuer.example" }]);
    const { issuer: _issuer, ...noIssuer } = release;
    expect(watch.match(noIssuer)).toEqual([]);
    expect(watch.match(bareKey)).toEqual([]);
  });

  it("refuses unusable rules with INPUT_USAGE", () => {
    for (const rule of [{}, { name: "nothing" }, { identity: "" }, { identityRegExp: "(" }, { keyFingerprint: "abc" }]) {
      expect(thrownVouchError(() => compileWatchList([rule])).code, JSON.stringify(rule)).toBe("INPUT_USAGE");
    }
  });

  it("normalizes fingerprints", () => {
    expect(normalizeFingerprint(`sha256:${FP.toUpperCase()}`)).toBe(FP);
    expect(normalizeFingerprint("ab:cd")).toBeUndefined();
  });

  it("parses a watch-list file: an array or {rules}", () => {
    expect(parseWatchList(`[{"identity": "release@example.com"}, {"keyFingerprint": "${FP}"}]`)).toEqual([{ identity: "release@example.com" }, { keyFingerprint: FP }]);
    expect(parseWatchList(`{"rules": [{"name": "r", "issuer": "https://issuer.example"}]}`)).toEqual([{ name: "r", issuer: "https://issuer.example" }]);
  });

  it("refuses a corrupt watch-list file with INPUT_MALFORMED naming the file and the rule", () => {
    const cases: [string, RegExp][] = [
      ["{not json", /not JSON/],
      ['{"rules": [], "extra": 1}', /expected an array/],
      ['"identity"', /expected an array/],
      ["[1]", /rule 0 is not an object/],
      ['[{"identiy": "typo@example.com"}]', /unknown field "identiy"/],
      ['[{"identity": 5}]', /identity is not a string/],
      ['[{"identityRegExp": "(unclosed"}]', /not a valid regular expression/],
      ['[{"name": "only a name"}]', /sets nothing to match/],
    ];
    for (const [text, message] of cases) {
      const error = thrownVouchError(() => parseWatchList(text, "watch.json"));
      expect(error.code, text).toBe("INPUT_MALFORMED");
      expect(error.location.file).toBe("watch.json");
      expect(error.message, text).toMatch(message);
    }
  });
});
