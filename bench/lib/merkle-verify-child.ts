/**
 * One inclusion-proof verifier, alone in a fresh process (bench/log-throughput.ts runs vouch's and @sigstore/verify's
 * in turn, so neither pays for the other's garbage or JIT state), over the same proofs: Rekor v1 entries the bench's
 * server returned from GET /api/v1/log/entries?logIndex=N.
 *
 *   node --import tsx bench/lib/merkle-verify-child.ts --verifier vouch|sigstore --dist DIST --repo REPO --proofs FILE --warmup W --passes P
 *
 * Each verifier is handed its natural input, decoded before timing (hex and base64 are the transport's business):
 * - vouch: src/core/merkle verifyInclusion(index, size, leafHash(body), proof, root), with index and size as bigints
 *   the way vouch's bundle verifier holds them. leafHash(body) is inside the timed call: @sigstore/verify hashes the
 *   body itself, so both do the same work.
 * - @sigstore/verify: verifyMerkleInclusion(entry, checkpoint) from dist/tlog/merkle.js (not a public export; loaded
 *   by file path), with the TransparencyLogEntry fields it reads (canonicalizedBody, inclusionProof.logIndex as the
 *   protobuf JSON string, inclusionProof.hashes) and the parsed checkpoint's logSize (bigint) and logHash.
 *
 * Before timing, every proof must verify and a copy with one flipped bit must be refused. Prints one JSON line:
 * nanoseconds per verification for each timed pass.
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    verifier: { type: "string" },
    dist: { type: "string" },
    repo: { type: "string" },
    proofs: { type: "string" },
    warmup: { type: "string", default: "20" },
    passes: { type: "string", default: "100" },
  },
});

interface RekorEntry {
  body: string;
  logIndex: number;
  verification: { inclusionProof: { hashes: string[]; logIndex: number; rootHash: string; treeSize: number } };
}

interface Proof {
  body: Buffer;
  index: number;
  size: number;
  hashes: Buffer[];
  root: Buffer;
}

function loadProofs(file: string): Proof[] {
  const answers = JSON.parse(readFileSync(file, "utf8")) as string[];
  return answers.map((text) => {
    const entry = Object.values(JSON.parse(text) as Record<string, RekorEntry>)[0]!;
    const p = entry.verification.inclusionProof;
    return {
      body: Buffer.from(entry.body, "base64"),
      index: p.logIndex,
      size: p.treeSize,
      hashes: p.hashes.map((h) => Buffer.from(h, "hex")),
      root: Buffer.from(p.rootHash, "hex"),
    };
  });
}

type Check = () => boolean;

async function vouchChecks(dist: string, proofs: Proof[]): Promise<Check[]> {
  const merkle = (await import(fileUrl(dist, "core/merkle/index.js"))) as {
    leafHash(body: Uint8Array): Uint8Array;
    verifyInclusion(index: bigint, size: bigint, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): { ok: boolean };
  };
  return proofs.map((p) => {
    const index = BigInt(p.index);
    const size = BigInt(p.size);
    return () => merkle.verifyInclusion(index, size, merkle.leafHash(p.body), p.hashes, p.root).ok;
  });
}

function sigstoreChecks(repo: string, proofs: Proof[]): Check[] {
  const require = createRequire(join(repo, "package.json"));
  const file = join(repo, "node_modules/@sigstore/verify/dist/tlog/merkle.js");
  const { verifyMerkleInclusion } = require(file) as { verifyMerkleInclusion(entry: unknown, checkpoint: unknown): void };
  return proofs.map((p) => {
    const entry = { canonicalizedBody: p.body, inclusionProof: { logIndex: String(p.index), hashes: p.hashes, rootHash: p.root, treeSize: String(p.size) } };
    const checkpoint = { origin: "127.0.0.1", logSize: BigInt(p.size), logHash: p.root, rest: [] };
    return () => {
      try {
        verifyMerkleInclusion(entry, checkpoint);
        return true;
      } catch {
        return false;
      }
    };
  });
}

function flipped(p: Proof): Proof {
  const hashes = p.hashes.map((h) => Buffer.from(h));
  if (hashes.length > 0) hashes[0]![0]! ^= 1;
  return { ...p, hashes };
}

async function main(): Promise<void> {
  const dist = values.dist!;
  const repo = values.repo!;
  const proofs = loadProofs(values.proofs!);
  const make = (ps: Proof[]) => (values.verifier === "vouch" ? vouchChecks(dist, ps) : Promise.resolve(sigstoreChecks(repo, ps)));
  const checks = await make(proofs);
  const refused = await make(proofs.filter((p) => p.hashes.length > 0).map(flipped));
  if (!checks.every((c) => c())) throw new Error(`${values.verifier} refused a proof the server gave`);
  if (refused.some((c) => c())) throw new Error(`${values.verifier} accepted a tampered proof`);
  let sink = 0;
  const pass = () => {
    for (const check of checks) if (check()) sink++;
  };
  for (let i = 0; i < Number(values.warmup); i++) pass();
  const nsPerCall: number[] = [];
  for (let i = 0; i < Number(values.passes); i++) {
    const t0 = process.hrtime.bigint();
    pass();
    nsPerCall.push(Number(process.hrtime.bigint() - t0) / checks.length);
  }
  if (sink === 0) throw new Error("nothing verified");
  const hashes = proofs.reduce((n, p) => n + p.hashes.length, 0) / proofs.length;
  process.stdout.write(`${JSON.stringify({ verifier: values.verifier, proofs: proofs.length, meanHashes: hashes, nsPerCall })}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});

function fileUrl(...parts: string[]): string {
  return pathToFileURL(join(...parts)).href;
}
