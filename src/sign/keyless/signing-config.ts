import { parseJsonText, lineOfJsonPath, formatJsonPath, type JsonPath } from "../../core/encoding/json-text.js";
import { VouchError } from "../../core/errors.js";

/**
 * Sigstore signing config v0.2 (protobuf-specs trustroot/v1 SigningConfig, protojson): which CA, OIDC provider,
 * transparency logs and timestamp authorities a client signs with, each with its API version, validity window and
 * operator, plus how many logs / TSAs to use. cosign v3 (`--signing-config`) and sigstore-js read the same file; the
 * selection below follows sigstore-go's root.SelectService(s), which cosign uses.
 */

export const SIGNING_CONFIG_V02_MEDIA_TYPE = "application/vnd.dev.sigstore.signingconfig.v0.2+json";

export interface SigningService {
  url: string;
  majorApiVersion: number;
  /** `start` absent: valid from the beginning; `end` absent: still valid. */
  validFor: { start?: Date; end?: Date };
  operator: string;
}

export type ServiceSelector = "ALL" | "ANY" | "EXACT";

export interface ServiceConfiguration {
  selector: ServiceSelector;
  /** For EXACT: how many services. */
  count?: number;
}

export interface SigningConfig {
  mediaType: string;
  caUrls: SigningService[];
  oidcUrls: SigningService[];
  rekorTlogUrls: SigningService[];
  rekorTlogConfig: ServiceConfiguration;
  tsaUrls: SigningService[];
  tsaConfig: ServiceConfiguration;
}

/**
 * Parse signing_config.json. Field names are protojson's lowerCamelCase (what cosign, sigstore-go and sigstore-js
 * write); the proto field names (ca_urls, …) are accepted too, as protojson.Unmarshal accepts them. A missing
 * rekorTlogConfig / tsaConfig (or SERVICE_SELECTOR_UNDEFINED) means ANY: one service, as sigstore-js's own configs
 * leave it out when there is one.
 *
 * @throws VouchError INPUT_MALFORMED naming the file, the field and its line.
 * @example
 *   const config = parseSigningConfig(readFileSync("signing_config.json", "utf8"), "signing_config.json");
 */
export function parseSigningConfig(text: string, file?: string): SigningConfig {
  const root = parseJsonText(text, file);
  const fail = (path: JsonPath, why: string): never => {
    throw new VouchError("INPUT_MALFORMED", `signing config: ${formatJsonPath(path)} ${why}`, { file, line: lineOfJsonPath(text, path) });
  };
  if (typeof root !== "object" || root === null || Array.isArray(root)) fail([], "is not a JSON object");
  const doc = root as Record<string, unknown>;
  const member = (camel: string, snake: string): [unknown, JsonPath] => (doc[camel] === undefined && doc[snake] !== undefined ? [doc[snake], [snake]] : [doc[camel], [camel]]);

  const [mediaType, mediaPath] = member("mediaType", "media_type");
  if (mediaType !== SIGNING_CONFIG_V02_MEDIA_TYPE) {
    fail(mediaPath, `is ${mediaType === undefined ? "missing" : JSON.stringify(mediaType)}: vouch reads ${SIGNING_CONFIG_V02_MEDIA_TYPE}`);
  }

  const services = (camel: string, snake: string): SigningService[] => {
    const [value, path] = member(camel, snake);
    if (value === undefined) return [];
    if (!Array.isArray(value)) return fail(path, "is not a list");
    return value.map((s, i) => service(s, [...path, i], fail));
  };
  const configuration = (camel: string, snake: string): ServiceConfiguration => {
    const [value, path] = member(camel, snake);
    if (value === undefined) return { selector: "ANY" };
    return serviceConfiguration(value, path, fail);
  };
  return {
    mediaType: SIGNING_CONFIG_V02_MEDIA_TYPE,
    caUrls: services("caUrls", "ca_urls"),
    oidcUrls: services("oidcUrls", "oidc_urls"),
    rekorTlogUrls: services("rekorTlogUrls", "rekor_tlog_urls"),
    rekorTlogConfig: configuration("rekorTlogConfig", "rekor_tlog_config"),
    tsaUrls: services("tsaUrls", "tsa_urls"),
    tsaConfig: configuration("tsaConfig", "tsa_config"),
  };
}

type Fail = (path: JsonPath, why: string) => never;

