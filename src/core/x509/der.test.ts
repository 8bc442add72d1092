import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { generalizedTime, int, octet, seq, tlv, utcTime, utf8 } from "../../../test/support/x509-builder.js";
import { bytesEqual, encodeTlv, integerBytes, parseDer, raw, text, time } from "./der.js";

const ascii = (tag: number, s: string) => tlv(tag, Buffer.from(s, "ascii"));

describe("time", () => {
  it("reads UTCTime with the RFC 5280 century rule", () => {
    expect(time(parseDer(ascii(0x17, "491231235959Z"), "t"), "t").toISOString()).toBe("2049-12-31T23:59:59.000Z");
    expect(time(parseDer(ascii(0x17, "500101000000Z"), "t"), "t").toISOString()).toBe("1950-01-01T00:00:00.000Z");
  });

  it("reads GeneralizedTime with fractional seconds truncated to milliseconds", () => {
    expect(time(parseDer(ascii(0x18, "20250807153226.5Z"), "t"), "t").toISOString()).toBe("2025-08-07T15:32:26.500Z");
    expect(time(parseDer(ascii(0x18, "20250807153226.123456Z"), "t"), "t").toISOString()).toBe("2025-08-07T15:32:26.123Z");
    expect(time(parseDer(generalizedTime(new Date("0099-03-04T05:06:07Z")), "t"), "t").getUTCFullYear()).toBe(99);
  });

  it("refuses impossible dates, local times and trailing zeros in fractions", () => {
    for (const bad of ["20250230000000Z", "20251301000000Z", "20250101000000", "20250101000000+0100", "20250101000000.50Z", "2025010100Z"]) {
      expect(thrownVouchError(() => time(parseDer(ascii(0x18, bad), "genTime"), "genTime")).code).toBe("INPUT_MALFORMED");
    }
    expect(thrownVouchError(() => time(parseDer(ascii(0x17, "250101000000+0000"), "t"), "t")).message).toContain("invalid UTCTime");
    expect(thrownVouchError(() => time(parseDer(utf8("20250101000000Z"), "t"), "t")).message).toContain("expected a time");
  });

  it("round-trips what the builder writes", () => {
    const d = new Date("2031-02-23T03:20:29Z");
    expect(time(parseDer(utcTime(d), "t"), "t")).toEqual(d);
  });
});

describe("integers and strings", () => {
  it("keeps INTEGER bytes as encoded and refuses non-minimal encodings", () => {
    expect(Array.from(integerBytes(parseDer(int(0x80), "i"), "i"))).toEqual([0x00, 0x80]);
    expect(thrownVouchError(() => integerBytes(parseDer(tlv(0x02, Buffer.from([0x00, 0x01])), "serial"), "serial")).message).toBe(
      "serial: non-minimal INTEGER encoding",
    );
    expect(thrownVouchError(() => integerBytes(parseDer(tlv(0x02), "serial"), "serial")).message).toBe("serial: empty INTEGER");
  });

  it("decodes string types strictly", () => {
    expect(text(parseDer(utf8("grüße"), "s"), "s")).toBe("grüße");
    expect(text(parseDer(tlv(0x1e, Buffer.from([0x00, 0x41, 0x00, 0xe9])), "s"), "s")).toBe("Aé");
    expect(thrownVouchError(() => text(parseDer(tlv(0x0c, Buffer.from([0xc3, 0x28])), "cn"), "cn")).message).toBe("cn: invalid UTF-8");
    expect(thrownVouchError(() => text(parseDer(tlv(0x16, Buffer.from([0xe9])), "email"), "email")).message).toContain("non-ASCII");
    expect(thrownVouchError(() => text(parseDer(ascii(0x13, "a_b"), "o"), "o")).message).toContain("alphabet");
  });
});

describe("parseDer and raw", () => {
  it("refuses trailing bytes, empty input and non-minimal lengths", () => {
    expect(thrownVouchError(() => parseDer(new Uint8Array([0x30, 0x00, 0x00]), "x")).message).toBe("x: trailing bytes after the DER element");
    expect(thrownVouchError(() => parseDer(new Uint8Array(), "x")).message).toBe("x: empty");
    expect(thrownVouchError(() => parseDer(new Uint8Array([0x04, 0x81, 0x01, 0x00]), "x")).message).toBe("x: non-minimal length");
  });

  it("refuses BER and hostile framing: indefinite lengths, high tag numbers, overruns, deep nesting", () => {
    expect(thrownVouchError(() => parseDer(new Uint8Array([0x30, 0x80, 0x00, 0x00]), "x")).message).toBe("x: indefinite length (BER, not DER)");
    expect(thrownVouchError(() => parseDer(new Uint8Array([0x1f, 0x81, 0x00]), "x")).message).toBe("x: high tag numbers are not supported");
    expect(thrownVouchError(() => parseDer(new Uint8Array([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]), "x")).message).toBe("x: length runs past the end of the data");
    expect(thrownVouchError(() => parseDer(new Uint8Array([0x30, 0x03, 0x02, 0x05, 0x00]), "x")).message).toBe("x: length runs past the end of the data");
    let deep: Uint8Array = new Uint8Array([0x05, 0x00]);
    for (let i = 0; i < 70; i++) deep = seq(deep);
    expect(thrownVouchError(() => parseDer(deep, "x")).message).toBe("x: nested too deeply");
  });

  it("gives each element's exact bytes, long lengths included", () => {
    const big = octet(new Uint8Array(300).fill(7));
    const doc = seq(int(5), big, utf8("x"));
    const parsed = parseDer(doc, "doc");
    expect(bytesEqual(raw(parsed), doc)).toBe(true);
    expect(bytesEqual(raw(parsed.subs[1]!), big)).toBe(true);
    expect(bytesEqual(encodeTlv(0x04, [new Uint8Array(300).fill(7)]), big)).toBe(true);
  });
});

describe("object identifiers", () => {
  const oidOf = (bytes: number[]) => parseDer(tlv(0x06, Buffer.from(bytes)), "oid").toOID();
  it("decodes small, two-level and very large arcs exactly", () => {
    expect(oidOf([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02])).toBe("1.2.840.113549.1.7.2");
    expect(oidOf([0x06])).toBe("0.6");
    expect(oidOf([0x88, 0x37])).toBe("2.999");
    // 2^64 + 1 as one arc: must not be rounded to a nearby value
    expect(oidOf([0x2a, 0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])).toBe("1.2.18446744073709551617");
  });

  it("refuses truncated and non-minimal subidentifiers", () => {
    expect(thrownVouchError(() => oidOf([0x2a, 0x86])).message).toBe("object identifier: truncated");
    expect(thrownVouchError(() => oidOf([0x2a, 0x80, 0x01])).message).toBe("object identifier: non-minimal subidentifier");
  });
});
