import { createRequire } from "node:module";
import type * as Pkcs11js from "pkcs11js";
import type { Pkcs11Uri } from "../../core/crypto/pkcs11-uri.js";
import { VouchError } from "../../core/errors.js";

/**
 * The PKCS #11 (Cryptoki) calls vouch makes, through pkcs11js (the native binding graphene-pk11 is built on).
 *
 * Every use is one synchronous block: load the module, C_Initialize, pick the slot, open a session, log in, do the
 * work, then log out, close the session and C_Finalize in `finally` blocks, so a throw anywhere still releases the
 * token. Being synchronous, no other JavaScript runs in between: two signers in one process never interleave their
 * C_Initialize/C_Finalize on the same module (Cryptoki state is per process, not per handle).
 */

type Binding = typeof Pkcs11js;
export type Cryptoki = Pkcs11js.PKCS11;
export type Handle = Pkcs11js.Handle;
export type Template = Pkcs11js.Template;

/** Mechanisms and key types of PKCS #11 v3.0 that pkcs11js 2.x has no constants for. */
export const CKK_EC_EDWARDS = 0x40;
export const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
export const CKM_EDDSA = 0x1057;

let binding: Binding | undefined;

/** pkcs11js, loaded on first use so that vouch runs (without PKCS #11) where the native addon did not build. */
export function pkcs11js(): Binding {
  if (binding !== undefined) return binding;
  try {
    binding = createRequire(import.meta.url)("pkcs11js") as Binding;
    return binding;
  } catch (cause) {
    const why = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    throw new VouchError(
      "INPUT_UNSUPPORTED_FORMAT",
      `pkcs11: keys need the native module pkcs11js, which did not load here (${why}); reinstall vouch where a C++ compiler is available`,
      { cause },
    );
  }
}

/** The CKR_* name of a Cryptoki error, or undefined for any other error. */
export function ckr(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  return /^CKR_[A-Z0-9_]+$/.test(err.message) ? err.message : undefined;
}

/** A Cryptoki call that failed for a reason the user cannot fix by changing the URI or PIN. */
export function cryptokiError(call: string, err: unknown): VouchError {
  if (err instanceof VouchError) return err;
  const name = ckr(err) ?? (err instanceof Error ? err.message : String(err));
  return new VouchError("INPUT_UNREADABLE", `PKCS #11 ${call} failed: ${name}`, { cause: err });
}

/** CK_ULONG attributes come back as native-endian bytes (4 or 8 of them). */
export function ulong(bytes: Buffer): bigint {
  if (bytes.length === 8) return bytes.readBigUInt64LE(0);
  if (bytes.length === 4) return BigInt(bytes.readUInt32LE(0));
  throw new VouchError("INPUT_UNREADABLE", `PKCS #11: a CK_ULONG of ${bytes.length} bytes`);
}

/** Token and slot strings are blank-padded to a fixed width (PKCS #11 §3.2); RFC 7512 compares them unpadded. */
export function unpad(text: string): string {
  return text.replace(/[ \0]+$/, "");
}

export interface TokenSession {
  p11: Cryptoki;
  b: Binding;
  session: Handle;
  /** The token's label, for messages. */
  token: string;
  slotId: bigint;
  /** The token says it needs a login before its private objects can be used (CKF_LOGIN_REQUIRED). */
  loginRequired: boolean;
  /** This session is logged in as the user (a PIN was given). */
  loggedIn: boolean;
}

export interface SessionOptions {
  modulePath: string;
  uri: Pkcs11Uri;
  /** Log in as CKU_USER with this PIN; undefined: no login. */
  pin: string | undefined;
}

/**
 * Run `work` in a session on the token `uri` names, releasing everything afterwards (also when `work` throws).
 */
