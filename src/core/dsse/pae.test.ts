import { describe, expect, it } from "vitest";
import { preAuthEncoding } from "./pae.js";

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("preAuthEncoding", () => {
  it("matches the DSSE v1 spec's test vector", () => {
    // protocol.md, "Test Vectors": PAE(http://example.com/HelloWorld, hello world).
    expect(text(preAuthEncoding("http://example.com/HelloWorld", utf8("hello world")))).toBe(
      "DSSEv1 29 http://example.com/HelloWorld 11 hello world",
    );
  });

  it("counts bytes, not characters, for both the type and the body", () => {
    const out = preAuthEncoding("type/é", utf8("ü"));
    expect(text(out)).toBe("DSSEv1 7 type/é 2 ü");
    expect(out).toHaveLength("DSSEv1 7 ".length + 7 + " 2 ".length + 2);
  });

  it("encodes empty type and body", () => {
    expect(text(preAuthEncoding("", new Uint8Array()))).toBe("DSSEv1 0  0 ");
  });

  it("keeps binary bodies byte for byte", () => {
    const body = new Uint8Array([0, 255, 10, 32]);
    const out = preAuthEncoding("application/octet-stream", body);
    expect(out.subarray(out.length - 4)).toEqual(body);
    expect(text(out.subarray(0, out.length - 4))).toBe("DSSEv1 24 application/octet-stream 4 ");
  });

  it("the in-toto payload type", () => {
    expect(text(preAuthEncoding("application/vnd.in-toto+json", utf8("{}")))).toBe("DSSEv1 28 application/vnd.in-toto+json 2 {}");
  });
});
