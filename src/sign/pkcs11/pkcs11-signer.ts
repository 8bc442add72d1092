import { createHash, X509Certificate, type KeyObject } from "node:crypto";
import { statSync } from "node:fs";
import { join } from "node:path";
import { KEY_DETAILS, keyAlgorithm, keyId, publicKeyDer, signatureDigest, verify, type KeyAlgorithm } from "../../core/crypto/keys.js";
import { describePkcs11Uri, idToPercent, parsePkcs11Uri, type Pkcs11Uri } from "../../core/crypto/pkcs11-uri.js";
import { VouchError } from "../../core/errors.js";
import type { PasswordPrompt } from "../password.js";
import type { SignatureResult, Signer, SignerMaterial } from "../signer.js";
import { attributes, ckr, CKK_EC_EDWARDS, CKM_EDDSA, cryptokiError, findObjects, ulong, withTokenSession, type Handle, type Template, type TokenSession } from "./cryptoki.js";
import { ecdsaRawToDer, spkiFromEcAttributes } from "./key-encoding.js";
import { configuredPin, PIN_ENV, type PinSource } from "./pin.js";

export const MODULE_ENV = "VOUCH_PKCS11_MODULE_PATH";

/** Where `module-name` is looked for when no module-path is given (p11-kit's module directories, then the lib dirs). */
const MODULE_DIRS = [
  "/usr/lib/x86_64-linux-gnu/pkcs11",
  "/usr/lib/aarch64-linux-gnu/pkcs11",
  "/usr/lib64/pkcs11",
  "/usr/lib/pkcs11",
  "/usr/local/lib/pkcs11",
  "/usr/lib/x86_64-linux-gnu",
  "/usr/lib/aarch64-linux-gnu",
  "/usr/lib64",
  "/usr/lib",
  "/usr/local/lib",
];

export interface Pkcs11Options extends PinSource {
  /** Asks for the PIN when the URI and VOUCH_PKCS11_PIN give none and the token requires a login. */
  prompt?: PasswordPrompt;
  /** Directories searched for `module-name` (default: the p11-kit and system library directories). */
  moduleDirs?: readonly string[];
}

/** A public key read from a token: what `--key pkcs11:...` verifies with. */
export interface Pkcs11PublicKey {
  key: KeyObject;
  /** SubjectPublicKeyInfo DER. */
  publicKeyDer: Uint8Array;
  /** Key ID: hex SHA-256 of the SPKI DER (the bundle's publicKey.hint). */
  hint: string;
  algorithm: KeyAlgorithm;
  /** protobuf-specs PublicKeyDetails ("PKIX_ECDSA_P256_SHA_256"). */
  keyDetails: string;
}

/** The private key object a signer uses, pinned down after `open` so every `sign` finds the same one. */
interface KeyRef {
  label: string;
  id: Uint8Array;
  keyType: bigint;
}

/**
 * A Signer whose private key stays in a PKCS #11 token (a hardware security module, a smart card, SoftHSM), named by
 * an RFC 7512 URI as cosign takes it. ECDSA keys (P-256, P-384) sign with CKM_ECDSA over the SHA-256 / SHA-384 digest
 * computed here (CKM_ECDSA_SHA256 is optional in tokens; CKM_ECDSA is not), the token's r || s turned into DER;
 * Ed25519 keys sign with CKM_EDDSA (pure, over the message). The verification material is the matching public key
 * object's SPKI (or the key of an X.509 certificate object with the same CKA_ID).
 *
 * `open` checks everything it can up front (URI, module, token, PIN, key, public half) so that a wrong PIN or label
 * fails before any work; each `sign` then runs one session and releases the token (see cryptoki.ts), and checks the
 * signature against the public key before returning it, so mismatched objects in a token cannot yield a bundle that
 * does not verify.
 *
 * @example
 *   const signer = await Pkcs11Signer.open("pkcs11:token=ci;object=release?module-path=/usr/lib/softhsm/libsofthsm2.so",
 *     { env: process.env });
 *   const { signature, material } = await signer.sign(bytes);
 */
export class Pkcs11Signer implements Signer {
  readonly uri: Pkcs11Uri;
  readonly modulePath: string;
  readonly publicKey: Pkcs11PublicKey;
  readonly #pin: string | undefined;
  readonly #key: KeyRef;