export function withTokenSession<T>(options: SessionOptions, work: (t: TokenSession) => T): T {
  const b = pkcs11js();
  const p11 = new b.PKCS11();
  try {
    p11.load(options.modulePath);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    throw new VouchError("INPUT_UNREADABLE", `cannot load the PKCS #11 module ${options.modulePath}: ${why}`, { cause });
  }
  let initialized = false;
  try {
    try {
      p11.C_Initialize();
      initialized = true;
    } catch (err) {
      // Another part of this process initialised the module first: use it, and leave finalizing to its owner.
      if (ckr(err) !== "CKR_CRYPTOKI_ALREADY_INITIALIZED") throw cryptokiError("C_Initialize", err);
    }
    checkLibrary(p11, options);
    const slot = selectSlot(p11, b, options.uri);
    let session: Handle;
    try {
      // Read-only is enough to sign and to read objects; never write to the user's token.
      session = p11.C_OpenSession(slot.handle, b.CKF_SERIAL_SESSION);
    } catch (err) {
      throw cryptokiError("C_OpenSession", err);
    }
    try {
      const loggedIn = options.pin !== undefined && login(p11, b, session, options.pin, slot.label);
      try {
        return work({ p11, b, session, token: slot.label, slotId: slot.id, loginRequired: slot.loginRequired, loggedIn: options.pin !== undefined });
      } finally {
        if (loggedIn) ignore(() => p11.C_Logout(session));
      }
    } finally {
      ignore(() => p11.C_CloseSession(session));
    }
  } finally {
    if (initialized) ignore(() => p11.C_Finalize());
    ignore(() => p11.close());
  }
}

function ignore(cleanup: () => void): void {
  try {
    cleanup();
  } catch {
    // Cleanup must not hide the error (or the result) of the work itself.
  }
}

/** True when this call logged in (and so must log out); false when the token was already logged in. */
function login(p11: Cryptoki, b: Binding, session: Handle, pin: string, token: string): boolean {
  try {
    p11.C_Login(session, b.CKU_USER, pin);
    return true;
  } catch (err) {
    const code = ckr(err);
    // Login state is per application and token: another session of this process logged in already.
    if (code === "CKR_USER_ALREADY_LOGGED_IN") return false;
    const reason: Record<string, string> = {
      CKR_PIN_INCORRECT: "the PIN is incorrect",
      CKR_PIN_LOCKED: "the user PIN is locked (too many wrong PINs); the token's security officer must reset it",
      CKR_PIN_LEN_RANGE: "the PIN has a length this token does not accept, so it is not the right PIN",
      CKR_PIN_EXPIRED: "the PIN has expired; set a new one with the token's tools",
      CKR_PIN_INVALID: "the PIN contains characters this token does not accept",
      CKR_USER_PIN_NOT_INITIALIZED: "the token has no user PIN yet (initialise it with the token's tools)",
    };
    const why = code === undefined ? undefined : reason[code];
    if (why !== undefined) throw new VouchError("INPUT_USAGE", `PKCS #11 login to token "${token}" refused: ${why} (${code})`, { cause: err });
    throw cryptokiError(`C_Login to token "${token}"`, err);
  }
}

/** library-manufacturer, library-description and library-version name the module (C_GetInfo). */
function checkLibrary(p11: Cryptoki, { uri, modulePath }: SessionOptions): void {
  if (uri.libraryManufacturer === undefined && uri.libraryDescription === undefined && uri.libraryVersion === undefined) return;
  let info: Pkcs11js.ModuleInfo;
  try {
    info = p11.C_GetInfo();
  } catch (err) {
    throw cryptokiError("C_GetInfo", err);
  }
  const mismatch = (what: string, wanted: string, got: string): VouchError =>
    new VouchError("INPUT_NOT_FOUND", `the PKCS #11 module ${modulePath} is not the one the URI names: its ${what} is "${got}", not "${wanted}"`);
  if (uri.libraryManufacturer !== undefined && unpad(info.manufacturerID) !== uri.libraryManufacturer) {
    throw mismatch("library-manufacturer", uri.libraryManufacturer, unpad(info.manufacturerID));
  }
  if (uri.libraryDescription !== undefined && unpad(info.libraryDescription) !== uri.libraryDescription) {
    throw mismatch("library-description", uri.libraryDescription, unpad(info.libraryDescription));
  }
  const v = uri.libraryVersion;
  if (v !== undefined && (info.libraryVersion.major !== v.major || info.libraryVersion.minor !== v.minor)) {
    throw mismatch("library-version", `${v.major}.${v.minor}`, `${info.libraryVersion.major}.${info.libraryVersion.minor}`);
  }
}

interface Slot {
  handle: Handle;
  id: bigint;
  label: string;
  loginRequired: boolean;
}

/**
 * The one initialised token the URI's slot and token attributes match (RFC 7512 §2.5: an absent attribute matches
 * anything). Zero matches or several are errors that list what the module has, so the user can fix the URI.
 */
