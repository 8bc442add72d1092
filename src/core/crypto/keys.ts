import {
  createCipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  scryptSync,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from "node:crypto";
import { VouchError } from "../errors.js";

/**
 * Signing keys: generation, PEM import/export, encryption at rest, raw sign/verify. Pure over node:crypto (no fs,
 * no env): where a key or password comes from is src/sign's business.
 *
 * Algorithms follow the Sigstore client spec's key details (protobuf-specs PublicKeyDetails):
 *   ecdsa-p256  PKIX_ECDSA_P256_SHA_256  ECDSA over SHA-256, ASN.1 DER signature   (the default, as cosign)
 *   ecdsa-p384  PKIX_ECDSA_P384_SHA_384  ECDSA over SHA-384, ASN.1 DER signature   (read, never generated)
 *   ed25519     PKIX_ED25519             pure Ed25519 (RFC 8032) over the message
 */
export type KeyAlgorithm = "ecdsa-p256" | "ecdsa-p384" | "ed25519";

/** What `vouch key generate --algorithm` offers. */
export const GENERATE_ALGORITHMS = ["ecdsa-p256", "ed25519"] as const;
export type GenerateAlgorithm = (typeof GENERATE_ALGORITHMS)[number];

export const KEY_DETAILS: Record<KeyAlgorithm, string> = {
  "ecdsa-p256": "PKIX_ECDSA_P256_SHA_256",
  "ecdsa-p384": "PKIX_ECDSA_P384_SHA_384",
  ed25519: "PKIX_ED25519",
};

export function parseGenerateAlgorithm(name: string): GenerateAlgorithm {
  const n = name.trim().toLowerCase();
  if ((GENERATE_ALGORITHMS as readonly string[]).includes(n)) return n as GenerateAlgorithm;
  throw new VouchError("INPUT_USAGE", `unknown key algorithm "${name}": use one of ${GENERATE_ALGORITHMS.join(", ")}`);
}

export interface KeyPair {
  algorithm: GenerateAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function generateKeyPair(algorithm: GenerateAlgorithm = "ecdsa-p256"): KeyPair {
  const pair = algorithm === "ed25519" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { algorithm, privateKey: pair.privateKey, publicKey: pair.publicKey };
}

/** The algorithm of a key vouch can use; anything else (RSA, secp256k1, P-521, X25519...) is refused. */
export function keyAlgorithm(key: KeyObject): KeyAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === "ed25519") return "ed25519";
  if (type === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1" || curve === "P-256") return "ecdsa-p256";
    if (curve === "secp384r1" || curve === "P-384") return "ecdsa-p384";
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `unsupported EC curve ${curve ?? "(unnamed)"}: vouch uses P-256, P-384 or Ed25519 keys`);
  }
  throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `unsupported key type ${type ?? "(unknown)"}: vouch uses ECDSA P-256, P-384 or Ed25519 keys`);
}

/** SubjectPublicKeyInfo DER of a public key (or of the public half of a private key). */
export function publicKeyDer(key: KeyObject): Uint8Array {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  return new Uint8Array(pub.export({ type: "spki", format: "der" }));
}

/** "-----BEGIN PUBLIC KEY-----" (SPKI), the form cosign writes to cosign.pub. */
export function publicKeyPem(key: KeyObject): string {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  return pub.export({ type: "spki", format: "pem" }).toString();
}

/**
 * Key ID and bundle `publicKey.hint`: lowercase hex SHA-256 of the SPKI DER. (cosign writes base64 of the same hash
 * as its hint; a hint only helps a verifier pick a key, it is never trusted.)
 */
export function keyId(key: KeyObject): string {
  return createHash("sha256").update(publicKeyDer(key)).digest("hex");
}

/** A PEM or DER SubjectPublicKeyInfo (or an X.509 certificate's key) of a supported algorithm. */
export function importPublicKey(input: string | Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key = typeof input === "string" ? createPublicKey({ key: input, format: "pem" }) : createPublicKey({ key: Buffer.from(input), format: "der", type: "spki" });
  } catch (cause) {
    throw new VouchError("INPUT_MALFORMED", "not a public key (expected PEM \"PUBLIC KEY\" or SPKI DER)", { cause });
  }
  if (key.type !== "public") throw new VouchError("INPUT_USAGE", "expected a public key");
  keyAlgorithm(key);
  return key;
}

