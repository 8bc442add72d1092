import { execFileSync, spawnSync } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ASN1Obj } from "@sigstore/core";
import type * as Pkcs11js from "pkcs11js";

/**
 * A throwaway SoftHSM2 token for the PKCS #11 tests: its own config and token directory in a temp folder (SOFTHSM2_CONF
 * points there, so the machine's tokens are never touched), initialised with softhsm2-util and holding key pairs
 * generated inside the token through pkcs11js (C_GenerateKeyPair): the private halves never exist outside it.
 *
 *   signing-key  id 01  ECDSA P-256   (the one cosign users would have)
 *   p384-key     id 03  ECDSA P-384
 *   ed25519-key  id 02  Ed25519       (only when the module offers CKM_EC_EDWARDS_KEY_PAIR_GEN)
 *   rsa-key      id 04  RSA 2048      (a key type vouch refuses)
 *
 * SoftHSM2 comes from Debian's softhsm2 package (scripts/test.sh installs it when run as root). Without it the tests
 * skip: `softHsmUnavailable()` returns the reason and prints it, so a skipped run says why.
 */

export const TOKEN_LABEL = "vouch-test";
export const USER_PIN = "1234";
export const SO_PIN = "5678";

const MODULE_CANDIDATES = [
  "/usr/lib/softhsm/libsofthsm2.so",
  "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
  "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
  "/usr/local/lib/softhsm/libsofthsm2.so",
];

// PKCS #11 v3.0 values pkcs11js 2.x has no constants for.
const CKK_EC_EDWARDS = 0x40;
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;

const P256 = Buffer.from("06082a8648ce3d030107", "hex"); // 1.2.840.10045.3.1.7
const P384 = Buffer.from("06052b81040022", "hex"); // 1.3.132.0.34
const ED25519 = Buffer.from("06032b6570", "hex"); // 1.3.101.112

export function softHsmModulePath(): string | undefined {
  return MODULE_CANDIDATES.find((path) => existsSync(path));
}

let reported = false;

/** Why the SoftHSM2 tests cannot run here, or undefined when they can. Prints the reason (once per test file). */
export function softHsmUnavailable(): string | undefined {
  const reason = probe();
  if (reason !== undefined && !reported) {
    reported = true;
    console.warn(`[softhsm] PKCS #11 tests SKIPPED: ${reason}`);
  }
  return reason;
}

function probe(): string | undefined {
  const util = spawnSync("softhsm2-util", ["--version"], { encoding: "utf8" });
  if (util.error !== undefined) {
    return "softhsm2-util is not installed (Debian package softhsm2; scripts/test.sh installs it when run as root with apt-get)";
  }
  if (softHsmModulePath() === undefined) return `libsofthsm2.so not found in ${MODULE_CANDIDATES.join(", ")}`;
  try {
    loadPkcs11js();
  } catch (err) {
    return `the native module pkcs11js did not load (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`;
  }
  return undefined;
}

function loadPkcs11js(): typeof Pkcs11js {
  return createRequire(import.meta.url)("pkcs11js") as typeof Pkcs11js;
}

export interface SoftHsmToken {
  modulePath: string;
  /** The temp folder holding softhsm2.conf and the token directory. */
  dir: string;
  slotId: bigint;
  /** Whether the Ed25519 key exists (SoftHSM built with EdDSA support). */
  hasEd25519: boolean;
  /** `pkcs11:token=vouch-test;object=LABEL?module-path=...` plus `&pin-value=1234` unless `pin: false`. */
  uri(object?: string, options?: { pin?: boolean; path?: string; query?: string }): string;
  /** Removes the temp folder (and SOFTHSM2_CONF when this token set it). */
  cleanup(): void;
}

/**
 * Make the token. Sets process.env.SOFTHSM2_CONF for this test process: SoftHSM reads it at every C_Initialize.
 */
