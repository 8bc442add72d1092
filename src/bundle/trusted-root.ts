import { formatJsonPath, parseJsonText, type JsonPath } from "../core/encoding/json-text.js";
import publicGoodJson from "./public-good-trusted-root.json" with { type: "json" };
import type { CertificateAuthority, TransparencyLogInstance, TrustedRoot, ValidityPeriod } from "./types.js";
import { WireReader } from "./wire.js";

/**
 * Media types of `dev.sigstore.trustroot.v1.TrustedRoot` that vouch reads: the original spelling, the OCI-compatible
 * one protobuf-specs now asks writers to use (and whose v0.2 adds `checkpointKeyId`), and the `;version=0.2` form.
 */
export const TRUSTED_ROOT_MEDIA_TYPES: readonly string[] = [
  "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
  "application/vnd.dev.sigstore.trustedroot+json;version=0.2",
  "application/vnd.dev.sigstore.trustedroot.v0.1+json",
  "application/vnd.dev.sigstore.trustedroot.v0.2+json",
];

/** A trust anchor the root lists but that cannot be used, and why. */
export interface UnusableTrustAnchor {
  /** Where it is, e.g. "tlogs[1].publicKey.validFor.start". */
  field: string;
  line?: number;
  message: string;
}

export interface ParseTrustedRootOptions {
  /** Told about each anchor that is left out (default: nothing is told; the anchor is still left out). */
  onUnusable?: (anchor: UnusableTrustAnchor) => void;
}

/**
 * Parse a trusted_root.json into the narrow TrustedRoot shape.
 *
 * Malformed data (wrong types, invalid base64 or timestamps, an unknown media type) throws VouchError INPUT_MALFORMED /
 * INPUT_UNSUPPORTED_FORMAT naming the field. An anchor that is well-formed but incomplete — a log or CT log key
 * without `validFor.start`, without key bytes or log ID, a CA or TSA without certificates or `validFor.start` — is
 * left out of the result and reported through `onUnusable`: an anchor that is not in the TrustedRoot cannot verify
 * anything, so a bundle that depends on it fails verification, while the root's other anchors stay usable.
 * A missing start is never read as "valid since forever" (sigstore-conformance
 * trust-root-tlog-missing-validity-start_fail: the interval must be bounded below).
 *
 * @example
 *   const root = parseTrustedRoot(await readFile("trusted_root.json", "utf8"), "trusted_root.json", {
 *     onUnusable: (a) => warn(`${a.field}: ${a.message}`),
 *   });
 */
export function parseTrustedRoot(json: unknown, fileName?: string, options: ParseTrustedRootOptions = {}): TrustedRoot {
  const text = typeof json === "string" ? json : undefined;
  const document = text === undefined ? json : parseJsonText(text, fileName);
  const w: WireReader = new WireReader("trusted root", fileName, text);
  const root = w.object(document, []);
  const mediaType = w.string(root.mediaType, ["mediaType"]);
  if (!TRUSTED_ROOT_MEDIA_TYPES.includes(mediaType)) {
    w.fail(["mediaType"], `unsupported trusted root media type "${mediaType.slice(0, 100)}"`, "INPUT_UNSUPPORTED_FORMAT");
  }
  const reader = new AnchorReader(w, options.onUnusable);
  return {
    mediaType,
    tlogs: reader.list(root.tlogs, ["tlogs"], (v, p) => reader.log(v, p)),
    certificateAuthorities: reader.list(root.certificateAuthorities, ["certificateAuthorities"], (v, p) => reader.authority(v, p)),
    ctlogs: reader.list(root.ctlogs, ["ctlogs"], (v, p) => reader.log(v, p)),
    timestampAuthorities: reader.list(root.timestampAuthorities, ["timestampAuthorities"], (v, p) => reader.authority(v, p)),
  };
}

let publicGood: TrustedRoot | undefined;

/**
 * The Sigstore public-good production trusted root that ships with vouch (decoded from sigstore-js's embedded TUF
 * seed; see test/fixtures/sigstore/sigstore-js/SOURCE.md). Parsed once, on first use. The result is shared:
 * treat it as read-only.
 */
export function publicGoodTrustedRoot(): TrustedRoot {
  publicGood ??= parseTrustedRoot(publicGoodJson, "public-good-trusted-root.json");
  return publicGood;
}

const HASH_ALGORITHMS_BY_NUMBER = ["HASH_ALGORITHM_UNSPECIFIED", "SHA2_256", "SHA2_384", "SHA2_512"];

/** Reads the anchors of one root, leaving out (and reporting) the unusable ones. */
class AnchorReader {
  constructor(
    private readonly w: WireReader,
    private readonly onUnusable?: (anchor: UnusableTrustAnchor) => void,
  ) {}

