import type { JsonPath } from "../core/encoding/json-text.js";
import type { BundleVersion, InclusionProof, TlogEntry } from "./types.js";
import type { WireReader } from "./wire.js";

/**
 * One `dev.sigstore.rekor.v1.TransparencyLogEntry` of a bundle. The version rules (sigstore-js assertBundleV01 /
 * assertBundleV02; sigstore-go Bundle.validate) are checked here:
 *   - v0.1 entries carry an inclusion promise (the SET is their evidence; the proof is optional);
 *   - v0.2 and later entries carry an inclusion proof with a checkpoint (the promise is optional: Rekor v2 has none).
 */
export function parseTlogEntry(w: WireReader, value: unknown, path: JsonPath, version: BundleVersion): TlogEntry {
  const at = (...rest: (string | number)[]): JsonPath => [...path, ...rest];
  const e = w.object(value, path);

  const logId = w.bytes(w.object(e.logId, at("logId")).keyId, at("logId", "keyId"));
  const kindVersion = w.object(e.kindVersion, at("kindVersion"));
  const promise = w.optionalObject(e.inclusionPromise, at("inclusionPromise"));
  const proofObject = w.optionalObject(e.inclusionProof, at("inclusionProof"));

  if (version === "0.1" && promise === undefined) {
    w.fail(at("inclusionPromise"), "is missing (a v0.1 bundle's log entries must carry a signed entry timestamp)");
  }
  if (version !== "0.1" && proofObject === undefined) {
    w.fail(at("inclusionProof"), `is missing (a v${version} bundle's log entries must carry an inclusion proof)`);
  }

  const entry: TlogEntry = {
    logIndex: w.uint64(e.logIndex, at("logIndex")),
    logId,
    kind: w.string(kindVersion.kind, at("kindVersion", "kind")),
    kindVersion: w.string(kindVersion.version, at("kindVersion", "version")),
    canonicalizedBody: w.bytes(e.canonicalizedBody, at("canonicalizedBody")),
  };
  // Proto3 does not tell 0 from unset; Rekor v2 entries leave it out. Either way there is no log time.
  const integratedTime = w.uint64(e.integratedTime, at("integratedTime"));
  if (integratedTime !== 0n) entry.integratedTime = integratedTime;
  if (promise !== undefined) {
    entry.signedEntryTimestamp = w.bytes(promise.signedEntryTimestamp, at("inclusionPromise", "signedEntryTimestamp"));
  }
  if (proofObject !== undefined) entry.inclusionProof = parseInclusionProof(w, proofObject, at("inclusionProof"), version);
  return entry;
}

function parseInclusionProof(
  w: WireReader,
  proof: Record<string, unknown>,
  path: JsonPath,
  version: BundleVersion,
): InclusionProof {
  const at = (...rest: (string | number)[]): JsonPath => [...path, ...rest];
  const checkpointObject = w.optionalObject(proof.checkpoint, at("checkpoint"));
  let checkpoint = "";
  if (checkpointObject !== undefined) checkpoint = w.optionalString(checkpointObject.envelope, at("checkpoint", "envelope"));
  // v0.1 predates checkpoints in bundles; such a proof is kept with an empty checkpoint, which no verifier can
  // parse as a signed note, so it never anchors the entry (the v0.1 SET still does).
  if (checkpoint === "" && version !== "0.1") w.fail(at("checkpoint", "envelope"), "is missing or empty");
  return {
    logIndex: w.uint64(proof.logIndex, at("logIndex")),
    rootHash: w.bytes(proof.rootHash, at("rootHash")),
    treeSize: w.uint64(proof.treeSize, at("treeSize")),
    hashes: w.array(proof.hashes, at("hashes")).map((h, i) => w.bytes(h, at("hashes", i))),
    checkpoint,
  };
}
