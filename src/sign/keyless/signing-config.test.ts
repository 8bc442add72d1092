import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { resolveKeylessServices } from "./services.js";
import { parseSigningConfig, selectService, selectServices, type SigningService } from "./signing-config.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "signing-config");
const fixture = (name: string) => readFileSync(join(FIXTURES, name), "utf8");
const MEDIA = "application/vnd.dev.sigstore.signingconfig.v0.2+json";
const NOW = new Date("2026-01-15T12:00:00Z");

function service(url: string, majorApiVersion: number, start?: string, end?: string, operator = "op"): SigningService {
  return { url, majorApiVersion, operator, validFor: { ...(start ? { start: new Date(start) } : {}), ...(end ? { end: new Date(end) } : {}) } };
}

describe("parseSigningConfig", () => {
  it("reads the public-good shape (Rekor v2 shard first, TSA by full URL)", () => {
    const config = parseSigningConfig(fixture("public-good-rekor-v2.json"), "signing_config.json");
    expect(config.caUrls).toEqual([service("https://fulcio.sigstore.dev", 1, "2023-04-14T21:38:40Z", undefined, "sigstore.dev")]);
    expect(config.rekorTlogUrls.map((s) => [s.url, s.majorApiVersion])).toEqual([
      ["https://log2025-1.rekor.sigstore.dev", 2],
      ["https://rekor.sigstore.dev", 1],
    ]);
    expect(config.tsaUrls[0]!.url).toBe("https://timestamp.sigstore.dev/api/v1/timestamp");
    expect(config.oidcUrls[0]!.url).toBe("https://oauth2.sigstore.dev/auth");
    expect([config.rekorTlogConfig, config.tsaConfig]).toEqual([{ selector: "ANY" }, { selector: "ANY" }]);
  });

  it("corrupt file: INPUT_MALFORMED with the file and the line where the JSON breaks", () => {
    const err = thrownVouchError(() => parseSigningConfig(fixture("corrupt-truncated.json"), "corrupt-truncated.json"));
    expect(err.code).toBe("INPUT_MALFORMED");
    expect(err.location.file).toBe("corrupt-truncated.json");
    expect(err.location.line).toBeGreaterThan(30);
    expect(err.describe()).toMatch(/^corrupt-truncated\.json:\d+: not valid JSON: /);
  });

  it("names the wrong field and its line: media type, URL, version, selector, count, timestamps", () => {
    const text = (o: unknown) => JSON.stringify(o, null, 2);
    const base = { mediaType: MEDIA, caUrls: [{ url: "https://ca", majorApiVersion: 1 }] };
    const cases: [unknown, string, number?][] = [
      [{ ...base, mediaType: "application/vnd.dev.sigstore.signingconfig.v0.1+json" }, `signing config: mediaType is "application/vnd.dev.sigstore.signingconfig.v0.1+json": vouch reads ${MEDIA}`, 2],
      [{ caUrls: [] }, `signing config: mediaType is missing: vouch reads ${MEDIA}`],
      [[1], `signing config: (document) is not a JSON object`],
      [{ ...base, caUrls: [{ url: "ftp://ca", majorApiVersion: 1 }] }, "signing config: caUrls[0].url is not an http(s) URL", 5],
      [{ ...base, caUrls: [{ url: "https://ca", majorApiVersion: 0 }] }, "signing config: caUrls[0].majorApiVersion is not a positive whole number", 6],
      [{ ...base, rekorTlogUrls: "https://rekor" }, "signing config: rekorTlogUrls is not a list", 9],
      [{ ...base, tsaConfig: { selector: "SOME" } }, 'signing config: tsaConfig.selector is "SOME": use ALL, ANY or EXACT', 10],
      [{ ...base, tsaConfig: { selector: "EXACT" } }, "signing config: tsaConfig.count must be a positive whole number with selector EXACT"],
      [{ ...base, caUrls: [{ url: "https://ca", majorApiVersion: 1, validFor: { start: "yesterday" } }] }, "signing config: caUrls[0].validFor.start is not an RFC 3339 timestamp", 8],
      [{ ...base, caUrls: [{ url: "https://ca", majorApiVersion: 1, validFor: { start: "2026-01-02T00:00:00Z", end: "2026-01-01T00:00:00Z" } }] }, "signing config: caUrls[0].validFor ends before it starts"],
    ];
    for (const [doc, message, line] of cases) {
      const err = thrownVouchError(() => parseSigningConfig(text(doc), "sc.json"));
      expect({ code: err.code, message: err.message }).toEqual({ code: "INPUT_MALFORMED", message });
      if (line !== undefined) expect(err.location.line).toBe(line);
    }
  });

  it("protojson leniency: proto field names, string uint32s, numeric enums; a missing config means ANY", () => {
    const config = parseSigningConfig(
      JSON.stringify({
        media_type: MEDIA,
        ca_urls: [{ url: "https://ca", major_api_version: "1" }],
        rekor_tlog_urls: [{ url: "https://log", majorApiVersion: 1 }],
        tsaConfig: { selector: 3, count: "2" },
      }),
    );
    expect(config.caUrls[0]).toEqual(service("https://ca", 1, undefined, undefined, ""));
    expect(config.rekorTlogConfig).toEqual({ selector: "ANY" });
    expect(config.tsaConfig).toEqual({ selector: "EXACT", count: 2 });
  });
});

