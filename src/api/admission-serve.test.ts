import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeEngine, fixtureBody } from "../../test/support/admission.js";
import { createAdmissionCerts } from "./admission-certs.js";
import { startAdmissionServer, type RunningAdmissionServer } from "./admission-serve.js";

const dir = mkdtempSync(join(tmpdir(), "vouch-admission-serve-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const policy = (name: string, glob: string) => `apiVersion: vouch.dev/v1
kind: ImagePolicy
metadata: { name: ${name} }
spec:
  images: [ { glob: "${glob}" } ]
  authorities: [ { static: pass } ]
`;

/** POST over HTTPS, trusting only the given CA and checking the certificate for `servername`. */
function postTls(url: string, path: string, body: string, ca: string, servername: string): Promise<{ status: number; json: unknown }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method: "POST", ca, servername, agent: false, headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as unknown }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("vouch admission serve (the server, over HTTPS with a fake engine)", () => {
  const policies = join(dir, "policies");
  const certsDir = join(dir, "certs-serve");
  let certs: ReturnType<typeof createAdmissionCerts>;
  let server: RunningAdmissionServer;
  const engine = fakeEngine({ verdicts: { "ghcr.io/kubewarden/test-verify-image-signatures:signed": { passed: true } } });

  beforeAll(async () => {
    certs = createAdmissionCerts({ out: certsDir, service: "webhook", namespace: "ns" });
    rmSync(policies, { recursive: true, force: true });
    mkdirSync(policies);
    writeFileSync(join(policies, "a.yaml"), policy("first", "ghcr.io/kubewarden/**"));
    server = await startAdmissionServer({ policyPath: policies, host: "127.0.0.1", port: 0, tlsCert: certs.files.cert, tlsKey: certs.files.key, createEngine: (p) => (engine.setPolicies(p), engine), pollMs: 0 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("answers AdmissionReviews over TLS with the certificate the webhook configuration's caBundle trusts", async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await postTls(server.url, "/admission/validate", fixtureBody("kubewarden-verify-image-signatures/requests-only/pod_creation_signed.json"), readFileSync(certs.files.ca, "utf8"), "webhook.ns.svc");
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: "1299d386-525b-4032-98ae-1949f69f9cfc", allowed: true } });
    // The certificate names webhook.ns.svc only: a client expecting another name refuses it.
    await expect(postTls(server.url, "/admission/validate", "{}", readFileSync(certs.files.ca, "utf8"), "other.ns.svc")).rejects.toThrow(/altnames|Hostname/);
  });

  it("reloads changed policies; a broken edit keeps the last good set and says why; a fix is picked up", () => {
    expect(server.engine.policies().map((p) => p.name)).toEqual(["first"]);
    expect(server.reload()).toEqual({ outcome: "unchanged" });
    writeFileSync(join(policies, "b.yaml"), policy("second", "localhost:*/**"));
    expect(server.reload()).toEqual({ outcome: "reloaded", policies: 2 });
    expect(server.engine.policies().map((p) => p.name)).toEqual(["first", "second"]);
    writeFileSync(join(policies, "b.yaml"), policy("second", "localhost:*/**").replace("static: pass", "static: maybe"));
    const rejected = server.reload();
    expect(rejected.outcome).toBe("rejected");
    expect(rejected.outcome === "rejected" && rejected.reason).toContain("b.yaml");
    expect(rejected.outcome === "rejected" && rejected.keeping).toBe(2);
    expect(server.engine.policies().map((p) => p.name)).toEqual(["first", "second"]);
    // Reported once: the same broken content is not re-reported on every poll.
    expect(server.reload()).toEqual({ outcome: "unchanged" });
    writeFileSync(join(policies, "b.yaml"), policy("third", "localhost:*/**"));
    expect(server.reload()).toEqual({ outcome: "reloaded", policies: 2 });
    expect(server.engine.policies().map((p) => p.name)).toEqual(["first", "third"]);
  });

  it("a file change reaches the engine without a call to reload (the directory is watched)", async () => {
    writeFileSync(join(policies, "c.yaml"), policy("watched", "quay.io/**"));
    // Waits for the watch event (bounded); what is asserted is the outcome, not how long it took.
    for (let i = 0; i < 100 && !server.engine.policies().some((p) => p.name === "watched"); i++) await new Promise((r) => setTimeout(r, 50));
    expect(server.engine.policies().map((p) => p.name)).toContain("watched");
  });

  it("a renewed serving certificate is used for new connections without a restart", async () => {
    const renewed = createAdmissionCerts({ out: join(dir, "certs-renewed"), service: "webhook", namespace: "ns" });
    writeFileSync(certs.files.cert, readFileSync(renewed.files.cert));
    writeFileSync(certs.files.key, readFileSync(renewed.files.key));
    server.reload();
    const body = fixtureBody("connaisseur/10_update.json");
    await expect(postTls(server.url, "/admission/validate", body, readFileSync(certs.files.ca, "utf8"), "webhook.ns.svc")).rejects.toThrow();
    const res = await postTls(server.url, "/admission/validate", body, readFileSync(renewed.files.ca, "utf8"), "webhook.ns.svc");
    expect(res.status).toBe(200);
  });

  it("reads a ConfigMap mounted as a directory once (not again through ..data), and follows kubelet's atomic swap", async () => {
    // kubelet's layout: dir/policies.yaml -> ..data/policies.yaml, ..data -> ..<timestamp>/, swapped by a rename.
    const mount = join(dir, "configmap");
    const version = (name: string, text: string) => {
      mkdirSync(join(mount, name), { recursive: true });
      writeFileSync(join(mount, name, "policies.yaml"), text);
    };
    mkdirSync(mount, { recursive: true });
    version("..2026_11_22_00_00_00.1", policy("from-configmap", "ghcr.io/**"));
    symlinkSync("..2026_11_22_00_00_00.1", join(mount, "..data"));
    symlinkSync(join("..data", "policies.yaml"), join(mount, "policies.yaml"));
    const configMapEngine = fakeEngine();
    const running = await startAdmissionServer({ policyPath: mount, host: "127.0.0.1", port: 0, tlsCert: certs.files.cert, tlsKey: certs.files.key, createEngine: (p) => (configMapEngine.setPolicies(p), configMapEngine), pollMs: 0 });
    try {
      expect(running.engine.policies().map((p) => p.name)).toEqual(["from-configmap"]);
      version("..2026_11_22_00_05_00.2", policy("updated", "ghcr.io/**"));
      symlinkSync("..2026_11_22_00_05_00.2", join(mount, "..data_tmp"));
      renameSync(join(mount, "..data_tmp"), join(mount, "..data"));
      expect(running.reload()).toEqual({ outcome: "reloaded", policies: 1 });
      expect(running.engine.policies().map((p) => p.name)).toEqual(["updated"]);
    } finally {
      await running.close();
    }
  });

  it("refuses to start when the first policy load fails (no silent empty policy set)", async () => {
    const broken = join(dir, "broken.yaml");
    writeFileSync(broken, "apiVersion: vouch.dev/v1\nkind: ImagePolicy\nmetadata: { name: x }\nspec: { images: 3 }\n");
    await expect(startAdmissionServer({ policyPath: broken, host: "127.0.0.1", port: 0, tlsCert: certs.files.cert, tlsKey: certs.files.key, createEngine: () => engine })).rejects.toMatchObject({
      code: "INPUT_MALFORMED",
    });
  });
});
