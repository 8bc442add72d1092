import { describe, expect, it } from "vitest";
import type { DecisionEvent } from "../api/types";
import { summarizeDecision } from "./decision";
import { artifactPath, digestFromInput, executivePath, parseRoute } from "./route";
import { tokenFromFragment } from "./token";

const digest = `sha256:${"c".repeat(64)}`;

describe("routes", () => {
  it("parses the dashboard's paths", () => {
    expect(parseRoute("/")).toEqual({ name: "executive", filter: {} });
    expect(parseRoute("/", "?environment=prod&team=&x=1")).toEqual({ name: "executive", filter: { environment: "prod" } });
    expect(parseRoute("/", `?${new URLSearchParams({ service: "a&b", team: "t" })}`)).toEqual({ name: "executive", filter: { service: "a&b", team: "t" } });
    expect(parseRoute("/oncall/")).toEqual({ name: "oncall" });
    expect(parseRoute("/keys")).toEqual({ name: "keys" });
    expect(parseRoute("/impact", "?q=log4j-core&range=%3C2.17.1")).toEqual({ name: "impact", query: "log4j-core", range: "<2.17.1" });
    expect(parseRoute(`/artifacts/${digest}`)).toEqual({ name: "artifact", digest });
    expect(parseRoute(`/artifacts/sha256%3A${"c".repeat(64)}`)).toEqual({ name: "artifact", digest });
    expect(parseRoute("/artifacts/%E0%A4%A")).toEqual({ name: "not-found", path: "/artifacts/%E0%A4%A" });
    expect(parseRoute("/nope")).toEqual({ name: "not-found", path: "/nope" });
  });

  it("writes the executive scope into a path the router reads back", () => {
    expect(executivePath({})).toBe("/");
    expect(executivePath({ environment: "prod", service: "" })).toBe("/?environment=prod");
    expect(parseRoute("/", executivePath({ team: "payments", service: "a b" }).slice(1))).toEqual({ name: "executive", filter: { team: "payments", service: "a b" } });
  });

  it("links an artifact by a path the router reads back", () => {
    expect(artifactPath(digest)).toBe(`/artifacts/${digest}`);
    expect(parseRoute(artifactPath(digest))).toEqual({ name: "artifact", digest });
  });

  it("takes a digest from what the search box holds", () => {
    expect(digestFromInput(` ${digest.toUpperCase()} `)).toBe(digest);
    expect(digestFromInput("c".repeat(64))).toBe(digest);
    expect(digestFromInput(`registry.example/app@${digest}`)).toBe(digest);
    expect(digestFromInput("registry.example/app:1.0")).toBeUndefined();
    expect(digestFromInput("sha256:abc")).toBeUndefined();
  });
});

describe("the #token= fragment", () => {
  it("takes the token and keeps the rest of the fragment", () => {
    expect(tokenFromFragment("#token=vt_abc")).toEqual({ token: "vt_abc", rest: "" });
    expect(tokenFromFragment("#token=vt_abc&x=1")).toEqual({ token: "vt_abc", rest: "#x=1" });
    expect(tokenFromFragment("#section")).toEqual({ rest: "#section" });
    expect(tokenFromFragment("")).toEqual({ rest: "" });
    expect(tokenFromFragment("#token=")).toEqual({ rest: "" });
  });
});

describe("deny summaries from recorded decisions", () => {
  const base: Omit<DecisionEvent, "decision"> = {
    id: "e1",
    time: "2025-03-14T00:00:00Z",
    source: "admission",
    resource: { kind: "Pod", namespace: "shop", name: "checkout-1" },
    allowed: false,
    needsReconciliation: false,
  };

  it("reads reason, policy, image, digest and signer", () => {
    const s = summarizeDecision({
      ...base,
      decision: {
        allowed: false,
        reasons: [`registry/app@${digest}: signed-images/authorities: no signature`],
        images: [
          {
            reference: `registry/app@${digest}`,
            digest,
            unmatched: false,
            policies: [
              { policy: "ok-policy", passed: true, rules: [], evidence: { signers: [{ identity: "ci@example", authority: "a", location: "l", logIndexes: [] }], attestations: [] } },
              { policy: "signed-images", passed: false, rules: [{ rule: "authorities", outcome: "fail", reasons: ["no signature"] }], evidence: { signers: [], attestations: [] } },
            ],
          },
        ],
      },
    });
    expect(s).toEqual({
      reason: `registry/app@${digest}: signed-images/authorities: no signature`,
      policy: "signed-images",
      image: `registry/app@${digest}`,
      digest,
      signer: "ci@example",
      reasons: [`registry/app@${digest}: signed-images/authorities: no signature`],
    });
  });

  it("never guesses from malformed JSON", () => {
    const s = summarizeDecision({ ...base, decision: { reasons: "not a list", images: [{ reference: 7, policies: "x" }] } });
    expect(s).toEqual({ reason: "—", policy: "—", image: "checkout-1", signer: "—", reasons: [] });
    const unmatched = summarizeDecision({ ...base, decision: { reasons: [], images: [{ reference: "registry/app:1", unmatched: true, policies: [] }] } });
    expect(unmatched).toMatchObject({ reason: "no policy covers the image", policy: "(no matching policy)", image: "registry/app:1" });
    expect(unmatched.digest).toBeUndefined();
  });

  it("says which outage action decided an admission awaiting re-verification", () => {
    const s = summarizeDecision({
      ...base,
      allowed: true,
      needsReconciliation: true,
      decision: {
        allowed: true,
        reasons: [],
        warnings: [],
        images: [{ reference: "registry/ledger:0.9", unmatched: false, policies: [{ policy: "p", passed: true, rules: [], degraded: { action: "allow-and-record", reason: "registry unavailable" } }] }],
      },
    });
    expect(s.reason).toBe("allow-and-record: registry unavailable");
    expect(s.policy).toBe("—");
  });
});