describe("service selection (sigstore-go SelectService(s), as cosign v3)", () => {
  it("only services valid now; the highest supported API version; newest start first", () => {
    const services = [
      service("https://old", 1, "2020-01-01T00:00:00Z", "2025-01-01T00:00:00Z"),
      service("https://v1", 1, "2021-01-01T00:00:00Z", undefined, "a"),
      service("https://v1-newer", 1, "2024-01-01T00:00:00Z", undefined, "b"),
      service("https://v2-future", 2, "2027-01-01T00:00:00Z"),
      service("https://v3", 3, "2024-01-01T00:00:00Z"),
    ];
    expect(selectService(services, [1, 2], NOW)?.url).toBe("https://v1-newer");
    expect(selectService(services, [1, 2], new Date("2027-06-01T00:00:00Z"))?.url).toBe("https://v2-future");
    expect(selectService(services, [2], NOW)).toBeUndefined();
    expect(selectService(services, [1], new Date("2020-06-01T00:00:00Z"))?.url).toBe("https://old");
  });

  it("ALL: one service per operator (the newest); ANY: the first; EXACT n: the first n, or an error when fewer are valid", () => {
    const services = [
      service("https://a-old", 1, "2022-01-01T00:00:00Z", undefined, "a"),
      service("https://a-new", 1, "2025-01-01T00:00:00Z", undefined, "a"),
      service("https://b", 1, "2023-01-01T00:00:00Z", undefined, "b"),
      service("https://c-expired", 1, "2023-01-01T00:00:00Z", "2024-01-01T00:00:00Z", "c"),
    ];
    const urls = (selected: SigningService[]) => selected.map((s) => s.url);
    expect(urls(selectServices(services, { selector: "ALL" }, [1], NOW))).toEqual(["https://a-new", "https://b"]);
    expect(urls(selectServices(services, { selector: "ANY" }, [1], NOW))).toEqual(["https://a-new"]);
    expect(urls(selectServices(services, { selector: "EXACT", count: 2 }, [1], NOW))).toEqual(["https://a-new", "https://b"]);
    const err = thrownVouchError(() => selectServices(services, { selector: "EXACT", count: 3 }, [1], NOW, "timestamp authorities"));
    expect({ code: err.code, message: err.message }).toEqual({
      code: "INPUT_MALFORMED",
      message: "signing config: EXACT 3 timestamp authorities asked, 2 valid now (API version 1, distinct operators)",
    });
    expect(selectServices(services, { selector: "ALL" }, [2], NOW)).toEqual([]);
  });
});

