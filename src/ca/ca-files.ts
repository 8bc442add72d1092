import { generateKeyPairSync, X509Certificate, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { encodePem, encryptPrivateKey, keyAlgorithm, publicKeyDer, sign, type KeyAlgorithm } from "../core/crypto/keys.js";
import { VouchError } from "../core/errors.js";
import { decodePemBlocks } from "../core/encoding/pem.js";
import { writeFileAtomic } from "../api/files.js";
import { KeyFileSigner } from "../sign/key-file.js";
import { parsePkcs11Uri } from "../core/crypto/pkcs11-uri.js";
import { Pkcs11Signer, type Pkcs11Options } from "../sign/pkcs11/index.js";
import type { PasswordSource } from "../sign/password.js";
import type { Signer } from "../sign/signer.js";
import { caCertificateTbs, encodeName, signCertificate, subjectOf, type NameAttributes, type TbsSigner } from "./certificates.js";

/**
 * The CA's key material in the data directory (`<data>/ca/`), as `vouch ca init` creates it and `vouch serve` opens it:
 *
 *   ca.json                 which key signs (a key file or a PKCS #11 URI) and when the CA was made
 *   root.crt.pem            the root certificate (self-signed, pathLen 1)
 *   intermediate.crt.pem    the issuing certificate (pathLen 0): leaves are signed by its key
 *   root.key.pem, intermediate.key.pem
 *                           encrypted PKCS #8 (scrypt + AES-256), unless the keys live in a PKCS #11 token
 *
 * Two tiers like Fulcio's public instance: the root key is needed only to issue a new intermediate, so an operator
 * can move it offline; the intermediate key signs every leaf and is opened when the server starts.
 */

export type CaAlgorithm = "ecdsa-p384" | "ecdsa-p256";

export interface CaManifest {
  version: 1;
  /** The root key's algorithm (for keys in a token: what the key is, whatever --algorithm said). */
  algorithm: CaAlgorithm;
  /** The intermediate key's algorithm, when it differs from the root's (a P-384 root over a P-256 token key). */
  intermediateAlgorithm?: CaAlgorithm;
  /** "file:intermediate.key.pem" or a PKCS #11 URI without any pin-value (the PIN is never written to disk). */
  intermediateKey: string;
  rootKey: string;
  created: string;
}

export interface InitCaOptions {
  dir: string;
  algorithm?: CaAlgorithm;
  /** Encrypts the key files (ignored for keys in a token). */
  password?: string;
  /**
   * Keys already in a PKCS #11 token (generated there; their private halves never leave it). Their curves decide the
   * CA's algorithms (`algorithm` is then ignored). A pin-value in a URI is used to log in but is not recorded.
   */
  rootKeyUri?: string;
  intermediateKeyUri?: string;
  pkcs11?: Pkcs11Options;
  organization?: string;
  commonName?: string;
  now?: () => Date;
}

export interface InitializedCa {
  dir: string;
  root: Uint8Array;
  intermediate: Uint8Array;
  manifest: CaManifest;
  /** What the operator should know (a PIN left out of ca.json): the CLI prints them on stderr. */
  warnings: string[];
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

export function caManifestFile(dir: string): string {
  return join(dir, "ca.json");
}

/**
 * `vouch ca init`: a root and an intermediate certificate, their keys encrypted at rest (or in a PKCS #11 token).
 * Refuses to overwrite an existing CA (its root may already be in clients' trusted roots). Everything is written to a
 * temporary directory first and renamed into place, so a failure leaves no half CA behind.
 *
 * @throws VouchError INPUT_USAGE when the CA exists, or a key file needs a password that was not given.
 */
export async function initCa(options: InitCaOptions): Promise<InitializedCa> {
  if (existsSync(caManifestFile(options.dir))) {
    throw new VouchError("INPUT_USAGE", `a CA already exists in ${options.dir}: refusing to replace its root (remove the directory to start over)`);
  }
  const now = options.now?.() ?? new Date();
  const algorithm = options.algorithm ?? "ecdsa-p384";
  const usesFiles = options.rootKeyUri === undefined || options.intermediateKeyUri === undefined;
  if (usesFiles && !options.password) throw new VouchError("INPUT_USAGE", "the CA's key files are encrypted: a password is needed (VOUCH_CA_PASSWORD, VOUCH_PASSWORD or --password-file)");

  const staging = `${options.dir}.init-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true, mode: 0o700 });
  try {
    const root = await caKey(staging, "root", options, options.rootKeyUri, algorithm);
    const intermediate = await caKey(staging, "intermediate", options, options.intermediateKeyUri, algorithm);
    // Two tiers exist so that the root key can go offline while the intermediate's signs leaves; one key in both roles
    // gives that up silently (and makes the intermediate's certificate self-issued, which path builders treat apart).
    if (Buffer.from(root.publicKeyDer).equals(Buffer.from(intermediate.publicKeyDer))) {
      throw new VouchError("INPUT_USAGE", "--root-key and --intermediate-key name the same key: the root and the intermediate need a key each");
    }
    const organization = options.organization ?? "vouch";
    const rootSubject: NameAttributes = { O: organization, CN: options.commonName ?? `${organization} keyless root` };
    const rootName = encodeName(rootSubject);
    const rootCert = await signCertificate(
      caCertificateTbs({
        subject: rootSubject,
        issuer: rootName,
        subjectPublicKeyDer: root.publicKeyDer,
        issuerPublicKeyDer: root.publicKeyDer,
        signatureAlgorithm: root.algorithm,
        notBefore: now,
        notAfter: new Date(now.getTime() + 10 * YEAR_MS),
        pathLength: 1,
      }),
      root,
    );
    const intermediateCert = await signCertificate(
      caCertificateTbs({
        subject: { O: organization, CN: `${organization} keyless intermediate` },
        issuer: subjectOf(rootCert),
        subjectPublicKeyDer: intermediate.publicKeyDer,
        issuerPublicKeyDer: root.publicKeyDer,
        signatureAlgorithm: root.algorithm,
        notBefore: now,
        // Inside the root's validity (RFC 5280 path validation checks every certificate at the signing time).
        notAfter: new Date(now.getTime() + 10 * YEAR_MS - 24 * 3600 * 1000),
        pathLength: 0,
      }),
      root,
    );
    writeFileAtomic(join(staging, "root.crt.pem"), encodePem("CERTIFICATE", rootCert));
    writeFileAtomic(join(staging, "intermediate.crt.pem"), encodePem("CERTIFICATE", intermediateCert));
    const manifest: CaManifest = {
      version: 1,
      algorithm: root.algorithm as CaAlgorithm,
      ...(intermediate.algorithm !== root.algorithm ? { intermediateAlgorithm: intermediate.algorithm as CaAlgorithm } : {}),
      intermediateKey: intermediate.reference,
      rootKey: root.reference,
      created: now.toISOString(),
    };
    writeFileAtomic(join(staging, "ca.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(staging, options.dir);
    const warnings = [root, intermediate]
      .filter((key) => key.pinLeftOut)
      .map((key) => `the ${key.role} key's URI had a pin-value: it was used to log in but is not written to ca.json; vouch serve needs the PIN from VOUCH_PKCS11_PIN, a pin-source=file:… in the URI, or the prompt`);
    return { dir: options.dir, root: rootCert, intermediate: intermediateCert, manifest, warnings };
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (error instanceof Error && (error as NodeJS.ErrnoException).code === "ENOTEMPTY") {
      throw new VouchError("INPUT_USAGE", `${options.dir} exists and is not a CA: choose an empty data directory`);
    }
    throw error;
  }
}

interface NewCaKey extends TbsSigner {
  role: "root" | "intermediate";
  /** What ca.json records: the key file, or the PKCS #11 URI without its pin-value. */
  reference: string;
  /** The URI carried a pin-value that `reference` leaves out. */
  pinLeftOut: boolean;
}

async function caKey(dir: string, role: "root" | "intermediate", options: InitCaOptions, uri: string | undefined, algorithm: CaAlgorithm): Promise<NewCaKey> {
  if (uri !== undefined) {
    const signer = await Pkcs11Signer.open(uri, options.pkcs11 ?? {});
    const keyAlgo = signer.publicKey.algorithm;
    if (keyAlgo === "ed25519") throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `the ${role} key in the token is Ed25519: the CA signs with ECDSA P-256 or P-384 (what every Sigstore client verifies)`);
    const { text, pinLeftOut } = withoutPinValue(uri);
    return { ...tbsSigner(signer, keyAlgo, signer.publicKey.publicKeyDer), role, reference: text, pinLeftOut };
  }
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: algorithm === "ecdsa-p384" ? "secp384r1" : "prime256v1" });
  const file = `${role}.key.pem`;
  writeFileAtomic(join(dir, file), encryptPrivateKey(privateKey, options.password!), 0o600);
  return { ...keySigner(privateKey), role, reference: `file:${file}`, pinLeftOut: false };
}

