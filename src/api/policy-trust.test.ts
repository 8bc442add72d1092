import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { publicGoodTrustedRoot } from "../bundle/trusted-root.js";
import { parsePolicies, type Authority, type KeyRef } from "../policy/model/index.js";
import { loadPolicyTrust } from "./policy-trust.js";

const work = mkdtempSync(join(tmpdir(), "vouch-policy-trust-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const newPem = () => generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }).toString();

function policies(keyPath: string, inlinePem: string) {
  const indented = inlinePem.trim().split("\n").map((l) => `          ${l}`).join("\n");
  return parsePolicies(`apiVersion: vouch.dev/v1
kind: ImagePolicy
metadata: { name: keys }
spec:
  images: [ { glob: "**" } ]
  authorities:
    - key: { path: ${keyPath} }
    - key: { path: ${join(work, "missing.pub")} }
    - key:
        data: |
${indented}
    - key: { kms: "awskms:///alias/release" }
    - keyless:
        identities: [ { issuer: https://issuer.example, subject: me@example.com } ]
      trustedRoot: { path: ${join(work, "broken-root.json")} }
`);
}

const keyRef = (a: Authority | undefined): KeyRef => {
  if (a?.type !== "key") throw new Error("not a key authority");
  return a.key;
};

describe("loadPolicyTrust", () => {
  it("loads each key and root once; an unloadable one is an Error for its authorities only, with the reason", async () => {
    const keyPath = join(work, "release.pub");
    writeFileSync(keyPath, newPem());
    writeFileSync(join(work, "broken-root.json"), "{ not json");
    const inline = newPem();
    const [policy] = policies(keyPath, inline);
    const trust = await loadPolicyTrust([policy!, policy!]);
    const [file, missing, data, kms, keyless] = policy!.authorities;
    expect((trust.key(keyRef(file)) as { export(o: object): Buffer }).export({ type: "spki", format: "pem" }).toString()).toBe(readFileSync(keyPath, "utf8"));
    expect((trust.key(keyRef(data)) as { export(o: object): Buffer }).export({ type: "spki", format: "pem" }).toString()).toBe(inline);
    expect(trust.key(keyRef(missing))).toBeInstanceOf(Error);
    expect((trust.key(keyRef(kms)) as Error).message).toContain("KMS keys are not supported");
    expect(trust.trustedRoot(keyless?.type === "keyless" ? keyless.trustedRoot : undefined)).toBeInstanceOf(Error);
    expect(trust.trustedRoot(undefined)).toBe(publicGoodTrustedRoot());
    expect(trust.key({ source: "path", path: "/never/named" })).toBeInstanceOf(Error);
  });

  it("its version changes when a key file changes, and only then", async () => {
    const keyPath = join(work, "rotating.pub");
    writeFileSync(keyPath, newPem());
    const set = policies(keyPath, newPem());
    const a = await loadPolicyTrust(set);
    const b = await loadPolicyTrust(set);
    expect(b.version).toBe(a.version);
    writeFileSync(keyPath, newPem());
    const c = await loadPolicyTrust(set);
    expect(c.version).not.toBe(a.version);
    expect(c.version).toMatch(/^[0-9a-f]{64}$/);
  });

  it("an unreadable default trusted root is the caller's error (thrown), not an authority's", async () => {
    await expect(loadPolicyTrust([], { trustedRoot: join(work, "nope.json") })).rejects.toMatchObject({ code: "INPUT_NOT_FOUND" });
    writeFileSync(join(work, "root-copy.json"), readFileSync(join(work, "broken-root.json")));
    await expect(loadPolicyTrust([], { trustedRoot: join(work, "root-copy.json") })).rejects.toMatchObject({ code: "INPUT_MALFORMED" });
  });
});