export function createSoftHsmToken(): SoftHsmToken {
  const modulePath = softHsmModulePath();
  if (modulePath === undefined) throw new Error("SoftHSM2 is not installed: check softHsmUnavailable() first");
  const dir = mkdtempSync(join(tmpdir(), "vouch-softhsm-"));
  const tokens = join(dir, "tokens");
  mkdirSync(tokens);
  const conf = join(dir, "softhsm2.conf");
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const previousConf = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = conf;

  execFileSync("softhsm2-util", ["--init-token", "--free", "--label", TOKEN_LABEL, "--pin", USER_PIN, "--so-pin", SO_PIN], {
    env: { ...process.env, SOFTHSM2_CONF: conf },
    stdio: ["ignore", "pipe", "pipe"],
  });

  const { slotId, hasEd25519 } = generateKeys(modulePath);
  return {
    modulePath,
    dir,
    slotId,
    hasEd25519,
    uri(object = "signing-key", options = {}) {
      const path = options.path ?? `token=${TOKEN_LABEL};object=${object}`;
      const query = [`module-path=${modulePath}`, ...(options.pin === false ? [] : [`pin-value=${USER_PIN}`]), ...(options.query ? [options.query] : [])];
      return `pkcs11:${path}?${query.join("&")}`;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
      if (process.env.SOFTHSM2_CONF === conf) {
        if (previousConf === undefined) delete process.env.SOFTHSM2_CONF;
        else process.env.SOFTHSM2_CONF = previousConf;
      }
    },
  };
}

/**
 * Put a P-256 private key made outside the token (PEM) into it, with an X.509 certificate object (DER) under the same
 * label and CKA_ID and no public key object: how keys often sit on smart cards (PIV), where the certificate is the
 * only public half. The certificate need not belong to the key: tests use that to make a token with mismatched objects.
 */
export function importKeyWithCertificate(hsm: SoftHsmToken, options: { label: string; id: number; privateKeyPem: string; certificateDer: Uint8Array }): void {
  const jwk = createPrivateKey(options.privateKeyPem).export({ format: "jwk" });
  if (jwk.crv !== "P-256" || jwk.d === undefined) throw new Error("importKeyWithCertificate takes a P-256 private key");
  withUserSession(hsm.modulePath, (p, p11, session) => {
    const common = [
      { type: p.CKA_TOKEN, value: true },
      { type: p.CKA_LABEL, value: options.label },
      { type: p.CKA_ID, value: Buffer.from([options.id]) },
    ];
    p11.C_CreateObject(session, [
      { type: p.CKA_CLASS, value: p.CKO_PRIVATE_KEY },
      { type: p.CKA_KEY_TYPE, value: p.CKK_EC },
      ...common,
      { type: p.CKA_PRIVATE, value: true },
      { type: p.CKA_SENSITIVE, value: true },
      { type: p.CKA_SIGN, value: true },
      { type: p.CKA_EC_PARAMS, value: P256 },
      { type: p.CKA_VALUE, value: Buffer.from(jwk.d!, "base64url") },
    ]);
    p11.C_CreateObject(session, [
      { type: p.CKA_CLASS, value: p.CKO_CERTIFICATE },
      { type: p.CKA_CERTIFICATE_TYPE, value: p.CKC_X_509 },
      ...common,
      { type: p.CKA_SUBJECT, value: certificateSubject(options.certificateDer) },
      { type: p.CKA_VALUE, value: Buffer.from(options.certificateDer) },
    ]);
  });
}

/** The subject Name DER (CKA_SUBJECT is required on X.509 certificate objects): TBSCertificate field 6, or 5 without a version. */
function certificateSubject(der: Uint8Array): Buffer {
  const tbs = ASN1Obj.parseBuffer(Buffer.from(der)).subs[0]!;
  const hasVersion = tbs.subs[0]!.tag.isContextSpecific(0);
  return tbs.subs[hasVersion ? 5 : 4]!.toDER();
}