function selectSlot(p11: Cryptoki, b: Binding, uri: Pkcs11Uri): Slot {
  let handles: Handle[];
  try {
    handles = p11.C_GetSlotList(true);
  } catch (err) {
    throw cryptokiError("C_GetSlotList", err);
  }
  const tokens: Array<Slot & { serial: string }> = [];
  const matches: Slot[] = [];
  for (const handle of handles) {
    let slotInfo: Pkcs11js.SlotInfo;
    let tokenInfo: Pkcs11js.TokenInfo;
    try {
      slotInfo = p11.C_GetSlotInfo(handle);
      tokenInfo = p11.C_GetTokenInfo(handle);
    } catch (err) {
      throw cryptokiError("C_GetTokenInfo", err);
    }
    // An uninitialised token (SoftHSM's spare slot, a blank card) holds no keys.
    if ((tokenInfo.flags & b.CKF_TOKEN_INITIALIZED) === 0) continue;
    const slot = {
      handle,
      id: ulong(handle),
      label: unpad(tokenInfo.label),
      serial: unpad(tokenInfo.serialNumber),
      loginRequired: (tokenInfo.flags & b.CKF_LOGIN_REQUIRED) !== 0,
    };
    tokens.push(slot);
    const wanted: Array<[string | bigint | undefined, string | bigint]> = [
      [uri.slotId, slot.id],
      [uri.slotDescription, unpad(slotInfo.slotDescription)],
      [uri.slotManufacturer, unpad(slotInfo.manufacturerID)],
      [uri.token, slot.label],
      [uri.manufacturer, unpad(tokenInfo.manufacturerID)],
      [uri.model, unpad(tokenInfo.model)],
      [uri.serial, slot.serial],
    ];
    if (wanted.every(([want, got]) => want === undefined || want === got)) matches.push(slot);
  }
  const listing = tokens.length === 0 ? "it has no initialised token" : `its tokens: ${tokens.map((t) => `"${t.label}" (slot-id=${t.id}, serial=${t.serial})`).join(", ")}`;
  if (matches.length === 0) throw new VouchError("INPUT_NOT_FOUND", `no PKCS #11 token matches the URI's ${tokenAttributes(uri)}; ${listing}`);
  if (matches.length > 1) {
    throw new VouchError("INPUT_USAGE", `${matches.length} PKCS #11 tokens match the URI's ${tokenAttributes(uri)}: add token=LABEL or slot-id=N; ${listing}`);
  }
  return matches[0]!;
}

function tokenAttributes(uri: Pkcs11Uri): string {
  const parts: string[] = [];
  if (uri.token !== undefined) parts.push(`token=${uri.token}`);
  if (uri.slotId !== undefined) parts.push(`slot-id=${uri.slotId}`);
  if (uri.serial !== undefined) parts.push(`serial=${uri.serial}`);
  if (uri.manufacturer !== undefined) parts.push(`manufacturer=${uri.manufacturer}`);
  if (uri.model !== undefined) parts.push(`model=${uri.model}`);
  if (uri.slotDescription !== undefined) parts.push(`slot-description=${uri.slotDescription}`);
  if (uri.slotManufacturer !== undefined) parts.push(`slot-manufacturer=${uri.slotManufacturer}`);
  return parts.length === 0 ? "(no token attributes)" : parts.join(";");
}

/** Object handles matching `template` (C_FindObjectsInit / C_FindObjects / C_FindObjectsFinal), at most `max`. */
export function findObjects(t: TokenSession, template: Template, max = 64): Handle[] {
  try {
    t.p11.C_FindObjectsInit(t.session, template);
  } catch (err) {
    throw cryptokiError("C_FindObjectsInit", err);
  }
  try {
    return t.p11.C_FindObjects(t.session, max);
  } catch (err) {
    throw cryptokiError("C_FindObjects", err);
  } finally {
    ignore(() => t.p11.C_FindObjectsFinal(t.session));
  }
}

/** The values of `types` on `object`, in order; a missing attribute is an empty buffer. */
export function attributes(t: TokenSession, object: Handle, types: number[]): Buffer[] {
  const values: Buffer[] = [];
  for (const type of types) {
    // One call per attribute: a token answers CKR_ATTRIBUTE_TYPE_INVALID for the whole template if one is missing.
    try {
      const [attr] = t.p11.C_GetAttributeValue(t.session, object, [{ type }]);
      values.push(attr?.value ?? Buffer.alloc(0));
    } catch (err) {
      const code = ckr(err);
      if (code === "CKR_ATTRIBUTE_TYPE_INVALID" || code === "CKR_ATTRIBUTE_SENSITIVE") values.push(Buffer.alloc(0));
      else throw cryptokiError("C_GetAttributeValue", err);
    }
  }
  return values;
}
