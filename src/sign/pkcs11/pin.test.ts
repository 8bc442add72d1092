import { describe, expect, it } from "vitest";
import { parsePkcs11Uri } from "../../core/crypto/pkcs11-uri.js";
import { thrownVouchError } from "../../../test/support/errors.js";
import { configuredPin } from "./pin.js";

const files: Record<string, string> = { "/run/secrets/pin": "4321\n", "/etc/empty": "\n" };
const readFile = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
  return text;
};
const pin = (uri: string, env: Record<string, string> = {}) => configuredPin(parsePkcs11Uri(uri), { env, readFile });

describe("configuredPin", () => {
  it("pin-value first, then pin-source, then VOUCH_PKCS11_PIN, else none", () => {
    expect(pin("pkcs11:?pin-value=1111", { VOUCH_PKCS11_PIN: "9999" })).toBe("1111");
    expect(pin("pkcs11:?pin-source=file:/run/secrets/pin", { VOUCH_PKCS11_PIN: "9999" })).toBe("4321");
    expect(pin("pkcs11:token=t", { VOUCH_PKCS11_PIN: "9999" })).toBe("9999");
    expect(pin("pkcs11:token=t", { VOUCH_PKCS11_PIN: "" })).toBeUndefined();
    expect(pin("pkcs11:token=t")).toBeUndefined();
  });

  it("pin-source takes file:/path, file:///path, file://localhost/path and a bare absolute path; the first line is the PIN", () => {
    for (const source of ["file:/run/secrets/pin", "file:///run/secrets/pin", "file://localhost/run/secrets/pin", "/run/secrets/pin"]) {
      expect(pin(`pkcs11:?pin-source=${source}`)).toBe("4321");
    }
  });

  it("refuses a command, another scheme, a relative path, a missing or empty file", () => {
    const cases: Array<[string, string, string]> = [
      ["|/usr/bin/get-pin", "INPUT_UNSUPPORTED_FORMAT", 'PKCS #11 URI: a "pin-source" that runs a command ("|...") is not supported; use file:/path or VOUCH_PKCS11_PIN'],
      ["https://example.invalid/pin", "INPUT_UNSUPPORTED_FORMAT", 'PKCS #11 URI: "pin-source" scheme https: is not supported; use file:/path'],
      ["file://host/pin", "INPUT_USAGE", 'PKCS #11 URI: "pin-source" must be a local file (file:/path)'],
      ["file:pin.txt", "INPUT_USAGE", 'PKCS #11 URI: "pin-source" must name an absolute path, got "pin.txt"'],
      ["/nonexistent", "INPUT_NOT_FOUND", "PIN file (pin-source): no such file"],
      ["/etc/empty", "INPUT_USAGE", "PIN file (pin-source) is empty"],
    ];
    for (const [source, code, message] of cases) {
      const err = thrownVouchError(() => pin(`pkcs11:?pin-source=${source}`));
      expect([source, err.code, err.message]).toEqual([source, code, message]);
    }
  });
});
