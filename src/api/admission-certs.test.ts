import { X509Certificate, createPrivateKey, createPublicKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isVouchError } from "../core/errors.js";
import { createAdmissionCerts } from "./admission-certs.js";

const dir = mkdtempSync(join(tmpdir(), "vouch-admission-certs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("vouch admission certs", () => {
  it("makes a CA and a serving certificate for S.N.svc that verify against each other; keys are 0600", () => {
    const out = join(dir, "certs-a");
    const certs = createAdmissionCerts({ out, service: "vouch-admission", namespace: "vouch-system", now: new Date("2026-11-22T00:00:00Z"), days: 30 });
    const ca = new X509Certificate(readFileSync(certs.files.ca));
    const leaf = new X509Certificate(readFileSync(certs.files.cert));
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.checkHost("vouch-admission.vouch-system.svc")).toBe("vouch-admission.vouch-system.svc");
    expect(leaf.checkHost("vouch-admission.other.svc")).toBeUndefined();
    expect(leaf.subjectAltName).toBe("DNS:vouch-admission, DNS:vouch-admission.vouch-system, DNS:vouch-admission.vouch-system.svc, DNS:vouch-admission.vouch-system.svc.cluster.local");
    expect(leaf.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    expect(new Date(leaf.validTo).toISOString()).toBe("2026-12-22T00:00:00.000Z");
    expect(Buffer.from(certs.caBundle, "base64").toString("utf8")).toBe(readFileSync(certs.files.ca, "utf8"));
    expect(createPublicKey(createPrivateKey(readFileSync(certs.files.key))).export({ format: "jwk" })).toEqual(leaf.publicKey.export({ format: "jwk" }));
    expect(statSync(certs.files.key).mode & 0o777).toBe(0o600);
    expect(statSync(certs.files.caKey).mode & 0o777).toBe(0o600);
  });

  it("refuses a service or namespace that is not a DNS label", () => {
    for (const bad of [{ service: "Vouch" }, { namespace: "a.b" }, { service: "-x" }]) {
      try {
        createAdmissionCerts({ out: join(dir, "bad"), ...bad });
        expect.unreachable();
      } catch (error) {
        expect(isVouchError(error) && error.code).toBe("INPUT_USAGE");
      }
    }
  });
});
