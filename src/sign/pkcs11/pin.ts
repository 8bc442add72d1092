import { readFileSync } from "node:fs";
import type { Pkcs11Uri } from "../../core/crypto/pkcs11-uri.js";
import { VouchError } from "../../core/errors.js";
import type { Env } from "../password.js";

export const PIN_ENV = "VOUCH_PKCS11_PIN";

export interface PinSource {
  env?: Env;
  /** Reads a pin-source file (default: node:fs). */
  readFile?: (path: string) => string;
}

/**
 * The token PIN, first match wins:
 *   1. the URI's `pin-value` (RFC 7512 §2.4; it then travels wherever the URI does, so prefer the others);
 *   2. the URI's `pin-source`: `file:/path`, `file:///path` or an absolute path; its first line (the trailing newline
 *      is the editor's). A `|command` source is refused: vouch does not run programs named inside a key reference;
 *   3. VOUCH_PKCS11_PIN in `env` (what cosign users know as COSIGN_PKCS11_PIN).
 * undefined when none is given: the caller then prompts, or proceeds without login for a token that needs none.
 */
export function configuredPin(uri: Pkcs11Uri, source: PinSource): string | undefined {
  if (uri.pinValue !== undefined) return uri.pinValue;
  if (uri.pinSource !== undefined) return readPinSource(uri.pinSource, source.readFile);
  const fromEnv = source.env?.[PIN_ENV];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  return undefined;
}

function readPinSource(pinSource: string, readFile: (path: string) => string = (p) => readFileSync(p, "utf8")): string {
  if (pinSource.startsWith("|")) {
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", 'PKCS #11 URI: a "pin-source" that runs a command ("|...") is not supported; use file:/path or VOUCH_PKCS11_PIN');
  }
  let path: string;
  if (pinSource.startsWith("file://")) {
    // file:///etc/pin (empty authority) or file://localhost/etc/pin (RFC 8089 §2)
    const m = /^file:\/\/(?:localhost)?(\/.*)$/.exec(pinSource);
    if (m === null) throw new VouchError("INPUT_USAGE", 'PKCS #11 URI: "pin-source" must be a local file (file:/path)');
    path = m[1]!;
  } else if (pinSource.startsWith("file:")) {
    path = pinSource.slice("file:".length);
  } else if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(pinSource) && !/^[A-Za-z]:[\\/]/.test(pinSource)) {
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `PKCS #11 URI: "pin-source" scheme ${pinSource.split(":")[0]}: is not supported; use file:/path`);
  } else {
    path = pinSource;
  }
  if (!path.startsWith("/") && !/^[A-Za-z]:[\\/]/.test(path)) {
    throw new VouchError("INPUT_USAGE", `PKCS #11 URI: "pin-source" must name an absolute path, got "${path}"`);
  }
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new VouchError(code === "ENOENT" ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE", `PIN file (pin-source): ${code === "ENOENT" ? "no such file" : `cannot read (${code ?? "error"})`}`, { file: path, cause: err });
  }
  const newline = text.search(/\r?\n/);
  const pin = newline < 0 ? text : text.slice(0, newline);
  if (pin === "") throw new VouchError("INPUT_USAGE", "PIN file (pin-source) is empty", { file: path });
  return pin;
}
