/** Object identifiers vouch reads in certificates and timestamp tokens. */

export const OID = {
  // RFC 5280 §4.2.1 certificate extensions
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  nameConstraints: "2.5.29.30",
  crlDistributionPoints: "2.5.29.31",
  certificatePolicies: "2.5.29.32",
  policyConstraints: "2.5.29.36",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  inhibitAnyPolicy: "2.5.29.54",
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",
  // RFC 6962 §3.3: embedded SCT list; §3.1 precertificate poison
  sctList: "1.3.6.1.4.1.11129.2.4.2",
  ctPoison: "1.3.6.1.4.1.11129.2.4.3",
  // RFC 5280 §4.2.1.12 extended key usages
  ekuAny: "2.5.29.37.0",
  ekuCodeSigning: "1.3.6.1.5.5.7.3.3",
  ekuTimeStamping: "1.3.6.1.5.5.7.3.8",
  // CMS / RFC 3161 / ESS
  signedData: "1.2.840.113549.1.7.2",
  tstInfo: "1.2.840.113549.1.9.16.1.4",
  attrContentType: "1.2.840.113549.1.9.3",
  attrMessageDigest: "1.2.840.113549.1.9.4",
  attrSigningTime: "1.2.840.113549.1.9.5",
  attrSigningCertificate: "1.2.840.113549.1.9.16.2.12",
  attrSigningCertificateV2: "1.2.840.113549.1.9.16.2.47",
  // Fulcio's OtherName SAN for usernames (docs/oid-info.md 1.7)
  fulcioOtherNameSan: "1.3.6.1.4.1.57264.1.7",
} as const;

/** Digest algorithms vouch accepts (SHA-1 and MD5 are refused everywhere a signature depends on them). */
export const DIGEST_OIDS: Readonly<Record<string, "sha256" | "sha384" | "sha512">> = {
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};

export const SHA1_OID = "1.3.14.3.2.26";

/**
 * Fulcio certificate extensions (sigstore/fulcio docs/oid-info.md). 1.1–1.6 are raw strings in extnValue (deprecated
 * v1); 1.8 onwards are DER UTF8String. Names follow sigstore-go's certificate.Extensions fields.
 */
export const FULCIO_EXTENSIONS = {
  issuerV1: "1.3.6.1.4.1.57264.1.1",
  githubWorkflowTrigger: "1.3.6.1.4.1.57264.1.2",
  githubWorkflowSHA: "1.3.6.1.4.1.57264.1.3",
  githubWorkflowName: "1.3.6.1.4.1.57264.1.4",
  githubWorkflowRepository: "1.3.6.1.4.1.57264.1.5",
  githubWorkflowRef: "1.3.6.1.4.1.57264.1.6",
  issuer: "1.3.6.1.4.1.57264.1.8",
  buildSignerURI: "1.3.6.1.4.1.57264.1.9",
  buildSignerDigest: "1.3.6.1.4.1.57264.1.10",
  runnerEnvironment: "1.3.6.1.4.1.57264.1.11",
  sourceRepositoryURI: "1.3.6.1.4.1.57264.1.12",
  sourceRepositoryDigest: "1.3.6.1.4.1.57264.1.13",
  sourceRepositoryRef: "1.3.6.1.4.1.57264.1.14",
  sourceRepositoryIdentifier: "1.3.6.1.4.1.57264.1.15",
  sourceRepositoryOwnerURI: "1.3.6.1.4.1.57264.1.16",
  sourceRepositoryOwnerIdentifier: "1.3.6.1.4.1.57264.1.17",
  buildConfigURI: "1.3.6.1.4.1.57264.1.18",
  buildConfigDigest: "1.3.6.1.4.1.57264.1.19",
  buildTrigger: "1.3.6.1.4.1.57264.1.20",
  runInvocationURI: "1.3.6.1.4.1.57264.1.21",
  sourceRepositoryVisibilityAtSigning: "1.3.6.1.4.1.57264.1.22",
  deploymentEnvironment: "1.3.6.1.4.1.57264.1.23",
  tokenSubject: "1.3.6.1.4.1.57264.1.24",
} as const;

export type FulcioClaimName = keyof typeof FULCIO_EXTENSIONS;

/** The v1 (raw string) extensions; every other Fulcio extension is a DER UTF8String. */
export const FULCIO_RAW_STRING_OIDS: ReadonlySet<string> = new Set([
  FULCIO_EXTENSIONS.issuerV1,
  FULCIO_EXTENSIONS.githubWorkflowTrigger,
  FULCIO_EXTENSIONS.githubWorkflowSHA,
  FULCIO_EXTENSIONS.githubWorkflowName,
  FULCIO_EXTENSIONS.githubWorkflowRepository,
  FULCIO_EXTENSIONS.githubWorkflowRef,
]);

export const FULCIO_OID_PREFIX = "1.3.6.1.4.1.57264.1.";

/** Short names for distinguished-name attributes (RFC 4514 §3 plus the common extras). */
export const DN_ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.5": "serialNumber",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "STREET",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.12": "title",
  "2.5.4.13": "description",
  "2.5.4.97": "organizationIdentifier",
  "0.9.2342.19200300.100.1.1": "UID",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.2.840.113549.1.9.1": "emailAddress",
};