/**
 * How private keys are encrypted at rest: PKCS#8 EncryptedPrivateKeyInfo (RFC 5958) with PBES2 (RFC 8018 §6.2),
 * key derivation scrypt (RFC 7914 §7: N=2^14, r=8, p=1, 16-byte random salt) and AES-256-CBC (random 16-byte IV).
 * PEM label "ENCRYPTED PRIVATE KEY"; `openssl pkey -in cosign.key` reads it.
 *
 * Why not node's own `export({ cipher: "aes-256-cbc", passphrase })`: OpenSSL 3 then uses PBES2 with PBKDF2-HMAC-SHA256
 * at only 2048 iterations, cheap to brute-force offline. scrypt is memory-hard (16 MiB per guess here). N stops at 2^14
 * because OpenSSL's PKCS#8 decoder refuses scrypt parameters above its 32 MiB default memory limit, and a key file
 * other tools cannot open is worse than a slightly cheaper KDF. (cosign's own format, scrypt N=2^15 + NaCl secretbox,
 * needs XSalsa20-Poly1305, which node:crypto does not have: see importPrivateKey.)
 */
export const PRIVATE_KEY_ENCRYPTION = { format: "PKCS#8 PBES2", kdf: "scrypt", N: 16384, r: 8, p: 1, saltBytes: 16, cipher: "aes-256-cbc" } as const;

export function encryptPrivateKey(key: KeyObject, password: string): string {
  if (key.type !== "private") throw new VouchError("INPUT_USAGE", "expected a private key");
  if (password.length === 0) throw new VouchError("INPUT_USAGE", "refusing to encrypt a private key with an empty password");
  keyAlgorithm(key);
  const { N, r, p, saltBytes } = PRIVATE_KEY_ENCRYPTION;
  const salt = randomBytes(saltBytes);
  const iv = randomBytes(16);
  const kek = scryptSync(Buffer.from(password, "utf8"), salt, 32, { N, r, p, maxmem: 64 * 1024 * 1024 });
  const cipher = createCipheriv("aes-256-cbc", kek, iv);
  const plain = key.export({ type: "pkcs8", format: "der" });
  const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
  plain.fill(0);
  kek.fill(0);
  const der = derSeq(
    derSeq(
      OID_PBES2,
      derSeq(derSeq(OID_SCRYPT, derSeq(derOctets(salt), derUint(N), derUint(r), derUint(p))), derSeq(OID_AES256_CBC, derOctets(iv))),
    ),
    derOctets(encrypted),
  );
  return encodePem("ENCRYPTED PRIVATE KEY", der);
}

/** What kind of private key a PEM text holds, from its label (RFC 7468) and, for legacy PEM, its Proc-Type header. */
export type PrivateKeyPemKind =
  | "pkcs8-encrypted" /* ENCRYPTED PRIVATE KEY */
  | "pkcs8" /* PRIVATE KEY (unencrypted) */
  | "sec1" /* EC PRIVATE KEY (unencrypted) */
  | "legacy-encrypted" /* EC PRIVATE KEY with Proc-Type: 4,ENCRYPTED (OpenSSL's traditional format) */
  | "cosign-encrypted" /* ENCRYPTED SIGSTORE PRIVATE KEY / ENCRYPTED COSIGN PRIVATE KEY (scrypt + NaCl secretbox) */
  | "public" /* a PUBLIC KEY or CERTIFICATE where a private key was expected */
  | "other";

export function privateKeyPemKind(pem: string): PrivateKeyPemKind | undefined {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem);
  if (!m) return undefined;
  switch (m[1]) {
    case "ENCRYPTED PRIVATE KEY":
      return "pkcs8-encrypted";
    case "PRIVATE KEY":
      return "pkcs8";
    case "EC PRIVATE KEY":
      return /^Proc-Type:\s*4,\s*ENCRYPTED/m.test(pem) ? "legacy-encrypted" : "sec1";
    case "ENCRYPTED SIGSTORE PRIVATE KEY":
    case "ENCRYPTED COSIGN PRIVATE KEY":
      return "cosign-encrypted";
    case "PUBLIC KEY":
    case "CERTIFICATE":
      return "public";
    default:
      return "other";
  }
}

export function isEncryptedPrivateKey(kind: PrivateKeyPemKind | undefined): boolean {
  return kind === "pkcs8-encrypted" || kind === "legacy-encrypted" || kind === "cosign-encrypted";
}

