/** Witness thresholds on a checkpoint: checkWitnessCosignatures alone, and through verifyInclusionProof. */
import { createHash, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { thrownVouchError } from "../../../test/support/errors.js";
import { REAL_COSIGNED } from "../../../test/support/note-keys.js";
import { auditPath, leaves, treeRoot } from "../../../test/support/rfc6962.js";
import type { TlogEntry, TransparencyLogInstance } from "../../bundle/types.js";
import {
  cosignCheckpoint,
  createCosigner,
  createNoteSigner,
  formatSignedNote,
  parseSignedNote,
  signCheckpoint,
  type Cosigner,
  type NoteSignature,
} from "../../core/note/index.js";
import { checkWitnessCosignatures, verifyInclusionProof } from "./index.js";

const HOST = "log.example.dev";
const signer = createNoteSigner({ name: HOST, privateKey: generateKeyPairSync("ed25519").privateKey });
const tlog: TransparencyLogInstance = {
  baseUrl: `https://${HOST}`,
  hashAlgorithm: "SHA2_256",
  publicKeyDer: signer.publicKeyDer,
  keyDetails: signer.keyDetails,
  validFor: { start: new Date("2025-01-01T00:00:00Z") },
  logId: new Uint8Array(createHash("sha256").update(signer.publicKeyDer).digest()),
};
const bodies = leaves(7, '{"entry"');
const root = treeRoot(bodies);
const signed = parseSignedNote(signCheckpoint({ origin: HOST, size: bodies.length, rootHash: root }, [signer]));
const witness = (name: string): Cosigner => createCosigner({ name, privateKey: generateKeyPairSync("ed25519").privateKey });
const [a, b, c] = [witness("a.example/w"), witness("b.example/w"), witness("c.example/w")];
const cosign = (w: Cosigner, time = 1_750_000_000): NoteSignature => cosignCheckpoint(signed.text, w, time);

function entry(cosignatures: NoteSignature[]): TlogEntry {
  const index = 3;
  return {
    logIndex: BigInt(index),
    logId: tlog.logId,
    kind: "hashedrekord",
    kindVersion: "0.0.2",
    inclusionProof: {
      logIndex: BigInt(index),
      rootHash: root,
      treeSize: BigInt(bodies.length),
      hashes: auditPath(index, bodies),
      checkpoint: formatSignedNote({ text: signed.text, signatures: [...signed.signatures, ...cosignatures] }),
    },
    canonicalizedBody: bodies[index]!,
  };
}

const signingTime = new Date("2025-06-01T00:00:00Z");
const verify = (cosignatures: NoteSignature[], keys: (string | Cosigner)[], threshold: number) =>
  verifyInclusionProof(entry(cosignatures), [tlog], {
    signingTime,
    witnesses: { keys: keys.map((k) => (typeof k === "string" ? k : k.formatVerifierKey())), threshold },
  });

describe("witness threshold on the inclusion-proof checkpoint", () => {
  it("passes with enough distinct valid cosignatures and reports them", () => {
    const result = verify([cosign(a, 10), cosign(b, 20)], [a, b, c], 2);
    expect(result.witnesses).toEqual([
      { name: "a.example/w", timestamp: 10 },
      { name: "b.example/w", timestamp: 20 },
    ]);
  });

  it("fails below the threshold with VERIFY_THRESHOLD, ignoring cosignatures by witnesses not configured", () => {
    const stranger = witness("stranger.example/w");
    const error = thrownVouchError(() => verify([cosign(a), cosign(stranger)], [a, b, c], 2));
    expect(error.code).toBe("VERIFY_THRESHOLD");
    expect(error.message).toBe("the checkpoint has 1 valid witness cosignature(s) (a.example/w), 2 required");
    expect(thrownVouchError(() => verify([], [a], 1)).code).toBe("VERIFY_THRESHOLD");
  });

  it("a forged cosignature under a trusted witness's name and key ID rejects the checkpoint", () => {
    const forged = cosign(b);
    const bad = { ...forged, signature: Uint8Array.from(forged.signature, (v, i) => (i === 30 ? v ^ 0xff : v)) };
    const error = thrownVouchError(() => verify([cosign(a), bad, cosign(c)], [a, b, c], 2));
    expect(error.code).toBe("VERIFY_TLOG_INCLUSION");
    expect(error.message).toMatch(/^checkpoint: cosignature by b\.example\/w \(key ID [0-9a-f]{8}\) does not verify$/);
  });

  it("a cosignature over another checkpoint (moved onto this one) does not count", () => {
    const other = cosignCheckpoint(signed.text.replace(`\n${bodies.length}\n`, "\n6\n"), a, 1);
    expect(thrownVouchError(() => verify([other], [a], 1)).code).toBe("VERIFY_TLOG_INCLUSION");
  });

  it("a witness counts once: two lines by it, or its key configured twice, do not make two", () => {
    expect(thrownVouchError(() => verify([cosign(a, 1), cosign(a, 2)], [a, b], 2)).code).toBe("VERIFY_THRESHOLD");
    // The same key listed twice cannot satisfy a threshold of 2: a usage error, not a silent pass.
    expect(thrownVouchError(() => verify([cosign(a)], [a, a], 2)).code).toBe("INPUT_USAGE");
    expect(verify([cosign(a, 1), cosign(a, 2)], [a, a, b], 1).witnesses).toEqual([{ name: "a.example/w", timestamp: 1 }]);
  });

  it("threshold 0 requires nothing; no witness policy changes nothing", () => {
    expect(verify([], [a], 0).witnesses).toEqual([]);
    expect(verifyInclusionProof(entry([]), [tlog], { signingTime }).witnesses).toBeUndefined();
  });

  it("the log's own signature is still required: cosignatures do not replace it", () => {
    const e = entry([cosign(a)]);
    const note = parseSignedNote(e.inclusionProof!.checkpoint);
    e.inclusionProof!.checkpoint = formatSignedNote({ text: note.text, signatures: note.signatures.slice(1) });
    expect(thrownVouchError(() => verifyInclusionProof(e, [tlog], { signingTime, witnesses: { keys: [a.formatVerifierKey()], threshold: 1 } })).code).toBe(
      "VERIFY_TLOG_INCLUSION",
    );
  });

  it.each([
    ["a malformed vkey", { keys: ["not a vkey"], threshold: 1 }],
    ["an ECDSA vkey", { keys: [createNoteSigner({ name: "w", privateKey: generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey }).formatVerifierKey()], threshold: 1 }],
    ["a negative threshold", { keys: [a.formatVerifierKey()], threshold: -1 }],
    ["a fractional threshold", { keys: [a.formatVerifierKey()], threshold: 0.5 }],
    ["more required than keys given", { keys: [a.formatVerifierKey()], threshold: 2 }],
  ])("refuses a policy with %s (INPUT_USAGE)", (_what, policy) => {
    expect(thrownVouchError(() => checkWitnessCosignatures(signed, policy)).code).toBe("INPUT_USAGE");
  });

  it("counts the production witness remora.n621.de on a real cosigned checkpoint", () => {
    const note = parseSignedNote(REAL_COSIGNED.note);
    expect(checkWitnessCosignatures(note, { keys: [REAL_COSIGNED.witnessVkey], threshold: 1 })).toEqual([
      { name: "remora.n621.de", timestamp: REAL_COSIGNED.witnessTimestamp },
    ]);
  });
});
