import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { describePkcs11Uri, idToPercent, isPkcs11Uri, parsePkcs11Uri } from "./pkcs11-uri.js";

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, "hex"));

describe("parsePkcs11Uri: the RFC 7512 §3 examples", () => {
  it("pkcs11: (the empty URI matches everything)", () => {
    expect(parsePkcs11Uri("pkcs11:")).toEqual({ vendorPath: [], vendorQuery: [] });
  });

  it("pkcs11:object=my-pubkey;type=public", () => {
    expect(parsePkcs11Uri("pkcs11:object=my-pubkey;type=public")).toEqual({ object: "my-pubkey", type: "public", vendorPath: [], vendorQuery: [] });
  });

  it("pkcs11:object=my-key;type=private?pin-source=file:/etc/token", () => {
    const uri = parsePkcs11Uri("pkcs11:object=my-key;type=private?pin-source=file:/etc/token");
    expect(uri).toMatchObject({ object: "my-key", type: "private", pinSource: "file:/etc/token" });
  });

  it("the full example: percent-encoded token, manufacturer with a comma, binary id, empty serial", () => {
    const uri = parsePkcs11Uri(
      "pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=?pin-source=file:/etc/token_pin",
    );
    expect(uri).toEqual({
      token: "The Software PKCS#11 Softtoken",
      manufacturer: "Snake Oil, Inc.",
      model: "1.0",
      object: "my-certificate",
      type: "cert",
      id: bytes("69953e5cf4bdec91"),
      serial: "",
      pinSource: "file:/etc/token_pin",
      vendorPath: [],
      vendorQuery: [],
    });
  });

  it("module-name and module-path", () => {
    expect(parsePkcs11Uri("pkcs11:object=my-sign-key;type=private?module-name=mypkcs11")).toMatchObject({ object: "my-sign-key", moduleName: "mypkcs11" });
    expect(parsePkcs11Uri("pkcs11:object=my-sign-key;type=private?module-path=/mnt/libmypkcs11.so.1")).toMatchObject({ modulePath: "/mnt/libmypkcs11.so.1" });
  });

  it("pin-value", () => {
    const uri = parsePkcs11Uri("pkcs11:token=Software%20PKCS%2311%20softtoken;manufacturer=Snake%20Oil,%20Inc.?pin-value=the-pin");
    expect(uri).toMatchObject({ token: "Software PKCS#11 softtoken", manufacturer: "Snake Oil, Inc.", pinValue: "the-pin" });
  });

  it("slot-description", () => {
    expect(parsePkcs11Uri("pkcs11:slot-description=Sun%20Metaslot")).toMatchObject({ slotDescription: "Sun Metaslot" });
  });

  it("library attributes, library-version with and without a minor number", () => {
    const uri = parsePkcs11Uri("pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;library-description=Soft%20Token%20Library;library-version=1.23");
    expect(uri).toMatchObject({ libraryManufacturer: "Snake Oil, Inc.", libraryDescription: "Soft Token Library", libraryVersion: { major: 1, minor: 23 } });
    const three = parsePkcs11Uri("pkcs11:token=My%20token%25%20created%20by%20Joe;library-version=3;id=%01%02%03%Ba%dd%Ef%fe%ed;object=my-certificate;type=cert");
    expect(three).toMatchObject({ token: "My token% created by Joe", libraryVersion: { major: 3, minor: 0 }, id: bytes("010203baddeffeed") });
  });

  it("a percent-encoded ';' and '%' inside a value", () => {
    expect(parsePkcs11Uri("pkcs11:token=A%20name%20with%20a%20substring%20%25%3B;object=my-certificate;type=public").token).toBe("A name with a substring %;");
  });

  it("UTF-8 after percent-decoding", () => {
    expect(parsePkcs11Uri("pkcs11:token=Name%20with%20a%20small%20A%20with%20acute:%20%C3%A1;object=my-certificate;type=cert").token).toBe("Name with a small A with acute: á");
  });

  it("vendor-specific attributes in the path and the query are kept", () => {
    const uri = parsePkcs11Uri("pkcs11:token=my-token;object=my-certificate;type=cert;vendor-aaa=value-a?pin-source=file:/etc/token_pin&vendor-bbb=value-b");
    expect(uri.vendorPath).toEqual([{ name: "vendor-aaa", value: "value-a" }]);
    expect(uri.vendorQuery).toEqual([{ name: "vendor-bbb", value: "value-b" }]);
  });
});

describe("parsePkcs11Uri: the forms cosign writes", () => {
  it("token, object, id and slot-id with module-path and pin-value", () => {
    const uri = parsePkcs11Uri("pkcs11:token=vouch-test;slot-id=1212336100;id=%01;object=signing-key?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234");
    expect(uri).toEqual({
      token: "vouch-test",
      slotId: 1212336100n,
      id: bytes("01"),
      object: "signing-key",
      modulePath: "/usr/lib/softhsm/libsofthsm2.so",
      pinValue: "1234",
      vendorPath: [],
      vendorQuery: [],
    });
  });

  it("the scheme is case-insensitive; '&' is a plain character in the path, '/', '?' and '|' in the query", () => {
    expect(isPkcs11Uri("PKCS11:token=a")).toBe(true);
    expect(isPkcs11Uri("/path/to/cosign.key")).toBe(false);
    expect(parsePkcs11Uri("PKCS11:object=a&b").object).toBe("a&b");
    expect(parsePkcs11Uri("pkcs11:?pin-source=|/usr/bin/get-pin?x").pinSource).toBe("|/usr/bin/get-pin?x");
  });

  it("slot-id is a 64-bit unsigned number", () => {
    expect(parsePkcs11Uri("pkcs11:slot-id=18446744073709551615").slotId).toBe(18446744073709551615n);
  });
});

