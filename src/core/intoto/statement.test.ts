import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import {
  buildStatement,
  encodeStatement,
  parseStatement,
  PREDICATE_TYPES,
  resolvePredicateType,
  statementMatchesDigest,
  STATEMENT_V01_TYPE,
  STATEMENT_V1_TYPE,
} from "./statement.js";

const SIGSTORE = join(import.meta.dirname, "..", "..", "..", "test", "fixtures", "sigstore");
const A_TXT_SHA256 = "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf";
const read = (...path: string[]) => readFileSync(join(SIGSTORE, ...path));
/** The DSSE payload of a real bundle, decoded. */
const payloadOf = (...path: string[]) => new Uint8Array(Buffer.from(JSON.parse(read(...path).toString()).dsseEnvelope.payload, "base64"));

describe("parseStatement", () => {
  it("reads the v0.1 npm publish statement of the sigstore-js bundles", () => {
    const s = parseStatement(payloadOf("sigstore-js", "tests", "bundles", "bundleV03-intoto.sigstore"));
    expect(s._type).toBe(STATEMENT_V01_TYPE);
    expect(s.predicateType).toBe("https://github.com/npm/attestation/tree/main/specs/publish/v0.1");
    expect(s.subject).toEqual([
      {
        name: "pkg:npm/sigstore@1.0.0",
        digest: { sha512: "7bea9f6e7ff37f5fab0b36bf061200fff03099fd2fd696b91d04bc5e4f225eb9fd6e0cadcad54ba980f43fb352a99e8810b4e0abeb5c0ef2cf9108cd1f258b36" },
      },
    ]);
  });

  it("reads the v1 SLSA provenance of sigstore.js@2.0.0", () => {
    const s = parseStatement(payloadOf("sigstore-go", "pkg", "testing", "data", "bundles", "sigstore.js@2.0.0-provenance.sigstore.json"));
    expect(s._type).toBe(STATEMENT_V1_TYPE);
    expect(s.predicateType).toBe(PREDICATE_TYPES.slsaprovenance);
    expect(s.subject[0]!.name).toBe("pkg:npm/sigstore@2.0.0");
    expect(Object.keys(s.predicate!)).toEqual(["buildDefinition", "runDetails"]);
  });

  it("reads the conformance statement and the in-toto payload of happy-path-intoto-in-dsse-v3", () => {
    const s = parseStatement(read("conformance", "test", "assets", "statement.json"));
    expect(s.subject).toEqual([{ name: "a.txt", digest: { sha256: A_TXT_SHA256 } }]);
    const signed = parseStatement(payloadOf("conformance", "test", "assets", "bundle-verify", "happy-path-intoto-in-dsse-v3", "bundle.sigstore.json"));
    expect(statementMatchesDigest(signed, "sha256", A_TXT_SHA256)).toBe(true);
  });

  it("reads a v0.1 SLSA v0.2 provenance given as text", () => {
    const s = parseStatement(read("sigstore-go", "examples", "statement-provenance-sigstorejs1.3.0.json").toString("utf8"));
    expect([s._type, s.predicateType]).toEqual([STATEMENT_V01_TYPE, PREDICATE_TYPES.slsaprovenance02]);
  });

  it.each([
    ["not JSON", new TextEncoder().encode("{"), "INPUT_MALFORMED", "not UTF-8 JSON"],
    ["not UTF-8", new Uint8Array([0x7b, 0xff, 0x7d]), "INPUT_MALFORMED", "not UTF-8 JSON"],
    ["an array", "[]", "INPUT_MALFORMED", "(statement): must be an object"],
    ["another _type", '{"_type":"https://in-toto.io/Statement/v2"}', "INPUT_UNSUPPORTED_FORMAT", '_type "https://in-toto.io/Statement/v2"'],
    ["no subject", `{"_type":"${STATEMENT_V1_TYPE}","subject":[],"predicateType":"x"}`, "INPUT_MALFORMED", "subject: must be a non-empty array"],
    ["a subject without digest", `{"_type":"${STATEMENT_V1_TYPE}","subject":[{"name":"a"}],"predicateType":"x"}`, "INPUT_MALFORMED", "subject[0].digest: must be an object"],
    ["an empty digest", `{"_type":"${STATEMENT_V1_TYPE}","subject":[{"digest":{}}],"predicateType":"x"}`, "INPUT_MALFORMED", "subject[0].digest: is empty"],
    ["a digest that is not a string", `{"_type":"${STATEMENT_V1_TYPE}","subject":[{"digest":{"sha256":1}}],"predicateType":"x"}`, "INPUT_MALFORMED", "subject[0].digest.sha256: must be a string"],
    ["no predicate type", `{"_type":"${STATEMENT_V1_TYPE}","subject":[{"digest":{"sha256":"ab"}}]}`, "INPUT_MALFORMED", "predicateType: must be a non-empty string"],
    ["a predicate that is not an object", `{"_type":"${STATEMENT_V1_TYPE}","subject":[{"digest":{"sha256":"ab"}}],"predicateType":"x","predicate":"p"}`, "INPUT_MALFORMED", "predicate: must be an object"],
  ])("refuses %s", (_name, payload, code, message) => {
    const error = thrownVouchError(() => parseStatement(payload));
    expect(error.code).toBe(code);
    expect(error.message).toContain(message);
  });
});

