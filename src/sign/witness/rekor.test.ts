import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { messageSignatureBundle } from "../bundle-builder.js";
import type { SignerMaterial } from "../signer.js";
import { rejectedVouchError } from "../../../test/support/errors.js";
import { witnessInRekor, type WitnessFetch } from "./rekor.js";

const key = generateKeyPairSync("ec", { namedCurve: "P-256" });
const spki = new Uint8Array(key.publicKey.export({ type: "spki", format: "der" }));
const material: SignerMaterial = { kind: "publicKey", hint: createHash("sha256").update(spki).digest("hex"), publicKeyDer: spki };
const data = Buffer.from("artifact");
const bundle = messageSignatureBundle({ algorithm: "SHA2_256", value: createHash("sha256").update(data).digest() }, sign("sha256", data, key.privateKey), material);

const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  status,
  headers: { get: (name: string) => headers[name.toLowerCase()] ?? null },
  text: async () => (typeof body === "string" ? body : JSON.stringify(body)),
});

const body = Buffer.from(JSON.stringify({ apiVersion: "0.0.1", kind: "hashedrekord", spec: {} })).toString("base64");
const entry = {
  body,
  integratedTime: 1_700_000_000,
  logID: "ab".repeat(32),
  logIndex: 3,
  verification: { signedEntryTimestamp: "AAAA", inclusionProof: { checkpoint: "x\n4\nAAAA\n\n— x AAAA\n", hashes: ["cd".repeat(32)], logIndex: 3, rootHash: "ef".repeat(32), treeSize: 4 } },
};

describe("witnessInRekor", () => {
  it("posts a hashedrekord proposal with the public key as PEM and appends the answered entry", async () => {
    const requests: { url: string; body?: string }[] = [];
    const fetch: WitnessFetch = async (url, init) => {
      requests.push({ url, body: init.body });
      return answer(201, { ["aa".repeat(32)]: entry });
    };
    const logged = await witnessInRekor(bundle, material, { url: "http://log.test/", fetch });
    expect(requests[0]!.url).toBe("http://log.test/api/v1/log/entries");
    const proposal = JSON.parse(requests[0]!.body!);
    expect(proposal).toMatchObject({ kind: "hashedrekord", apiVersion: "0.0.1", spec: { data: { hash: { algorithm: "sha256", value: createHash("sha256").update(data).digest("hex") } } } });
    expect(Buffer.from(proposal.spec.signature.publicKey.content, "base64").toString()).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(logged.tlogEntries).toHaveLength(1);
    expect(logged.tlogEntries[0]).toMatchObject({ logIndex: 3n, kind: "hashedrekord", kindVersion: "0.0.1", integratedTime: 1_700_000_000n });
    expect(logged.tlogEntries[0]!.inclusionProof?.treeSize).toBe(4n);
  });

  it("follows a 409 to the existing entry", async () => {
    const urls: string[] = [];
    const fetch: WitnessFetch = async (url) => {
      urls.push(url);
      return urls.length === 1 ? answer(409, { code: 409, message: "exists" }, { location: "/api/v1/log/entries/abc" }) : answer(200, { abc: entry });
    };
    const logged = await witnessInRekor(bundle, material, { url: "http://log.test", fetch });
    expect(urls).toEqual(["http://log.test/api/v1/log/entries", "http://log.test/api/v1/log/entries/abc"]);
    expect(logged.tlogEntries[0]!.logIndex).toBe(3n);
  });

  it("says what went wrong: a refusal, an unreachable log, an unusable answer", async () => {
    const refused = await rejectedVouchError(() => witnessInRekor(bundle, material, { url: "http://log.test", fetch: async () => answer(400, { code: 400, message: "signature does not verify" }) }));
    expect(refused).toMatchObject({ code: "LOG_INVALID_ENTRY", message: expect.stringContaining("signature does not verify") });
    const down = await rejectedVouchError(() => witnessInRekor(bundle, material, { url: "http://log.test", fetch: async () => { throw new Error("ECONNREFUSED"); } }));
    expect(down).toMatchObject({ code: "LOG_UNAVAILABLE", message: expect.stringContaining("ECONNREFUSED") });
    for (const garbage of ["<html>", { a: entry, b: entry }, { x: { ...entry, logIndex: -1 } }, { x: { ...entry, body: undefined } }, { x: { ...entry, body: Buffer.from("nope").toString("base64") } }]) {
      const unusable = await rejectedVouchError(() => witnessInRekor(bundle, material, { url: "http://log.test", fetch: async () => answer(201, garbage) }));
      expect(unusable.message).toMatch(/unusable/);
    }
  });
});