function service(value: unknown, path: JsonPath, fail: Fail): SigningService {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail(path, "is not an object");
  const s = value as Record<string, unknown>;
  const url = s.url;
  if (typeof url !== "string" || !isHttpUrl(url)) fail([...path, "url"], "is not an http(s) URL");
  const version = s.majorApiVersion ?? s.major_api_version;
  const majorApiVersion = uint32(version);
  if (majorApiVersion === undefined || majorApiVersion === 0) fail([...path, "majorApiVersion"], "is not a positive whole number");
  const operator = s.operator ?? "";
  if (typeof operator !== "string") fail([...path, "operator"], "is not a string");
  const validFor: SigningService["validFor"] = {};
  const range = s.validFor ?? s.valid_for;
  if (range !== undefined) {
    if (typeof range !== "object" || range === null || Array.isArray(range)) fail([...path, "validFor"], "is not an object");
    const { start, end } = range as { start?: unknown; end?: unknown };
    if (start !== undefined) validFor.start = timestamp(start, [...path, "validFor", "start"], fail);
    if (end !== undefined) validFor.end = timestamp(end, [...path, "validFor", "end"], fail);
    if (validFor.start && validFor.end && validFor.end < validFor.start) fail([...path, "validFor"], "ends before it starts");
  }
  return { url: url as string, majorApiVersion: majorApiVersion!, validFor, operator: operator as string };
}

function serviceConfiguration(value: unknown, path: JsonPath, fail: Fail): ServiceConfiguration {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail(path, "is not an object");
  const c = value as Record<string, unknown>;
  // protojson writes enums by name and reads names or numbers (ServiceSelector: UNDEFINED 0, ALL 1, ANY 2, EXACT 3).
  const byNumber: Record<number, ServiceSelector | "SERVICE_SELECTOR_UNDEFINED"> = { 0: "SERVICE_SELECTOR_UNDEFINED", 1: "ALL", 2: "ANY", 3: "EXACT" };
  const raw = c.selector ?? "SERVICE_SELECTOR_UNDEFINED";
  const name = typeof raw === "number" ? byNumber[raw] : raw;
  if (name !== "SERVICE_SELECTOR_UNDEFINED" && name !== "ALL" && name !== "ANY" && name !== "EXACT") {
    return fail([...path, "selector"], `is ${JSON.stringify(raw)}: use ALL, ANY or EXACT`);
  }
  if (name !== "EXACT") return { selector: name === "SERVICE_SELECTOR_UNDEFINED" ? "ANY" : name };
  const count = uint32(c.count);
  if (count === undefined || count === 0) return fail([...path, "count"], "must be a positive whole number with selector EXACT");
  return { selector: "EXACT", count };
}

/** protojson uint32: a JSON number or a decimal string. */
function uint32(value: unknown): number | undefined {
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 0xffffffff ? n : undefined;
}

/** protojson Timestamp: RFC 3339 with a Z or an offset. */
function timestamp(value: unknown, path: JsonPath, fail: Fail): Date {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    return fail(path, "is not an RFC 3339 timestamp");
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return fail(path, "is not an RFC 3339 timestamp");
  return date;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

/** `service` is usable at `now` (its validity window includes it). */
export function validAt(service: SigningService, now: Date): boolean {
  const { start, end } = service.validFor;
  return (start === undefined || now >= start) && (end === undefined || now <= end);
}

/**
 * The services of the highest supported API version that are valid now, newest first (by validFor.start), at most
 * one per operator (the newest): sigstore-go's SelectServices candidate list.
 */
function candidates(services: readonly SigningService[], supportedVersions: readonly number[], now: Date): SigningService[] {
  const newestFirst = [...services].sort((a, b) => (b.validFor.start?.getTime() ?? -Infinity) - (a.validFor.start?.getTime() ?? -Infinity));
  for (const version of [...supportedVersions].sort((a, b) => b - a)) {
    const operators = new Set<string>();
    const found: SigningService[] = [];
    for (const s of newestFirst) {
      if (s.majorApiVersion !== version || !validAt(s, now) || operators.has(s.operator)) continue;
      operators.add(s.operator);
      found.push(s);
    }
    if (found.length > 0) return found;
  }
  return [];
}

/**
 * One service (the CA, an OIDC provider): the newest valid one of the highest supported API version, or undefined.
 */
export function selectService(services: readonly SigningService[], supportedVersions: readonly number[], now: Date): SigningService | undefined {
  return candidates(services, supportedVersions, now)[0];
}

/**
 * Services by the config's selector: ALL of the candidates, ANY one (the first, newest: deterministic, where
 * sigstore-go picks at random), or EXACT `count` (the first `count`). Never mixes API versions.
 *
 * @throws VouchError INPUT_MALFORMED when EXACT asks for more services than are valid now (signing with fewer logs or
 *   TSAs than the operator requires would make bundles their verifiers refuse).
 */
export function selectServices(
  services: readonly SigningService[],
  config: ServiceConfiguration,
  supportedVersions: readonly number[],
  now: Date,
  what = "services",
): SigningService[] {
  const found = candidates(services, supportedVersions, now);
  if (found.length === 0) return [];
  switch (config.selector) {
    case "ALL":
      return found;
    case "ANY":
      return found.slice(0, 1);
    case "EXACT": {
      const count = config.count ?? 1;
      if (count > found.length) {
        throw new VouchError("INPUT_MALFORMED", `signing config: EXACT ${count} ${what} asked, ${found.length} valid now (API version ${supportedVersions.join(" or ")}, distinct operators)`);
      }
      return found.slice(0, count);
    }
  }
}
