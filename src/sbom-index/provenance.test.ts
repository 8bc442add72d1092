import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { rejectedVouchError } from "../../test/support/errors.js";
import { attestFiles, generateProvenance } from "../api/attest.js";
import { sbomByproduct } from "../attest/provenance.js";
import { generateKeyPair, keyId } from "../core/crypto/keys.js";
import { KeySigner } from "../sign/key-signer.js";
import type { AttestationStore, IndexStore } from "../store/ports.js";
import { openSqliteAttestationStore } from "../store/sqlite/attestation-store.js";
import { openSqliteIndexStore } from "../store/sqlite/index-store.js";
import { createAttestationService } from "./attestations.js";
import { createProvenanceGraph, type ProvenanceGraph } from "./provenance.js";
import { createIndexService } from "./service.js";

/**
 * The provenance graph over real stores in one SQLite file: a SLSA provenance made by `vouch provenance`'s library
 * function (GitHub Actions environment, its SBOM as a byproduct) and attested by `vouch attest` with a key, the SBOM
 * and deployments pushed to the index.
 */
const work = mkdtempSync(join(tmpdir(), "vouch-provenance-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const GITHUB = {
  GITHUB_ACTIONS: "true",
  GITHUB_SERVER_URL: "https://github.com",
  GITHUB_REPOSITORY: "acme/checkout",
  GITHUB_RUN_ID: "99",
  GITHUB_RUN_ATTEMPT: "2",
  GITHUB_REF: "refs/tags/v1.4.0",
  GITHUB_SHA: COMMIT,
  GITHUB_WORKFLOW_REF: "acme/checkout/.github/workflows/release.yml@refs/tags/v1.4.0",
  GITHUB_EVENT_NAME: "push",
};
const SBOM = join(import.meta.dirname, "fixtures", "checkout-1.4.0-log4j-2.14.1.cdx.json");
const pair = generateKeyPair();
const KEY_SIGNER = `sha256:${keyId(pair.publicKey)}`;

let index: IndexStore;
let attestations: AttestationStore;
beforeEach(async () => {
  const file = join(mkdtempSync(join(work, "data-")), "index.sqlite");
  index = await openSqliteIndexStore(file);
  attestations = await openSqliteAttestationStore(file);
});
afterEach(async () => {
  await index.close();
  await attestations.close();
});

async function seed(): Promise<{ digest: string; attestationId: string; sbomId: string }> {
  const artifact = join(work, "checkout.tar");
  writeFileSync(artifact, "checkout image bytes");
  const predicate = generateProvenance({ env: GITHUB, sbomPath: SBOM, now: () => new Date("2025-05-01T00:00:00Z") });
  const attested = await attestFiles([artifact], { type: "slsaprovenance", predicate, signer: new KeySigner(pair.privateKey) });
  const digest = `sha256:${attested.statement.subject[0]!.digest.sha256}` as const;
  const service = createAttestationService({ store: attestations, trust: { roots: [], keys: [{ name: "release", key: pair.publicKey }] } });
  const { record } = await service.ingest(new TextEncoder().encode(attested.bundleJson), "token-ci");
  expect(record.verified).toBe(true);
  const indexService = createIndexService({ store: index, clock: () => new Date("2025-05-02T00:00:00Z") });
  const sbom = await indexService.ingestSbom({ bytes: readFileSync(SBOM), service: "checkout", version: "1.4.0", digest, by: "token-ci" });
  await indexService.ingestDeployment({ service: "checkout", environment: "staging", digest, at: "2025-05-03T00:00:00Z", by: "token-cd" });
  await indexService.ingestDeployment({ service: "checkout", environment: "prod", digest, at: "2025-05-04T00:00:00Z", by: "token-cd" });
  await indexService.ingestDeployment({ service: "checkout", environment: "prod", digest: `sha256:${"e".repeat(64)}` as const, at: "2025-05-05T00:00:00Z", by: "token-cd" });
  return { digest, attestationId: record.id, sbomId: sbom.id };
}

const types = (g: ProvenanceGraph) => g.nodes.map((n) => n.type);
const edge = (g: ProvenanceGraph, kind: string) => g.edges.filter((e) => e.kind === kind).map((e) => `${e.from} -> ${e.to}`);

describe("provenance graph", () => {
  it("an artifact: commit → builder + run → artifact → SBOM, attestation → signer, deployments (current and past)", async () => {
    const { digest, attestationId, sbomId } = await seed();
    const graph = await createProvenanceGraph({ attestations, index }).forArtifact(digest.toUpperCase().replace("SHA256", "sha256"));
    expect(graph.query).toEqual({ digest });
    expect(new Set(types(graph))).toEqual(new Set(["source", "builder", "run", "artifact", "sbom", "attestation", "signer", "deployment"]));
    expect(graph.nodes.find((n) => n.type === "source")).toEqual({ id: `source:https://github.com/acme/checkout@${COMMIT}`, type: "source", repo: "https://github.com/acme/checkout", commit: COMMIT });
    const run = "run:https://github.com/acme/checkout/actions/runs/99/attempts/2";
    expect(edge(graph, "source-of")).toEqual([`source:https://github.com/acme/checkout@${COMMIT} -> ${run}`]);
    expect(edge(graph, "ran")).toEqual([`builder:https://github.com/acme/checkout/.github/workflows/release.yml@refs/tags/v1.4.0 -> ${run}`]);
    expect(edge(graph, "produced")).toEqual([`${run} -> artifact:${digest}`]);
    expect(edge(graph, "described-by")).toEqual([`artifact:${digest} -> sbom:${sbomId}`]);
    // The provenance names the same SBOM as its run's byproduct: both paths lead to one node.
    expect(edge(graph, "built-sbom")).toEqual([`${run} -> sbom:${sbomId}`]);
    expect(graph.nodes.filter((n) => n.type === "sbom")).toHaveLength(1);
    expect(edge(graph, "attested-by")).toEqual([`artifact:${digest} -> attestation:${attestationId}`]);
    expect(edge(graph, "signed-by")).toEqual([`attestation:${attestationId} -> signer:key:${KEY_SIGNER}`]);
    expect(graph.nodes.find((n) => n.type === "artifact")).toMatchObject({ names: ["checkout.tar"] });
    expect(graph.nodes.find((n) => n.type === "attestation")).toMatchObject({ verified: true, provenanceComplete: true, predicateType: "https://slsa.dev/provenance/v1", ingestedBy: "token-ci" });
    const deployments = graph.nodes.filter((n) => n.type === "deployment");
    expect(deployments.map((d) => [d.environment, d.current])).toEqual(expect.arrayContaining([["staging", true], ["prod", false]]));
    expect(deployments).toHaveLength(2);
  });

  it("the reverse: everything built from a commit (or its prefix), everything a signer signed; nothing for others", async () => {
    const { digest } = await seed();
    const graphs = createProvenanceGraph({ attestations, index });
    for (const g of [await graphs.forCommit(COMMIT), await graphs.forCommit(COMMIT.slice(0, 7)), await graphs.forSigner(KEY_SIGNER)]) {
      expect(g.nodes.filter((n) => n.type === "artifact").map((n) => n.type === "artifact" && n.digest)).toEqual([digest]);
      expect(types(g)).toContain("deployment");
      expect(g.truncated).toBeUndefined();
    }
    expect((await graphs.forCommit("f".repeat(40))).nodes).toEqual([]);
    expect((await graphs.forSigner(KEY_SIGNER, "https://issuer.example")).nodes).toEqual([]);
    expect((await graphs.forSigner("x'; drop table attestations; --%")).nodes).toEqual([]);
  });

  it("caps a reverse answer at maxArtifacts and says so", async () => {
    await seed();
    const g = await createProvenanceGraph({ attestations, index, maxArtifacts: 0 }).forSigner(KEY_SIGNER);
    expect(g.truncated).toBe(true);
  });

  it("refuses a malformed digest or commit (INPUT_USAGE) and answers INPUT_NOT_FOUND for an unknown artifact", async () => {
    const graphs = createProvenanceGraph({ attestations, index });
    expect((await rejectedVouchError(() => graphs.forArtifact("sha256:../../etc/passwd"))).code).toBe("INPUT_USAGE");
    expect((await rejectedVouchError(() => graphs.forArtifact("md5:abc"))).code).toBe("INPUT_USAGE");
    expect((await rejectedVouchError(() => graphs.forCommit("HEAD"))).code).toBe("INPUT_USAGE");
    expect((await rejectedVouchError(() => graphs.forSigner(""))).code).toBe("INPUT_USAGE");
    expect((await rejectedVouchError(() => graphs.forArtifact(`sha256:${"a".repeat(64)}`))).code).toBe("INPUT_NOT_FOUND");
  });

  it("joins the run to the SBOMs its provenance names as byproducts, whatever artifact (or none) they were pushed for", async () => {
    const artifact = join(work, "byproducts.tar");
    writeFileSync(artifact, "byproducts image bytes");
    // The fixture's root component carries a SHA-256 (another artifact, as the index reads it); this copy names none.
    const document = JSON.parse(readFileSync(SBOM, "utf8")) as { metadata: { component: { hashes?: unknown } } };
    delete document.metadata.component.hashes;
    const bare = join(work, "bare.cdx.json");
    writeFileSync(bare, JSON.stringify(document));
    const predicate = generateProvenance({ env: GITHUB, sbomPath: SBOM, now: () => new Date("2025-05-01T00:00:00Z") });
    const bareHex = createHash("sha256").update(readFileSync(bare)).digest("hex");
    predicate.runDetails.byproducts!.push(sbomByproduct("bare.cdx.json", bareHex, "application/vnd.cyclonedx+json"), sbomByproduct("never-pushed.json", "f".repeat(64), "application/json"));
    const attested = await attestFiles([artifact], { type: "slsaprovenance", predicate, signer: new KeySigner(pair.privateKey) });
    const digest = `sha256:${attested.statement.subject[0]!.digest.sha256}`;
    const service = createAttestationService({ store: attestations, trust: { roots: [], keys: [{ name: "release", key: pair.publicKey }] } });
    expect((await service.ingest(new TextEncoder().encode(attested.bundleJson), "token-ci")).record.verified).toBe(true);
    const indexService = createIndexService({ store: index, clock: () => new Date("2025-05-02T00:00:00Z") });
    // Pushed WITHOUT --digest: the first one's digest comes from its root component, the second has none.
    const named = await indexService.ingestSbom({ bytes: readFileSync(SBOM), service: "checkout", version: "1.4.0", by: "token-ci" });
    const unnamed = await indexService.ingestSbom({ bytes: readFileSync(bare), service: "checkout", by: "token-ci" });
    expect(named.digest).toBe(`sha256:${"a".repeat(64)}`);
    expect(unnamed.digest).toBeUndefined();
    const run = "run:https://github.com/acme/checkout/actions/runs/99/attempts/2";
    const graphs = createProvenanceGraph({ attestations, index });
    for (const graph of [await graphs.forArtifact(digest), await graphs.forCommit(COMMIT)]) {
      expect(edge(graph, "built-sbom")).toEqual([`${run} -> sbom:${named.id}`, `${run} -> sbom:${unnamed.id}`].sort());
      expect(edge(graph, "described-by")).toEqual([]);
      expect(graph.nodes.filter((n) => n.type === "sbom").map((n) => n.type === "sbom" && [n.sbomId, n.version])).toEqual(
        [
          [named.id, "1.4.0"],
          [unnamed.id, undefined],
        ].sort(),
      );
    }
  });

  it("shows an unverified attestation as such, with no source, builder, signer or built SBOM inferred from it", async () => {
    const artifact = join(work, "unverified.tar");
    writeFileSync(artifact, "unverified bytes");
    const predicate = generateProvenance({ env: GITHUB, sbomPath: SBOM, now: () => new Date("2025-05-01T00:00:00Z") });
    await createIndexService({ store: index, clock: () => new Date("2025-05-02T00:00:00Z") }).ingestSbom({ bytes: readFileSync(SBOM), service: "checkout", by: "token-ci" });
    const attested = await attestFiles([artifact], { type: "slsaprovenance", predicate, signer: new KeySigner(pair.privateKey) });
    const digest = `sha256:${attested.statement.subject[0]!.digest.sha256}`;
    const { record } = await createAttestationService({ store: attestations, trust: { roots: [], keys: [] } }).ingest(new TextEncoder().encode(attested.bundleJson), "token-ci");
    const graph = await createProvenanceGraph({ attestations, index }).forArtifact(digest);
    expect(types(graph)).toEqual(["artifact", "attestation"]);
    expect(graph.nodes[1]).toMatchObject({ attestationId: record.id, verified: false, reason: expect.stringMatching(/^VERIFY_KEY/) });
    expect((await createProvenanceGraph({ attestations, index }).forCommit(COMMIT)).nodes).toEqual([]);
  });
});