function withUserSession<T>(modulePath: string, work: (p: typeof Pkcs11js, p11: Pkcs11js.PKCS11, session: Pkcs11js.Handle, slot: Pkcs11js.Handle) => T): T {
  const p = loadPkcs11js();
  const p11 = new p.PKCS11();
  p11.load(modulePath);
  p11.C_Initialize();
  try {
    const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trimEnd() === TOKEN_LABEL);
    if (slot === undefined) throw new Error(`SoftHSM token "${TOKEN_LABEL}" not found after softhsm2-util --init-token`);
    const session = p11.C_OpenSession(slot, p.CKF_SERIAL_SESSION | p.CKF_RW_SESSION);
    try {
      p11.C_Login(session, p.CKU_USER, USER_PIN);
      try {
        return work(p, p11, session, slot);
      } finally {
        p11.C_Logout(session);
      }
    } finally {
      p11.C_CloseSession(session);
    }
  } finally {
    p11.C_Finalize();
    p11.close();
  }
}

/**
 * Generate one more EC key pair inside the token (C_GenerateKeyPair: the private half never leaves it), for tests that
 * need more keys than the standard set (a CA's root and intermediate, say). The standard keys are left as they are.
 */
export function generateEcKeyPair(hsm: SoftHsmToken, options: { label: string; id: number; curve: "P-256" | "P-384" }): void {
  withUserSession(hsm.modulePath, (p, p11, session) => {
    generatePair(p, p11, session, p.CKM_EC_KEY_PAIR_GEN, p.CKK_EC, options.label, options.id, [{ type: p.CKA_EC_PARAMS, value: options.curve === "P-384" ? P384 : P256 }]);
  });
}

function generatePair(
  p: typeof Pkcs11js,
  p11: Pkcs11js.PKCS11,
  session: Pkcs11js.Handle,
  mechanism: number,
  keyType: number,
  label: string,
  id: number,
  publicExtra: Pkcs11js.Template,
): void {
  const common = [
    { type: p.CKA_KEY_TYPE, value: keyType },
    { type: p.CKA_TOKEN, value: true },
    { type: p.CKA_LABEL, value: label },
    { type: p.CKA_ID, value: Buffer.from([id]) },
  ];
  p11.C_GenerateKeyPair(
    session,
    { mechanism },
    [{ type: p.CKA_CLASS, value: p.CKO_PUBLIC_KEY }, ...common, { type: p.CKA_VERIFY, value: true }, ...publicExtra],
    [
      { type: p.CKA_CLASS, value: p.CKO_PRIVATE_KEY },
      ...common,
      { type: p.CKA_SIGN, value: true },
      { type: p.CKA_PRIVATE, value: true },
      { type: p.CKA_SENSITIVE, value: true },
      { type: p.CKA_EXTRACTABLE, value: false },
    ],
  );
}

function generateKeys(modulePath: string): { slotId: bigint; hasEd25519: boolean } {
  return withUserSession(modulePath, (p, p11, session, slot) => {
    const pair = (mechanism: number, keyType: number, label: string, id: number, publicExtra: Pkcs11js.Template): void =>
      generatePair(p, p11, session, mechanism, keyType, label, id, publicExtra);
    pair(p.CKM_EC_KEY_PAIR_GEN, p.CKK_EC, "signing-key", 0x01, [{ type: p.CKA_EC_PARAMS, value: P256 }]);
    pair(p.CKM_EC_KEY_PAIR_GEN, p.CKK_EC, "p384-key", 0x03, [{ type: p.CKA_EC_PARAMS, value: P384 }]);
    const hasEd25519 = p11.C_GetMechanismList(slot).includes(CKM_EC_EDWARDS_KEY_PAIR_GEN);
    if (hasEd25519) pair(CKM_EC_EDWARDS_KEY_PAIR_GEN, CKK_EC_EDWARDS, "ed25519-key", 0x02, [{ type: p.CKA_EC_PARAMS, value: ED25519 }]);
    pair(p.CKM_RSA_PKCS_KEY_PAIR_GEN, p.CKK_RSA, "rsa-key", 0x04, [
      { type: p.CKA_MODULUS_BITS, value: 2048 },
      { type: p.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
    ]);
    return { slotId: slot.readBigUInt64LE(0), hasEd25519 };
  });
}