  list<T>(value: unknown, path: JsonPath, read: (value: unknown, path: JsonPath) => T | undefined): T[] {
    const out: T[] = [];
    this.w.array(value, path).forEach((item, i) => {
      const anchor = read(item, [...path, i]);
      if (anchor !== undefined) out.push(anchor);
    });
    return out;
  }

  log(value: unknown, path: JsonPath): TransparencyLogInstance | undefined {
    const { w } = this;
    const at = (...rest: (string | number)[]): JsonPath => [...path, ...rest];
    const o = w.object(value, path);
    const baseUrl = w.optionalString(o.baseUrl, at("baseUrl"));
    if (isAbsent(o.hashAlgorithm)) return this.unusable(at("hashAlgorithm"), "is missing: this log is ignored");
    const hashAlgorithm = w.enumName(o.hashAlgorithm, at("hashAlgorithm"), HASH_ALGORITHMS_BY_NUMBER);
    const key = w.optionalObject(o.publicKey, at("publicKey"));
    if (key === undefined) return this.unusable(at("publicKey"), "is missing: this log is ignored");
    const publicKeyDer = w.optionalBytes(key.rawBytes, at("publicKey", "rawBytes"));
    if (publicKeyDer === undefined || publicKeyDer.length === 0) {
      return this.unusable(at("publicKey", "rawBytes"), "is missing: this log key is ignored");
    }
    if (isAbsent(key.keyDetails)) return this.unusable(at("publicKey", "keyDetails"), "is missing: this log key is ignored");
    const keyDetails = w.enumName(key.keyDetails, at("publicKey", "keyDetails"));
    const validFor = this.validity(key.validFor, at("publicKey", "validFor"), "log key");
    if (validFor === undefined) return undefined;
    const logIdObject = w.optionalObject(o.logId, at("logId"));
    const logId = logIdObject && w.optionalBytes(logIdObject.keyId, at("logId", "keyId"));
    if (logId === undefined || logId.length === 0) return this.unusable(at("logId", "keyId"), "is missing: this log is ignored");

    const log: TransparencyLogInstance = { baseUrl, hashAlgorithm, publicKeyDer, keyDetails, validFor, logId };
    const checkpointKey = w.optionalObject(o.checkpointKeyId, at("checkpointKeyId"));
    const checkpointKeyId = checkpointKey && w.optionalBytes(checkpointKey.keyId, at("checkpointKeyId", "keyId"));
    if (checkpointKeyId !== undefined && checkpointKeyId.length > 0) log.checkpointKeyId = checkpointKeyId;
    return log;
  }

  authority(value: unknown, path: JsonPath): CertificateAuthority | undefined {
    const { w } = this;
    const at = (...rest: (string | number)[]): JsonPath => [...path, ...rest];
    const o = w.object(value, path);
    const subjectObject = w.optionalObject(o.subject, at("subject"));
    const subject: CertificateAuthority["subject"] = {};
    const organization = w.optionalString(subjectObject?.organization, at("subject", "organization"));
    const commonName = w.optionalString(subjectObject?.commonName, at("subject", "commonName"));
    if (organization !== "") subject.organization = organization;
    if (commonName !== "") subject.commonName = commonName;
    const uri = w.optionalString(o.uri, at("uri"));
    const chain = w.optionalObject(o.certChain, at("certChain"));
    const certChain = w.array(chain?.certificates, at("certChain", "certificates")).map((c, i) => {
      const p = at("certChain", "certificates", i);
      return w.bytes(w.object(c, p).rawBytes, [...p, "rawBytes"]);
    });
    if (certChain.length === 0) return this.unusable(at("certChain", "certificates"), "is empty: this authority is ignored");
    const validFor = this.validity(o.validFor, at("validFor"), "authority");
    if (validFor === undefined) return undefined;
    return { uri, subject, certChain, validFor };
  }

  /**
   * A TimeRange, closed at both ends (sigstore_common.proto). No start means the anchor's window is unknown: it is
   * reported and the caller leaves the anchor out.
   */
  private validity(value: unknown, path: JsonPath, what: string): ValidityPeriod | undefined {
    const { w } = this;
    const range = w.optionalObject(value, path) ?? {};
    if (isAbsent(range.start)) {
      return this.unusable([...path, "start"], `is missing: this ${what} has no known start of validity and is ignored`);
    }
    const period: ValidityPeriod = { start: w.timestamp(range.start, [...path, "start"], "ceil") };
    if (!isAbsent(range.end)) period.end = w.timestamp(range.end, [...path, "end"], "floor");
    return period;
  }

  private unusable(path: JsonPath, message: string): undefined {
    this.onUnusable?.({ field: formatJsonPath(path), line: this.w.lineOf(path), message });
    return undefined;
  }
}

/** Proto3 JSON: an absent field, `null` and the empty string all mean "not set". */
function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === "";
}