describe("buildStatement", () => {
  it("builds a v1 statement that encodes and parses back", () => {
    const predicate = { buildDefinition: { buildType: "https://example.com/build/v1" } };
    const s = buildStatement([{ name: "a.txt", digest: { sha256: A_TXT_SHA256.toUpperCase() } }], PREDICATE_TYPES.slsaprovenance, predicate);
    expect(s).toEqual({
      _type: STATEMENT_V1_TYPE,
      subject: [{ name: "a.txt", digest: { sha256: A_TXT_SHA256 } }],
      predicateType: "https://slsa.dev/provenance/v1",
      predicate,
    });
    const bytes = encodeStatement(s);
    expect(new TextDecoder().decode(bytes)).toBe(
      `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a.txt","digest":{"sha256":"${A_TXT_SHA256}"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"https://example.com/build/v1"}}}`,
    );
    expect(parseStatement(bytes)).toEqual(s);
  });

  it("omits an absent predicate and keeps the order of subjects", () => {
    const s = buildStatement(
      [
        { name: "b", digest: { sha256: "b".repeat(64) } },
        { name: "a", digest: { gitCommit: "0123abc" } },
      ],
      "https://example.com/p",
    );
    expect(s.subject.map((x) => x.name)).toEqual(["b", "a"]);
    expect("predicate" in s).toBe(false);
  });

  it.each([
    [[], "https://x", "subject: a statement needs at least one subject"],
    [[{ name: "a", digest: {} }], "https://x", "subject[0].digest: has no digest"],
    [[{ name: "a", digest: { sha256: "abc" } }], "https://x", "subject[0].digest.sha256: must be 64 hex characters"],
    [[{ name: "a", digest: { sha512: "z".repeat(128) } }], "https://x", "subject[0].digest.sha512: must be 128 hex characters"],
    [[{ name: "a", digest: { sha256: "a".repeat(64) } }], "", "predicateType: is empty"],
  ])("refuses bad input (%#)", (subjects, predicateType, message) => {
    expect(thrownVouchError(() => buildStatement(subjects, predicateType)).message).toBe(`in-toto statement: ${message}`);
  });
});

describe("statementMatchesDigest", () => {
  const s = buildStatement(
    [
      { name: "a.txt", digest: { sha256: A_TXT_SHA256 } },
      { name: "b.txt", digest: { sha512: "c".repeat(128), sha256: "d".repeat(64) } },
    ],
    PREDICATE_TYPES.custom,
  );

  it("finds any subject with the digest, under either algorithm spelling, in any case", () => {
    expect(statementMatchesDigest(s, "sha256", A_TXT_SHA256)).toBe(true);
    expect(statementMatchesDigest(s, "SHA2_256", A_TXT_SHA256.toUpperCase())).toBe(true);
    expect(statementMatchesDigest(s, "sha512", "c".repeat(128))).toBe(true);
    expect(statementMatchesDigest(s, "SHA2_512", "c".repeat(128))).toBe(true);
  });

  it("does not match another digest, another algorithm, or nothing", () => {
    expect(statementMatchesDigest(s, "sha256", "0".repeat(64))).toBe(false);
    expect(statementMatchesDigest(s, "sha512", A_TXT_SHA256)).toBe(false);
    expect(statementMatchesDigest(s, "sha256", "")).toBe(false);
    expect(statementMatchesDigest(s, "__proto__", "x")).toBe(false);
    expect(statementMatchesDigest(s, "constructor", "function Object() { [native code] }")).toBe(false);
  });
});

describe("predicate types", () => {
  it("uses cosign's URIs", () => {
    expect(PREDICATE_TYPES).toEqual({
      slsaprovenance: "https://slsa.dev/provenance/v1",
      slsaprovenance1: "https://slsa.dev/provenance/v1",
      slsaprovenance02: "https://slsa.dev/provenance/v0.2",
      spdx: "https://spdx.dev/Document",
      spdxjson: "https://spdx.dev/Document",
      cyclonedx: "https://cyclonedx.org/bom",
      vuln: "https://cosign.sigstore.dev/attestation/vuln/v1",
      openvex: "https://openvex.dev/ns",
      link: "https://in-toto.io/Link/v1",
      custom: "https://cosign.sigstore.dev/attestation/v1",
    });
  });

  it.each([
    ["slsaprovenance", "https://slsa.dev/provenance/v1"],
    ["openvex", "https://openvex.dev/ns"],
    ["https://example.com/predicate/v1", "https://example.com/predicate/v1"],
    ["urn:example:predicate", "urn:example:predicate"],
    ["sbom", undefined],
    ["constructor", undefined],
    ["", undefined],
  ])("resolvePredicateType(%j)", (name, uri) => {
    expect(resolvePredicateType(name)).toBe(uri);
  });
});