describe("parsePkcs11Uri refuses malformed URIs with INPUT_USAGE naming the attribute", () => {
  const refused: Array<[string, string]> = [
    ["token=vouch-test", 'PKCS #11 URI: it must start with "pkcs11:"'],
    ["pkcs11:object=my%2", 'PKCS #11 URI: "object" has a "%" not followed by two hex digits'],
    ["pkcs11:object=my%zzkey", 'PKCS #11 URI: "object" has a "%" not followed by two hex digits'],
    ["pkcs11:token=My Token", 'PKCS #11 URI: "token" contains U+0020, which must be percent-encoded (%20)'],
    ["pkcs11:object=a/b", 'PKCS #11 URI: "object" contains "/", which must be percent-encoded (%2F)'],
    ["pkcs11:object=é", 'PKCS #11 URI: "object" contains "é", which must be percent-encoded (%C3%A9)'],
    ["pkcs11:?pin-value=a&b", "PKCS #11 URI: query attribute is not of the form name=value"],
    ["pkcs11:object=key#frag", 'PKCS #11 URI: a fragment ("#") is not allowed; percent-encode "#" as %23'],
    ["pkcs11:object=a;object=b", 'PKCS #11 URI: path attribute "object" appears more than once'],
    ["pkcs11:token=a;;object=b", 'PKCS #11 URI: empty path attribute (two ";" in a row, or a trailing ";")'],
    ["pkcs11:token=a;", 'PKCS #11 URI: empty path attribute (two ";" in a row, or a trailing ";")'],
    ["pkcs11:token", 'PKCS #11 URI: path attribute "token" is not of the form name=value'],
    ["pkcs11:=x", "PKCS #11 URI: path attribute is not of the form name=value"],
    ["pkcs11:to.ken=x", 'PKCS #11 URI: "to.ken" is not a valid path attribute name'],
    ["pkcs11:type=secret", 'PKCS #11 URI: "type" must be one of public, private, cert, secret-key, data, got "secret"'],
    ["pkcs11:slot-id=0x10", 'PKCS #11 URI: "slot-id" must be a decimal number, got "0x10"'],
    ["pkcs11:slot-id=18446744073709551616", 'PKCS #11 URI: "slot-id" 18446744073709551616 does not fit a CK_SLOT_ID (64 bits)'],
    ["pkcs11:library-version=1.2.3", 'PKCS #11 URI: "library-version" must be MAJOR or MAJOR.MINOR (0-255), got "1.2.3"'],
    ["pkcs11:library-version=256", 'PKCS #11 URI: "library-version" must be MAJOR or MAJOR.MINOR (0-255), got "256"'],
    ["pkcs11:object=%C3%28", 'PKCS #11 URI: "object" is not valid UTF-8 after percent-decoding'],
    ["pkcs11:?pin-value=1&pin-source=file:/p", 'PKCS #11 URI: give the PIN either as "pin-value" or as "pin-source", not both'],
    ["pkcs11:?module-path=1&module-path=2", 'PKCS #11 URI: query attribute "module-path" appears more than once'],
    ["pkcs11:?module-path=lib/libsofthsm2.so", 'PKCS #11 URI: "module-path" must be an absolute path, got "lib/libsofthsm2.so"'],
    ["pkcs11:?module-name=/usr/lib/x.so", 'PKCS #11 URI: "module-name" must be a library name without a directory (use "module-path" for a path)'],
  ];
  for (const [text, message] of refused) {
    it(text, () => {
      const err = thrownVouchError(() => parsePkcs11Uri(text));
      expect(err.code).toBe("INPUT_USAGE");
      expect(err.message).toBe(message);
    });
  }

  it("never repeats a PIN in its messages", () => {
    for (const text of ["pkcs11:?pin-value=s3cret pin", "pkcs11:?s3cret", "pkcs11:?pin-value=s3cret%zz"]) {
      expect(thrownVouchError(() => parsePkcs11Uri(text)).message).not.toContain("s3cret");
    }
  });
});

describe("describePkcs11Uri", () => {
  it("names the token and object, never the PIN or module", () => {
    const uri = parsePkcs11Uri("pkcs11:token=vouch-test;object=signing-key;id=%01%ab?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234");
    expect(describePkcs11Uri(uri)).toBe("pkcs11:token=vouch-test;object=signing-key;id=%01%ab");
    expect(describePkcs11Uri(parsePkcs11Uri("pkcs11:"))).toBe("pkcs11:");
    expect(idToPercent(bytes("00ff"))).toBe("%00%ff");
  });
});
