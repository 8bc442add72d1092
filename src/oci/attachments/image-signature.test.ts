import { describe, expect, it } from "vitest";
import { encodeStatement, parseStatement } from "../../core/intoto/statement.js";
import { thrownVouchError } from "../../../test/support/errors.js";
import { IMAGE_SIGNATURE_PREDICATE, imageSignatureStatement } from "./image-signature.js";

describe("imageSignatureStatement", () => {
  it("is cosign v3's image signature: Statement v1, the manifest digest as subject, sign/v1 predicate type, empty predicate", () => {
    const statement = imageSignatureStatement("localhost:5000/app", `sha256:${"AB".repeat(32).toLowerCase()}`);
    expect(JSON.parse(Buffer.from(encodeStatement(statement)).toString())).toEqual({
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ name: "localhost:5000/app", digest: { sha256: "ab".repeat(32) } }],
      predicateType: "https://sigstore.dev/cosign/sign/v1",
      predicate: {},
    });
    expect(parseStatement(encodeStatement(statement)).predicateType).toBe(IMAGE_SIGNATURE_PREDICATE);
  });

  it("refuses a tag where a digest belongs", () => {
    expect(thrownVouchError(() => imageSignatureStatement("r", "latest")).code).toBe("INPUT_USAGE");
  });
});