describe("resolveKeylessServices: flag, else signing config, else the deployment's defaults", () => {
  const publicGood = parseSigningConfig(fixture("public-good-rekor-v2.json"));

  it("the signing config alone: Fulcio, the Rekor v2 shard (highest version) and the TSA", () => {
    expect(resolveKeylessServices({ signingConfig: publicGood }, NOW)).toEqual({
      caUrl: "https://fulcio.sigstore.dev",
      tlog: [{ url: "https://log2025-1.rekor.sigstore.dev", majorApiVersion: 2 }],
      tsaUrls: ["https://timestamp.sigstore.dev/api/v1/timestamp"],
    });
    // Before the v2 shard's start, the v1 log is the one valid.
    expect(resolveKeylessServices({ signingConfig: publicGood }, new Date("2025-08-01T00:00:00Z")).tlog).toEqual([{ url: "https://rekor.sigstore.dev", majorApiVersion: 1 }]);
  });

  it("each flag replaces only its own kind; defaults fill what neither names", () => {
    const flags = resolveKeylessServices({ signingConfig: publicGood, fulcioUrl: "http://127.0.0.1:1", tlogUrl: "http://127.0.0.1:2" }, NOW);
    expect(flags).toEqual({ caUrl: "http://127.0.0.1:1", tlog: [{ url: "http://127.0.0.1:2", majorApiVersion: 1 }], tsaUrls: ["https://timestamp.sigstore.dev/api/v1/timestamp"] });
    const defaults = { caUrl: "http://vouch/", tlog: [{ url: "http://vouch/", majorApiVersion: 1 as const }], tsaUrls: ["http://vouch/"] };
    expect(resolveKeylessServices({ tsaUrl: "http://127.0.0.1:3", defaults }, NOW)).toEqual({ ...defaults, tsaUrls: ["http://127.0.0.1:3"] });
  });

  it("usage errors: no CA; neither log nor TSA; Rekor v2 without a TSA; a flag that is not a URL", () => {
    const refuse = (sources: Parameters<typeof resolveKeylessServices>[0]) => {
      const err = thrownVouchError(() => resolveKeylessServices(sources, NOW));
      return `${err.code}: ${err.message}`;
    };
    expect(refuse({ tlogUrl: "http://127.0.0.1:2" })).toBe("INPUT_USAGE: keyless signing needs a certificate authority: --signing-config FILE or --fulcio-url URL");
    expect(refuse({ fulcioUrl: "http://127.0.0.1:1" })).toMatch(/^INPUT_USAGE: keyless signing needs a transparency log or a timestamp authority to prove when it signed/);
    const v2Only = parseSigningConfig(JSON.stringify({ mediaType: MEDIA, caUrls: [{ url: "https://ca", majorApiVersion: 1 }], rekorTlogUrls: [{ url: "https://v2", majorApiVersion: 2 }] }));
    expect(refuse({ signingConfig: v2Only })).toBe(
      "INPUT_USAGE: a Rekor v2 log records no signing time: keyless signing with it needs a timestamp authority (--tsa-url URL, or tsaUrls in the signing config)",
    );
    expect(refuse({ signingConfig: v2Only, fulcioUrl: "fulcio.example" })).toBe("INPUT_MALFORMED: --fulcio-url fulcio.example: not an http(s) URL");
    const expiredCa = parseSigningConfig(JSON.stringify({ mediaType: MEDIA, caUrls: [{ url: "https://ca", majorApiVersion: 1, validFor: { start: "2020-01-01T00:00:00Z", end: "2021-01-01T00:00:00Z" } }] }));
    expect(refuse({ signingConfig: expiredCa, tsaUrl: "http://127.0.0.1:3" })).toBe(
      "INPUT_USAGE: keyless signing needs a certificate authority: --signing-config FILE or --fulcio-url URL (the signing config names none valid now with API version 1)",
    );
  });
});
