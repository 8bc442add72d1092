import { createHash, createPublicKey } from "node:crypto";
import { isVouchError } from "../../core/errors.js";
import { decodeBase64Strict } from "../../core/note/index.js";
import { bytesEqual, parseCertificate } from "../../core/x509/index.js";
import { parseEntryBody, type LoggedVerifier } from "../../verify/tlog/body-parse.js";
import type { SignerSummary } from "./alerts.js";

/**
 * Who signed a log entry, read from its body as the log stores it. The body is attacker-controlled (anyone can
 * submit to a public log, and a log can serve anything): every step is defensive, and an entry whose signer cannot be
 * read is counted, never an exception that stops the monitor.
 *
 * Kinds vouch parses (hashedrekord, dsse, intoto) go through the verifier's body parser. Other Rekor kinds (rekord,
 * helm, jar, rpm, alpine, cose, tuf, ...) all carry their verifier as a base64 PEM somewhere in the spec, so for them
 * every PEM certificate or public key found in the body's strings is a signer: for a watch list, reporting a key the
 * entry merely mentions is better than missing one it was signed with.
 */

export interface EntrySigners {
  signers: SignerSummary[];
  /** Why no signer could be read, when `signers` is empty. */
  unreadable?: string;
}

/**
 * @example
 *   const { signers } = entrySigners(body);
 *   for (const signer of signers) watch.match(signer);
 */
export function entrySigners(body: Uint8Array): EntrySigners {
  let verifiers: LoggedVerifier[];
  let reason: string | undefined;
  try {
    const parsed = parseEntryBody(body);
    verifiers = parsed.kind === "hashedrekord" ? [parsed.signature.verifier] : parsed.signatures.map((s) => s.verifier);
  } catch (error) {
    if (!isVouchError(error)) throw error;
    reason = error.message;
    verifiers = pemVerifiersIn(body);
  }
  const distinct: LoggedVerifier[] = [];
  for (const v of verifiers) if (!distinct.some((d) => d.kind === v.kind && bytesEqual(d.der, v.der))) distinct.push(v);
  const signers: SignerSummary[] = [];
  const problems: string[] = [];
  for (const verifier of distinct) {
    const signer = summarize(verifier);
    if (typeof signer === "string") problems.push(signer);
    else signers.push(signer);
  }
  if (signers.length > 0) return { signers };
  return { signers, unreadable: problems[0] ?? reason ?? "the entry names no signer" };
}

/**
 * The fingerprint a watch list compares: SHA-256 of the SubjectPublicKeyInfo DER, in the canonical encoding (an EC
 * point uncompressed, as Go's MarshalPKIXPublicKey writes it), so that one key has one fingerprint whichever way an
 * entry spells it. Input that is not a key is hashed as given.
 */
export function keyFingerprint(spkiDer: Uint8Array): string {
  let canonical = spkiDer;
  try {
    const key = createPublicKey({ key: Buffer.from(spkiDer), format: "der", type: "spki" });
    const plain = key.asymmetricKeyType === "ec" ? createPublicKey({ key: key.export({ format: "jwk" }), format: "jwk" }) : key;
    canonical = new Uint8Array(plain.export({ type: "spki", format: "der" }));
  } catch {
    // Not a key Node can read: its bytes are still a stable name for it.
  }
  return createHash("sha256").update(canonical).digest("hex");
}

function summarize(verifier: LoggedVerifier): SignerSummary | string {
  if (verifier.kind === "publicKey") return { identities: [], keyFingerprint: keyFingerprint(verifier.der) };
  try {
    const cert = parseCertificate(verifier.der);
    const identities = cert.subjectAltNames.flatMap((san) => ("value" in san && san.value !== undefined ? [san.value] : []));
    // Fulcio writes the issuer in 1.8 (DER UTF8String) and, in older certificates, 1.1 (raw string).
    const issuer = cert.fulcio.issuer ?? cert.fulcio.issuerV1;
    return { identities, ...(issuer === undefined ? {} : { issuer }), keyFingerprint: keyFingerprint(cert.publicKeyDer) };
  } catch (error) {
    return `the signing certificate does not parse: ${error instanceof Error ? error.message : String(error)}`;
  }
}

const PEM_BLOCK = /-----BEGIN (CERTIFICATE|PUBLIC KEY)-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END \1-----/g;
// base64 of "-----BEGIN": where Rekor specs keep a PEM (e.g. rekord's spec.signature.publicKey.content).
const BASE64_PEM_PREFIX = "LS0tLS1CRUdJTi";
const MAX_DEPTH = 32;
const MAX_STRINGS = 10_000;

/** Every PEM certificate or public key in the strings of a JSON body (as text, or base64 of the text). */
function pemVerifiersIn(body: Uint8Array): LoggedVerifier[] {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
  } catch {
    return [];
  }
  const found: LoggedVerifier[] = [];
  let budget = MAX_STRINGS;
  const visit = (value: unknown, depth: number): void => {
    if (depth > MAX_DEPTH || budget <= 0) return;
    if (typeof value === "string") {
      budget--;
      let text: string | undefined;
      if (value.startsWith("-----BEGIN ")) text = value;
      else if (value.startsWith(BASE64_PEM_PREFIX)) {
        const bytes = decodeBase64Strict(value);
        if (bytes !== undefined) text = Buffer.from(bytes).toString("latin1");
      }
      if (text !== undefined) {
        for (const match of text.matchAll(PEM_BLOCK)) {
          const der = decodeBase64Strict(match[2]!.replace(/\r?\n/g, ""));
          if (der !== undefined && der.length > 0) found.push({ kind: match[1] === "CERTIFICATE" ? "certificate" : "publicKey", der });
        }
      }
      return;
    }
    if (Array.isArray(value)) for (const item of value) visit(item, depth + 1);
    else if (typeof value === "object" && value !== null) for (const item of Object.values(value)) visit(item, depth + 1);
  };
  visit(json, 0);
  return found;
}
