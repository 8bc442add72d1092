import { parseCertificate } from "../core/x509/index.js";

/** Where the TSA answers, under the server's base URL (timestamp-authority's path; Sigstore signing configs name it). */
export const TSA_PATH = "/api/v1/timestamp";

/** The TSA's endpoint URL for a server base URL: the trusted root's `uri` and signing_config's tsaUrls[].url. */
export function tsaUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${TSA_PATH}`;
}

/** One `timestampAuthorities` entry of trusted_root.json (dev.sigstore.trustroot.v1.CertificateAuthority, JSON form). */
export interface TimestampAuthorityJson {
  subject: { organization: string; commonName: string };
  uri: string;
  certChain: { certificates: { rawBytes: string }[] };
  validFor: { start: string; end?: string };
}

export interface TimestampAuthorityEntryOptions {
  /** The server's base URL (http://host:port); the entry's uri is its /api/v1/timestamp. */
  baseUrl: string;
  /** Start of trust. Default: the signing certificate's notBefore (no timestamp can be older). */
  start?: Date;
  end?: Date;
}

/**
 * The trusted root entry for this TSA, as Sigstore's public trusted root writes its TSA: the chain with the signing
 * certificate first — @sigstore/verify (timestamp/tsa.ts) matches the token's issuerAndSerialNumber against
 * certChain[0] and verifies it up to the rest, and vouch's verifier pins certChain[0] as the signer the same way —
 * and the subject of the chain's root (sigstore.dev writes its self-signed TSA root's O and CN there).
 *
 * @example
 *   root.timestampAuthorities = [timestampAuthorityEntry(readTsaChain(tsaDir)!, { baseUrl: "https://vouch.example" })];
 */
export function timestampAuthorityEntry(chain: readonly Uint8Array[], options: TimestampAuthorityEntryOptions): TimestampAuthorityJson {
  if (chain.length === 0) throw new Error("timestampAuthorityEntry: the chain is empty");
  const leaf = parseCertificate(chain[0]!);
  const root = parseCertificate(chain[chain.length - 1]!);
  const attr = (oid: string) => root.subject.attributes.find((a) => a.oid === oid)?.value ?? "";
  const entry: TimestampAuthorityJson = {
    subject: { organization: attr("2.5.4.10"), commonName: attr("2.5.4.3") },
    uri: tsaUrl(options.baseUrl),
    certChain: { certificates: chain.map((c) => ({ rawBytes: Buffer.from(c).toString("base64") })) },
    validFor: { start: (options.start ?? leaf.notBefore).toISOString() },
  };
  if (options.end !== undefined) entry.validFor.end = options.end.toISOString();
  return entry;
}