/**
 * Read a PEM private key: encrypted PKCS#8 (any PBES2 OpenSSL decodes: vouch's scrypt, node/OpenSSL's PBKDF2),
 * unencrypted PKCS#8 or SEC1, or OpenSSL's legacy encrypted SEC1. Errors are one line, coded INPUT_*.
 */
export function importPrivateKey(pem: string, password?: string): KeyObject {
  const kind = privateKeyPemKind(pem);
  if (kind === undefined) throw new VouchError("INPUT_MALFORMED", "not a PEM private key (no -----BEGIN ... PRIVATE KEY----- line)");
  if (kind === "public") throw new VouchError("INPUT_USAGE", "this is a public key or certificate; signing needs the private key (the .key file)");
  if (kind === "cosign-encrypted") {
    throw new VouchError(
      "INPUT_UNSUPPORTED_FORMAT",
      "cosign's encrypted key format (scrypt + NaCl secretbox) is not supported: use a PKCS#8 PEM key (vouch key generate, or openssl pkcs8 -topk8)",
    );
  }
  if (kind === "other") throw new VouchError("INPUT_UNSUPPORTED_FORMAT", "unsupported PEM private key type (expected PRIVATE KEY, ENCRYPTED PRIVATE KEY or EC PRIVATE KEY)");
  const encrypted = isEncryptedPrivateKey(kind);
  if (encrypted && !password) throw new VouchError("INPUT_USAGE", "the private key is encrypted and no password was given");
  let key: KeyObject;
  try {
    key = createPrivateKey(encrypted ? { key: pem, format: "pem", passphrase: password } : { key: pem, format: "pem" });
  } catch (cause) {
    if (encrypted) throw new VouchError("INPUT_UNREADABLE", "cannot decrypt the private key: wrong password (or a damaged key file)", { cause });
    throw new VouchError("INPUT_MALFORMED", "the private key PEM is damaged", { cause });
  }
  keyAlgorithm(key);
  return key;
}

/** The digest ECDSA signs over for this algorithm (Sigstore key details); undefined for pure Ed25519. */
export function signatureDigest(algorithm: KeyAlgorithm): "sha256" | "sha384" | undefined {
  return algorithm === "ecdsa-p256" ? "sha256" : algorithm === "ecdsa-p384" ? "sha384" : undefined;
}

/** Sign `data`: ECDSA (DER signature, over SHA-256 / SHA-384 per curve) or pure Ed25519. */
export function sign(privateKey: KeyObject, data: Uint8Array): Uint8Array {
  if (privateKey.type !== "private") throw new VouchError("INPUT_USAGE", "signing needs a private key");
  return new Uint8Array(nodeSign(signatureDigest(keyAlgorithm(privateKey)) ?? null, data, { key: privateKey, dsaEncoding: "der" }));
}

/**
 * Verify a signature made by `sign`. A malformed signature (bad DER, wrong length) is "does not verify", never a
 * throw: signatures come from bundles, which are attacker-controlled.
 */
export function verify(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const algorithm = keyAlgorithm(publicKey);
  try {
    return nodeVerify(signatureDigest(algorithm) ?? null, data, { key: publicKey, dsaEncoding: "der" }, signature);
  } catch {
    return false;
  }
}

// --- a DER writer for the one fixed structure encryptPrivateKey emits (X.690 definite-length encoding) ---

const OID_PBES2 = Buffer.from("06092a864886f70d01050d", "hex"); // 1.2.840.113549.1.5.13
const OID_SCRYPT = Buffer.from("06092b06010401da47040b", "hex"); // 1.3.6.1.4.1.11591.4.11
const OID_AES256_CBC = Buffer.from("060960864801650304012a", "hex"); // 2.16.840.1.101.3.4.1.42

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function derTlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

function derSeq(...items: Buffer[]): Buffer {
  return derTlv(0x30, Buffer.concat(items));
}

function derOctets(bytes: Buffer): Buffer {
  return derTlv(0x04, bytes);
}

/** A non-negative INTEGER (a leading 0x00 keeps the top bit from reading as a sign). */
function derUint(n: number): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length === 0 || bytes[0]! & 0x80) bytes.unshift(0);
  return derTlv(0x02, Buffer.from(bytes));
}

/** PEM as Go's pem.Encode writes it: base64 in 64-character lines, each ending "\n" (what Rekor stores and serves). */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