  private constructor(uri: Pkcs11Uri, modulePath: string, pin: string | undefined, key: KeyRef, publicKey: Pkcs11PublicKey) {
    this.uri = uri;
    this.modulePath = modulePath;
    this.#pin = pin;
    this.#key = key;
    this.publicKey = publicKey;
  }

  static async open(uriText: string, options: Pkcs11Options = {}): Promise<Pkcs11Signer> {
    const uri = parsePkcs11Uri(uriText);
    refuseUnknownPathAttributes(uri);
    if (uri.type !== undefined && uri.type !== "private") {
      throw new VouchError("INPUT_USAGE", `PKCS #11 URI: type=${uri.type} names no private key; signing needs type=private (or no type)`);
    }
    const modulePath = resolveModulePath(uri, options);
    const pin = await pinFor(uri, modulePath, options);
    const { key, publicKey } = withTokenSession({ modulePath, uri, pin }, (t) => {
      const found = findPrivateKey(t, uri);
      return { key: found, publicKey: publicHalf(t, found) };
    });
    return new Pkcs11Signer(uri, modulePath, pin, key, publicKey);
  }

  /** The verification material of every signature this signer makes. */
  get material(): SignerMaterial {
    return { kind: "publicKey", hint: this.publicKey.hint, publicKeyDer: this.publicKey.publicKeyDer };
  }

  async sign(data: Uint8Array): Promise<SignatureResult> {
    const { algorithm, key } = this.publicKey;
    const signature = withTokenSession({ modulePath: this.modulePath, uri: this.uri, pin: this.#pin }, (t) => {
      const handle = this.#findKeyAgain(t);
      if (algorithm === "ed25519") return new Uint8Array(signOnce(t, handle, CKM_EDDSA, "CKM_EDDSA", data));
      // CKM_ECDSA signs a digest the caller made (PKCS #11 v2.40 §2.3.6): SHA-256 for P-256, SHA-384 for P-384, as the
      // Sigstore key details PKIX_ECDSA_P256_SHA_256 / PKIX_ECDSA_P384_SHA_384 say.
      const digest = createHash(signatureDigest(algorithm)!).update(data).digest();
      return ecdsaRawToDer(signOnce(t, handle, t.b.CKM_ECDSA, "CKM_ECDSA", digest), algorithm);
    });
    if (!verify(key, data, signature)) {
      throw new VouchError(
        "INPUT_MALFORMED",
        `the token's public key for ${describeKey(this.#key)} does not verify the signature its private key made: the token holds mismatched key objects`,
      );
    }
    return { signature, material: this.material };
  }

