import type { KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { importPrivateKey, isEncryptedPrivateKey, privateKeyPemKind } from "../core/crypto/keys.js";
import { VouchError } from "../core/errors.js";
import { KeySigner } from "./key-signer.js";
import { resolvePassword, type PasswordSource } from "./password.js";

/**
 * What `--key` names (cosign's forms): a PEM file path, `env://VAR` (the PEM text in an environment variable, for CI
 * secrets), or a PKCS#11 URI (RFC 7512) for a hardware token.
 */
export type KeyRef = { kind: "file"; path: string } | { kind: "env"; variable: string } | { kind: "pkcs11"; uri: string };

export function parseKeyRef(ref: string): KeyRef {
  if (ref === "") throw new VouchError("INPUT_USAGE", "--key is empty");
  if (ref.startsWith("env://")) {
    const variable = ref.slice("env://".length);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) throw new VouchError("INPUT_USAGE", `--key ${ref}: env:// takes an environment variable name`);
    return { kind: "env", variable };
  }
  if (ref.startsWith("pkcs11:")) return { kind: "pkcs11", uri: ref };
  return { kind: "file", path: ref };
}

export interface KeyFileSignerOptions extends PasswordSource {
  /** Reads the key file (default: node:fs, UTF-8). */
  readKeyFile?: (path: string) => string;
}

/**
 * A KeySigner whose private key comes from a PEM file or `env://VAR`; an encrypted key is decrypted with the password
 * from --password-file, VOUCH_PASSWORD or a terminal prompt (PasswordSource), never prompting without a terminal.
 *
 * @example
 *   const signer = await KeyFileSigner.open("cosign.key", { env: process.env, prompt: terminalPrompt() });
 *   const { signature, material } = await signer.sign(bytes);
 */
export class KeyFileSigner extends KeySigner {
  /** Where the key came from, as the user named it ("cosign.key", "env://SIGNING_KEY"). */
  readonly source: string;

  private constructor(privateKey: KeyObject, source: string) {
    super(privateKey);
    this.source = source;
  }

  static async open(ref: string, options: KeyFileSignerOptions = {}): Promise<KeyFileSigner> {
    const parsed = parseKeyRef(ref);
    if (parsed.kind === "pkcs11") throw new VouchError("INPUT_UNSUPPORTED_FORMAT", "a pkcs11: URI names a token key, not a key file (open it with Pkcs11Signer)");
    const file = parsed.kind === "file" ? parsed.path : undefined;
    const pem = parsed.kind === "file" ? readKey(parsed.path, options.readKeyFile) : readEnvKey(parsed.variable, options);
    try {
      const password = isEncryptedPrivateKey(privateKeyPemKind(pem)) ? await resolvePassword(options, { confirm: false }) : undefined;
      return new KeyFileSigner(importPrivateKey(pem, password), ref);
    } catch (err) {
      // Name the key file in the one-line message ("cosign.key: cannot decrypt the private key: wrong password").
      if (err instanceof VouchError && err.location.file === undefined && file !== undefined) {
        throw new VouchError(err.code, err.message, { file, cause: err.cause });
      }
      throw err;
    }
  }
}

function readKey(path: string, readKeyFile: (path: string) => string = (p) => readFileSync(p, "utf8")): string {
  try {
    return readKeyFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new VouchError(code === "ENOENT" ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE", code === "ENOENT" ? "no such key file" : `cannot read (${code ?? "error"})`, { file: path });
  }
}

function readEnvKey(variable: string, options: PasswordSource): string {
  const value = options.env?.[variable];
  if (value === undefined || value.trim() === "") throw new VouchError("INPUT_NOT_FOUND", `env://${variable}: the environment variable is not set`);
  return value;
}