/**
 * The URI as given, less its pin-value query attribute. ca.json is read by anyone who can read the data directory
 * (backups, support bundles); a PIN there would unlock the token for them. RFC 7512 §2.4 query attributes are
 * "&"-separated with "&" itself percent-encoded inside values, so dropping the one attribute leaves the rest intact;
 * pin-source (a file name, not the secret) stays.
 */
function withoutPinValue(uri: string): { text: string; pinLeftOut: boolean } {
  if (parsePkcs11Uri(uri).pinValue === undefined) return { text: uri, pinLeftOut: false };
  const queryAt = uri.indexOf("?");
  const kept = uri.slice(queryAt + 1).split("&").filter((attribute) => !attribute.startsWith("pin-value="));
  return { text: kept.length === 0 ? uri.slice(0, queryAt) : `${uri.slice(0, queryAt)}?${kept.join("&")}`, pinLeftOut: true };
}

function keySigner(privateKey: KeyObject): TbsSigner {
  const algorithm = keyAlgorithm(privateKey);
  return { algorithm, publicKeyDer: publicKeyDer(privateKey), sign: (tbs) => Promise.resolve(sign(privateKey, tbs)) };
}

function tbsSigner(signer: Signer, algorithm: KeyAlgorithm, publicKeyDer: Uint8Array): TbsSigner {
  return { algorithm, publicKeyDer, sign: async (tbs) => (await signer.sign(tbs)).signature };
}

