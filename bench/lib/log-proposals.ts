import { createHash, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";

export type ProposalKind = "hashedrekord" | "dsse";

/**
 * Signed Rekor v1 hashedrekord 0.0.1 proposals for the log benchmark, made ahead of time so that signing is never
 * timed (the shape test/support/rekor-proposals.ts makes, which is what @sigstore/sign and cosign send for a keyed
 * signature). Each proposal signs different data, so none is a duplicate of another and every one becomes a new leaf.
 *
 * `keyEvery`: how many proposals share one signing key. 1 (a fresh P-256 key per proposal) is what a stream of
 * keyless submissions looks like to the log (each has its own ephemeral key), and keeps any per-key cache on the
 * server from flattering it; the seeder of the 100k-entry log uses more per key only to make them faster.
 *
 * `kind`: "hashedrekord" (default: a keyed signature over a SHA-256 digest) or "dsse" (an in-toto attestation).
 */
export function makeProposals(count: number, options: { keyEvery?: number; tag?: string; kind?: ProposalKind } = {}): string[] {
  const keyEvery = options.keyEvery ?? 1;
  const tag = options.tag ?? "bench";
  const out: string[] = [];
  let key: KeyObject | undefined;
  let pemBase64 = "";
  for (let i = 0; i < count; i++) {
    if (i % keyEvery === 0) {
      key = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
      pemBase64 = Buffer.from(createPublicKey(key).export({ type: "spki", format: "pem" }).toString()).toString("base64");
    }
    const data = Buffer.from(`vouch log benchmark artifact ${tag} ${i}\n`);
    if (options.kind === "dsse") {
      out.push(dsseProposal(key!, pemBase64, data));
      continue;
    }
    out.push(
      JSON.stringify({
        apiVersion: "0.0.1",
        kind: "hashedrekord",
        spec: {
          data: { hash: { algorithm: "sha256", value: createHash("sha256").update(data).digest("hex") } },
          signature: { content: sign("sha256", data, key!).toString("base64"), publicKey: { content: pemBase64 } },
        },
      }),
    );
  }
  return out;
}

const IN_TOTO = "application/vnd.in-toto+json";

/**
 * A dsse 0.0.1 proposal (what @sigstore/sign's RekorWitness sends for an attestation): an in-toto statement about
 * `artifact` in a DSSE envelope signed over its pre-authentication encoding, with the verifier's PEM key. The log
 * has the whole signed message here, so vouch checks it with node:crypto (src/tlog/entries/signature.ts
 * verifyMessage), not over a bare digest as for hashedrekord.
 */
function dsseProposal(key: KeyObject, pemBase64: string, artifact: Buffer): string {
  const statement = Buffer.from(
    JSON.stringify({
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ name: "artifact.txt", digest: { sha256: createHash("sha256").update(artifact).digest("hex") } }],
      predicateType: "https://slsa.dev/provenance/v1",
      predicate: { buildDefinition: { buildType: "https://vouch.dev/bench" }, runDetails: { builder: { id: "https://vouch.dev/bench" } } },
    }),
  );
  // DSSE v1 PAE: "DSSEv1" SP len(type) SP type SP len(body) SP body, lengths in decimal ASCII.
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${IN_TOTO.length} ${IN_TOTO} ${statement.length} `), statement]);
  const envelope = { payload: statement.toString("base64"), payloadType: IN_TOTO, signatures: [{ keyid: "", sig: sign("sha256", pae, key).toString("base64") }] };
  return JSON.stringify({ apiVersion: "0.0.1", kind: "dsse", spec: { proposedContent: { envelope: JSON.stringify(envelope), verifiers: [pemBase64] } } });
}