  #findKeyAgain(t: TokenSession): Handle {
    const template: Template = [{ type: t.b.CKA_CLASS, value: t.b.CKO_PRIVATE_KEY }, { type: t.b.CKA_LABEL, value: this.#key.label }];
    if (this.#key.id.length > 0) template.push({ type: t.b.CKA_ID, value: Buffer.from(this.#key.id) });
    const handles = findObjects(t, template, 2);
    if (handles.length !== 1) {
      throw new VouchError("INPUT_NOT_FOUND", `the private key ${describeKey(this.#key)} is no longer in token "${t.token}" (or is no longer unique)`);
    }
    return handles[0]!;
  }
}

/**
 * The public key a PKCS #11 URI names, for `vouch verify --key pkcs11:...`: a public key object, else an X.509
 * certificate object, else (logged in) the public half of the private key the URI names. Logs in only when a PIN is
 * configured (pin-value, pin-source, VOUCH_PKCS11_PIN): public objects are readable without one.
 */
export async function pkcs11PublicKey(uriText: string, options: Omit<Pkcs11Options, "prompt"> = {}): Promise<Pkcs11PublicKey> {
  const uri = parsePkcs11Uri(uriText);
  refuseUnknownPathAttributes(uri);
  if (uri.type === "secret-key" || uri.type === "data") {
    throw new VouchError("INPUT_USAGE", `PKCS #11 URI: type=${uri.type} names no public key; use type=public, type=cert or type=private`);
  }
  const modulePath = resolveModulePath(uri, options);
  const pin = configuredPin(uri, options);
  return withTokenSession({ modulePath, uri, pin }, (t) => {
    if (uri.type === undefined || uri.type === "public") {
      const keys = findObjects(t, [{ type: t.b.CKA_CLASS, value: t.b.CKO_PUBLIC_KEY }, ...objectTemplate(t, uri)]);
      if (keys.length > 1) throw ambiguous(t, "public keys", keys, uri);
      if (keys.length === 1) return publicKeyFromObject(t, keys[0]!);
    }
    if (uri.type === undefined || uri.type === "cert") {
      const certs = findObjects(t, [{ type: t.b.CKA_CLASS, value: t.b.CKO_CERTIFICATE }, { type: t.b.CKA_CERTIFICATE_TYPE, value: t.b.CKC_X_509 }, ...objectTemplate(t, uri)]);
      if (certs.length > 1) throw ambiguous(t, "certificates", certs, uri);
      if (certs.length === 1) return publicKeyFromCertificate(t, certs[0]!);
    }
    if (uri.type === undefined || uri.type === "private") {
      if (t.loggedIn || uri.type === "private") return publicHalf(t, findPrivateKey(t, uri));
    }
    const hint = pin === undefined ? ` (private keys are visible only after login: set ${PIN_ENV} or add pin-value/pin-source)` : "";
    throw new VouchError("INPUT_NOT_FOUND", `no public key or certificate matching ${describePkcs11Uri(uri)} in token "${t.token}"${hint}`);
  });
}

function refuseUnknownPathAttributes(uri: Pkcs11Uri): void {
  const [first] = uri.vendorPath;
  if (first !== undefined) {
    throw new VouchError(
      "INPUT_USAGE",
      `PKCS #11 URI: path attribute "${first.name}" is not one vouch knows, and RFC 7512 §2.5 says such a URI matches no object (known: token, object, id, type, slot-id, serial, manufacturer, model, slot-description, slot-manufacturer, library-*)`,
    );
  }
}

/**
 * The PKCS #11 library to load: the URI's module-path (a file, or a directory holding module-name), else
 * VOUCH_PKCS11_MODULE_PATH (cosign's COSIGN_PKCS11_MODULE_PATH), else module-name looked up in the system's module
 * directories. The URI is trusted input: loading a module runs its code, as it does in cosign, p11-kit and OpenSSL.
 */
export function resolveModulePath(uri: Pkcs11Uri, options: Pick<Pkcs11Options, "env" | "moduleDirs">): string {
  const fromEnv = options.env?.[MODULE_ENV];
  const path = uri.modulePath ?? (fromEnv !== undefined && fromEnv !== "" ? fromEnv : undefined);
  if (path !== undefined) {
    const where = uri.modulePath !== undefined ? "module-path" : MODULE_ENV;
    const kind = fileKind(path);
    if (kind === "file") return path;
    if (kind === "directory" && uri.moduleName !== undefined) return findModule(uri.moduleName, [path]);
    if (kind === "directory") throw new VouchError("INPUT_USAGE", `PKCS #11: ${where} ${path} is a directory; add module-name=NAME or name the library file`);
    throw new VouchError("INPUT_NOT_FOUND", `PKCS #11: ${where} ${path} does not exist`);
  }
  if (uri.moduleName !== undefined) return findModule(uri.moduleName, options.moduleDirs ?? MODULE_DIRS);
  throw new VouchError("INPUT_USAGE", `PKCS #11 URI names no module: add ?module-path=/path/to/library.so (or set ${MODULE_ENV})`);
}

function findModule(name: string, dirs: readonly string[]): string {
  const names = [name, `${name}.so`, `lib${name}.so`];
  for (const dir of dirs) {
    for (const candidate of names) {
      const path = join(dir, candidate);
      if (fileKind(path) === "file") return path;
    }
  }
  throw new VouchError("INPUT_NOT_FOUND", `PKCS #11: no module "${name}" in ${dirs.join(", ")}; give module-path=/path/to/library.so`);
}

function fileKind(path: string): "file" | "directory" | undefined {
  try {
    const stat = statSync(path);
    return stat.isFile() ? "file" : stat.isDirectory() ? "directory" : undefined;
  } catch {
    return undefined;
  }
}

/** The configured PIN; failing that, a prompt when the token wants a login; failing that, a clear error. */
async function pinFor(uri: Pkcs11Uri, modulePath: string, options: Pkcs11Options): Promise<string | undefined> {
  const pin = configuredPin(uri, options);
  if (pin !== undefined) return pin;
  const needsLogin = withTokenSession({ modulePath, uri, pin: undefined }, (t) => t.loginRequired);
  if (!needsLogin) return undefined;
  if (options.prompt === undefined) {
    throw new VouchError("INPUT_USAGE", `the PKCS #11 token needs a PIN: set ${PIN_ENV}, or add pin-source=file:/path (or pin-value=...) to the URI`);
  }
  const typed = await options.prompt(`Enter PIN for PKCS #11 token (${describePkcs11Uri(uri)}): `);
  if (typed === "") throw new VouchError("INPUT_USAGE", "empty PIN");
  return typed;
}

/** CKA_LABEL / CKA_ID template for the URI's object and id attributes. */
function objectTemplate(t: TokenSession, uri: Pkcs11Uri): Template {
  const template: Template = [];
  if (uri.object !== undefined) template.push({ type: t.b.CKA_LABEL, value: uri.object });
  if (uri.id !== undefined) template.push({ type: t.b.CKA_ID, value: Buffer.from(uri.id) });
  return template;
}

/** The one private key the URI's object/id name; zero or several are errors that list the token's keys. */
function findPrivateKey(t: TokenSession, uri: Pkcs11Uri): KeyRef {
  const handles = findObjects(t, [{ type: t.b.CKA_CLASS, value: t.b.CKO_PRIVATE_KEY }, ...objectTemplate(t, uri)]);
  if (handles.length === 0) {
    const all = findObjects(t, [{ type: t.b.CKA_CLASS, value: t.b.CKO_PRIVATE_KEY }], 20).map((h) => describeKey(keyRef(t, h)));
    const listing = all.length === 0 ? (t.loggedIn ? "it holds no private keys" : "no private keys are visible without login") : `its private keys: ${all.join(", ")}`;
    throw new VouchError("INPUT_NOT_FOUND", `no private key matching ${describePkcs11Uri(uri)} in PKCS #11 token "${t.token}"; ${listing}`);
  }
  if (handles.length > 1) throw ambiguous(t, "private keys", handles, uri);
  const key = keyRef(t, handles[0]!);
  if (key.keyType !== BigInt(t.b.CKK_EC) && key.keyType !== BigInt(CKK_EC_EDWARDS)) {
    const name = key.keyType === BigInt(t.b.CKK_RSA) ? "an RSA key" : `a key of type 0x${key.keyType.toString(16)}`;
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `${describeKey(key)} in token "${t.token}" is ${name}; vouch signs with ECDSA P-256, P-384 or Ed25519 keys`);
  }
  return key;
}

function keyRef(t: TokenSession, handle: Handle): KeyRef {
  const [label, id, keyType] = attributes(t, handle, [t.b.CKA_LABEL, t.b.CKA_ID, t.b.CKA_KEY_TYPE]);
  return { label: label!.toString("utf8"), id: new Uint8Array(id!), keyType: keyType!.length === 0 ? -1n : ulong(keyType!) };
}

function describeKey(key: { label: string; id: Uint8Array }): string {
  return key.id.length === 0 ? `"${key.label}"` : `"${key.label}" (id ${idToPercent(key.id)})`;
}

function ambiguous(t: TokenSession, what: string, handles: Handle[], uri: Pkcs11Uri): VouchError {
  const names = handles.slice(0, 10).map((h) => describeKey(keyRef(t, h)));
  return new VouchError("INPUT_USAGE", `${handles.length} ${what} match ${describePkcs11Uri(uri)} in token "${t.token}" (${names.join(", ")}): add object=LABEL or id=%NN to pick one`);
}

/**
 * The public half of a private key: the public key object with the same CKA_ID (PKCS #11's link between the halves of
 * a pair), else with the same label, else an X.509 certificate object with the same CKA_ID.
 */
function publicHalf(t: TokenSession, key: KeyRef): Pkcs11PublicKey {
  const linkBy = key.id.length > 0 ? { type: t.b.CKA_ID, value: Buffer.from(key.id) } : { type: t.b.CKA_LABEL, value: key.label };
  let publicKeys = findObjects(t, [{ type: t.b.CKA_CLASS, value: t.b.CKO_PUBLIC_KEY }, linkBy]);
  if (publicKeys.length > 1) publicKeys = findObjects(t, [{ type: t.b.CKA_CLASS, value: t.b.CKO_PUBLIC_KEY }, linkBy, { type: t.b.CKA_LABEL, value: key.label }]);
  if (publicKeys.length === 1) return expectKind(t, key, publicKeyFromObject(t, publicKeys[0]!));
  if (publicKeys.length === 0) {
    const certs = findObjects(t, [{ type: t.b.CKA_CLASS, value: t.b.CKO_CERTIFICATE }, { type: t.b.CKA_CERTIFICATE_TYPE, value: t.b.CKC_X_509 }, linkBy]);
    if (certs.length === 1) return expectKind(t, key, publicKeyFromCertificate(t, certs[0]!));
  }
  throw new VouchError(
    "INPUT_NOT_FOUND",
    `token "${t.token}" has ${publicKeys.length === 0 ? "no public key or certificate object" : "several public key objects"} for the private key ${describeKey(key)}: vouch needs exactly one to name the key in bundles`,
  );
}

/** The public object's algorithm must fit the private key's type (a P-256 public key beside an Ed25519 private key is a broken token). */
function expectKind(t: TokenSession, key: KeyRef, pub: Pkcs11PublicKey): Pkcs11PublicKey {
  const edwards = key.keyType === BigInt(CKK_EC_EDWARDS);
  if (edwards !== (pub.algorithm === "ed25519")) {
    throw new VouchError("INPUT_MALFORMED", `token "${t.token}": the public key found for ${describeKey(key)} is ${pub.algorithm}, which does not fit the private key's type`);
  }
  return pub;
}

function publicKeyFromObject(t: TokenSession, handle: Handle): Pkcs11PublicKey {
  const [params, point] = attributes(t, handle, [t.b.CKA_EC_PARAMS, t.b.CKA_EC_POINT]);
  if (params!.length === 0 || point!.length === 0) {
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `the public key ${describeKey(keyRef(t, handle))} in token "${t.token}" is not an EC or Ed25519 key; vouch uses ECDSA P-256, P-384 or Ed25519 keys`);
  }
  return describePublicKey(spkiFromEcAttributes(params!, point!).key);
}