export interface OpenCaOptions {
  dir: string;
  /** For key files: VOUCH_CA_PASSWORD, else VOUCH_PASSWORD / --password-file. */
  password?: PasswordSource;
  pkcs11?: Pkcs11Options;
}

export interface OpenedCa {
  manifest: CaManifest;
  /** The intermediate's key: signs every leaf. */
  signer: TbsSigner;
  /** [intermediate, root] DER: what a leaf chains through, in Fulcio's order. */
  chain: Uint8Array[];
}

/** Whether `dir` holds a CA (`vouch ca init` ran). */
export function caExists(dir: string): boolean {
  return existsSync(caManifestFile(dir));
}

/**
 * Opens the CA for issuing: reads the manifest and both certificates and opens the intermediate's key (decrypting
 * the key file, or logging in to the token), checking that the key is the one the intermediate certificate names.
 */
export async function openCa(options: OpenCaOptions): Promise<OpenedCa> {
  const manifestFile = caManifestFile(options.dir);
  if (!existsSync(manifestFile)) throw new VouchError("INPUT_NOT_FOUND", `no CA in ${options.dir}: run vouch ca init first`);
  const manifest = parseManifest(readFileSync(manifestFile, "utf8"), manifestFile);
  const intermediate = readCertificate(join(options.dir, "intermediate.crt.pem"));
  const root = readCertificate(join(options.dir, "root.crt.pem"));
  let signer: TbsSigner;
  if (manifest.intermediateKey.startsWith("file:")) {
    const keyFile = join(options.dir, manifest.intermediateKey.slice("file:".length));
    const opened = await KeyFileSigner.open(keyFile, options.password ?? {});
    signer = tbsSigner(opened, opened.algorithm, opened.publicKeyDer);
  } else {
    const opened = await Pkcs11Signer.open(manifest.intermediateKey, options.pkcs11 ?? {});
    signer = tbsSigner(opened, opened.publicKey.algorithm, opened.publicKey.publicKeyDer);
  }
  const certKey = new X509Certificate(intermediate).publicKey.export({ type: "spki", format: "der" });
  if (!Buffer.from(certKey).equals(Buffer.from(signer.publicKeyDer))) {
    throw new VouchError("INPUT_MALFORMED", "the intermediate key does not match intermediate.crt.pem", { file: manifestFile });
  }
  return { manifest, signer, chain: [intermediate, root] };
}

/** The CA's chain [intermediate, root] DER, or undefined when there is no CA in `dir` (no keys are opened). */
export function readCaChain(dir: string): Uint8Array[] | undefined {
  if (!caExists(dir)) return undefined;
  return [readCertificate(join(dir, "intermediate.crt.pem")), readCertificate(join(dir, "root.crt.pem"))];
}

function parseManifest(text: string, file: string): CaManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new VouchError("INPUT_MALFORMED", "not JSON", { file });
  }
  const m = value as Partial<CaManifest>;
  if (m?.version !== 1 || typeof m.intermediateKey !== "string" || typeof m.rootKey !== "string" || (m.algorithm !== "ecdsa-p384" && m.algorithm !== "ecdsa-p256")) {
    throw new VouchError("INPUT_MALFORMED", "not a vouch CA manifest (version 1 with algorithm, intermediateKey, rootKey)", { file });
  }
  if (m.intermediateAlgorithm !== undefined && m.intermediateAlgorithm !== "ecdsa-p384" && m.intermediateAlgorithm !== "ecdsa-p256") {
    throw new VouchError("INPUT_MALFORMED", "intermediateAlgorithm must be ecdsa-p384 or ecdsa-p256", { file });
  }
  return m as CaManifest;
}

function readCertificate(file: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new VouchError("INPUT_NOT_FOUND", `cannot read (${(error as NodeJS.ErrnoException).code ?? "error"})`, { file });
  }
  const blocks = decodePemBlocks(text).filter((b) => b.label === "CERTIFICATE");
  if (blocks.length !== 1) throw new VouchError("INPUT_MALFORMED", "expected one PEM certificate", { file });
  return blocks[0]!.der;
}
