import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { rejectedVouchError, thrownVouchError } from "../../test/support/errors.js";
import { cosignCheckpoint, createCosigner, formatSignedNote, parseSignedNote } from "../core/note/index.js";
import { verifyArtifact } from "./verify.js";
import { witnessPolicy } from "./witness-keys.js";

const ASSETS = join(import.meta.dirname, "..", "..", "test", "fixtures", "sigstore", "conformance", "test", "assets");
const CASE = join(ASSETS, "bundle-verify", "rekor2-happy-path");
const dir = mkdtempSync(join(tmpdir(), "vouch-witness-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const w1 = createCosigner({ name: "w1.example/witness", privateKey: generateKeyPairSync("ed25519").privateKey });
const w2 = createCosigner({ name: "w2.example/witness", privateKey: generateKeyPairSync("ed25519").privateKey });

/** The conformance Rekor v2 bundle with its checkpoint cosigned by w1, as a file. */
function cosignedBundleFile(): string {
  const json = JSON.parse(readFileSync(join(CASE, "bundle.sigstore.json"), "utf8"));
  const checkpoint = json.verificationMaterial.tlogEntries[0].inclusionProof.checkpoint;
  const note = parseSignedNote(checkpoint.envelope);
  checkpoint.envelope = formatSignedNote({ text: note.text, signatures: [...note.signatures, cosignCheckpoint(note.text, w1, 1_750_000_000)] });
  const file = join(dir, "cosigned.sigstore.json");
  writeFileSync(file, JSON.stringify(json));
  return file;
}

const options = (bundle: string) => ({
  bundle,
  artifact: join(ASSETS, "a.txt"),
  trustedRoot: join(CASE, "trusted_root.json"),
  identity: {
    subject: "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
    issuer: "https://token.actions.githubusercontent.com",
  },
});

describe("witnessPolicy (--witness-key / --witness-threshold)", () => {
  it("takes vkeys and files of vkeys (comments and blank lines skipped); threshold defaults to 1", () => {
    const file = join(dir, "witnesses.txt");
    writeFileSync(file, `# the witnesses we trust\n${w2.formatVerifierKey()}  # second\n\n`);
    expect(witnessPolicy([w1.formatVerifierKey(), file], undefined)).toEqual({ keys: [w1.formatVerifierKey(), w2.formatVerifierKey()], threshold: 1 });
    expect(witnessPolicy([w1.formatVerifierKey()], 0)).toEqual({ keys: [w1.formatVerifierKey()], threshold: 0 });
    expect(witnessPolicy(undefined, undefined)).toBeUndefined();
    expect(witnessPolicy([], 0)).toBeUndefined();
  });

  it("refuses a threshold without keys, a missing file and a file without keys", () => {
    expect(thrownVouchError(() => witnessPolicy(undefined, 2)).code).toBe("INPUT_USAGE");
    expect(thrownVouchError(() => witnessPolicy([join(dir, "missing.txt")], 1)).code).toBe("INPUT_NOT_FOUND");
    writeFileSync(join(dir, "empty.txt"), "# nothing\n");
    expect(thrownVouchError(() => witnessPolicy([join(dir, "empty.txt")], undefined)).code).toBe("INPUT_USAGE");
  });
});

describe("verifyArtifact with witnesses", () => {
  it("verifies a bundle whose checkpoint the trusted witness cosigned", async () => {
    const result = await verifyArtifact({ ...options(cosignedBundleFile()), witnessKeys: [w1.formatVerifierKey()] });
    expect(result.tlogEntries).toHaveLength(1);
  });

  it("fails VERIFY_THRESHOLD when too few trusted witnesses cosigned", async () => {
    const bundle = cosignedBundleFile();
    const keys = [w1.formatVerifierKey(), w2.formatVerifierKey()];
    expect((await rejectedVouchError(() => verifyArtifact({ ...options(bundle), witnessKeys: keys, witnessThreshold: 2 }))).code).toBe("VERIFY_THRESHOLD");
    expect((await rejectedVouchError(() => verifyArtifact({ ...options(join(CASE, "bundle.sigstore.json")), witnessKeys: keys }))).code).toBe("VERIFY_THRESHOLD");
  });

  it("a malformed witness key is a usage error", async () => {
    expect((await rejectedVouchError(() => verifyArtifact({ ...options(join(CASE, "bundle.sigstore.json")), witnessKeys: ["w+00000000+AQID"] }))).code).toBe("INPUT_USAGE");
  });
});
