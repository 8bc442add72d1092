/**
 * verifyBundle with a witness policy, end to end on the sigstore-conformance Rekor v2 bundle: its checkpoint is
 * signed by the staging log, and cosigned here by test witnesses (a cosignature needs no log key).
 */
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../test/support/errors.js";
import { parseBundle } from "../bundle/parse.js";
import { parseTrustedRoot } from "../bundle/trusted-root.js";
import type { Bundle } from "../bundle/types.js";
import { cosignCheckpoint, createCosigner, formatSignedNote, parseSignedNote, type Cosigner, type NoteSignature } from "../core/note/index.js";
import { verifyBundle, type VerificationPolicy } from "./verifier.js";

const ASSETS = join(import.meta.dirname, "..", "..", "test", "fixtures", "sigstore", "conformance", "test", "assets");
const CASE = join(ASSETS, "bundle-verify", "rekor2-happy-path");
const original = parseBundle(readFileSync(join(CASE, "bundle.sigstore.json"), "utf8"), "bundle.sigstore.json");
const policy = (witnesses?: VerificationPolicy["witnesses"]): VerificationPolicy => ({
  artifact: { kind: "bytes", data: readFileSync(join(ASSETS, "a.txt")) },
  trustedRoot: parseTrustedRoot(readFileSync(join(CASE, "trusted_root.json"), "utf8"), "trusted_root.json"),
  identity: {
    subject: "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
    issuer: "https://token.actions.githubusercontent.com",
  },
  ...(witnesses ? { witnesses } : {}),
});
const witness = (name: string): Cosigner => createCosigner({ name, privateKey: generateKeyPairSync("ed25519").privateKey });
const [w1, w2] = [witness("w1.example"), witness("w2.example")];
const keys = [w1.formatVerifierKey(), w2.formatVerifierKey()];

/** The bundle with witness lines appended to its checkpoint (`cosign` maps the checkpoint text to the lines). */
function cosigned(cosign: (text: string) => NoteSignature[]): Bundle {
  const entry = original.tlogEntries[0]!;
  const note = parseSignedNote(entry.inclusionProof!.checkpoint);
  const checkpoint = formatSignedNote({ text: note.text, signatures: [...note.signatures, ...cosign(note.text)] });
  return { ...original, tlogEntries: [{ ...entry, inclusionProof: { ...entry.inclusionProof!, checkpoint } }] };
}

describe("verifyBundle: witness cosignatures on the checkpoint", () => {
  it("verifies with the threshold met, and without a witness policy as before", () => {
    const bundle = cosigned((text) => [cosignCheckpoint(text, w1, 1_750_000_000), cosignCheckpoint(text, w2, 1_750_000_001)]);
    expect(verifyBundle(bundle, policy({ keys, threshold: 2 })).checks.map((c) => c.step)).toContain("tlog");
    expect(() => verifyBundle(original, policy())).not.toThrow();
  });

  it("below the threshold: VERIFY_THRESHOLD (the original has none; the upstream witness.example key is not trusted)", () => {
    expect(thrownVouchError(() => verifyBundle(original, policy({ keys, threshold: 1 }))).code).toBe("VERIFY_THRESHOLD");
    const upstream = parseBundle(readFileSync(join(ASSETS, "bundle-verify", "rekor2-checkpoint-cosigned", "bundle.sigstore.json"), "utf8"), "b.json");
    expect(thrownVouchError(() => verifyBundle(upstream, policy({ keys, threshold: 1 }))).code).toBe("VERIFY_THRESHOLD");
    const one = cosigned((text) => [cosignCheckpoint(text, w1, 1)]);
    expect(thrownVouchError(() => verifyBundle(one, policy({ keys, threshold: 2 }))).code).toBe("VERIFY_THRESHOLD");
  });

  it("a forged cosignature by a trusted witness: VERIFY_TLOG_INCLUSION", () => {
    const bundle = cosigned((text) => {
      const line = cosignCheckpoint(text, w2, 1);
      return [cosignCheckpoint(text, w1, 1), { ...line, signature: Uint8Array.from(line.signature, (v, i) => (i === 8 ? v ^ 1 : v)) }];
    });
    expect(thrownVouchError(() => verifyBundle(bundle, policy({ keys, threshold: 1 }))).code).toBe("VERIFY_TLOG_INCLUSION");
  });

  it("one witness twice counts once", () => {
    const bundle = cosigned((text) => [cosignCheckpoint(text, w1, 1), cosignCheckpoint(text, w1, 2)]);
    expect(thrownVouchError(() => verifyBundle(bundle, policy({ keys, threshold: 2 }))).code).toBe("VERIFY_THRESHOLD");
    expect(() => verifyBundle(bundle, policy({ keys, threshold: 1 }))).not.toThrow();
  });

  it("an unusable witness policy is a usage error before anything is verified", () => {
    expect(thrownVouchError(() => verifyBundle(original, policy({ keys: ["nope"], threshold: 1 }))).code).toBe("INPUT_USAGE");
  });
});