function publicKeyFromCertificate(t: TokenSession, handle: Handle): Pkcs11PublicKey {
  const [der] = attributes(t, handle, [t.b.CKA_VALUE]);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der!);
  } catch (cause) {
    throw new VouchError("INPUT_MALFORMED", `the certificate object in token "${t.token}" is not a DER X.509 certificate`, { cause });
  }
  return describePublicKey(cert.publicKey);
}

function describePublicKey(key: KeyObject): Pkcs11PublicKey {
  const algorithm = keyAlgorithm(key);
  return { key, publicKeyDer: publicKeyDer(key), hint: keyId(key), algorithm, keyDetails: KEY_DETAILS[algorithm] };
}

function signOnce(t: TokenSession, key: Handle, mechanism: number, name: string, input: Buffer | Uint8Array): Buffer {
  try {
    t.p11.C_SignInit(t.session, { mechanism }, key);
    // 512 bytes holds any signature here (Ed25519 64, P-384 r || s 96); pkcs11js returns the used slice.
    return t.p11.C_Sign(t.session, Buffer.from(input), Buffer.alloc(512));
  } catch (err) {
    const code = ckr(err);
    if (code === "CKR_MECHANISM_INVALID") {
      throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `PKCS #11 token "${t.token}" does not support ${name} for this key`, { cause: err });
    }
    if (code === "CKR_KEY_FUNCTION_NOT_PERMITTED" || code === "CKR_KEY_TYPE_INCONSISTENT") {
      throw new VouchError("INPUT_USAGE", `the key in token "${t.token}" may not sign with ${name} (${code}); check its CKA_SIGN attribute`, { cause: err });
    }
    if (code === "CKR_USER_NOT_LOGGED_IN") {
      throw new VouchError("INPUT_USAGE", `PKCS #11 token "${t.token}" needs a login to sign: set ${PIN_ENV} or add pin-source/pin-value to the URI`, { cause: err });
    }
    throw cryptokiError(`C_Sign (${name})`, err);
  }
}
