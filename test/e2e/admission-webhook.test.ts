/**
 * `vouch admission serve` end to end: a real process over HTTPS (certificates from `vouch admission certs`), the real
 * engine, images pushed to Debian's docker-registry and signed with the CLI against a running `vouch serve` log.
 * AdmissionReviews go in as the API server sends them; what comes back is checked field by field.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { podAdmissionReview } from "../support/admission.js";
import { spawnVouch, vouch, type RunningVouch } from "../support/cli.js";
import { buildTestImage, pushTestImage, registryUnavailable, startRegistry, type RunningRegistry } from "../support/registry.js";

const skipReason = registryUnavailable();
if (skipReason !== undefined) console.warn(`skipping vouch admission serve end-to-end tests: ${skipReason}`);

const work = mkdtempSync(join(tmpdir(), "vouch-admission-e2e-"));
const env = { VOUCH_DATA_DIR: join(work, "data"), VOUCH_PASSWORD: "admission test password", VOUCH_CACHE_DIR: join(work, "cache") };
const webhookEnv = { ...env, VOUCH_DATA_DIR: join(work, "webhook-data"), VOUCH_LOG_LEVEL: "info" };
const policies = join(work, "policies");
const SERVER_NAME = "vouch-admission.vouch-system.svc";

let registry: RunningRegistry;
let log: RunningVouch;
let webhook: RunningVouch;
let caPem: string;
const images: Record<string, { ref: string; digest: string }> = {};

function policyText(canaryMode: "warn" | "enforce"): string {
  const pub = join(work, "release.pub");
  const key = (name: string, mode: string, glob: string, extra = "") => `apiVersion: vouch.dev/v1
kind: ImagePolicy
metadata: { name: ${name} }
spec:
  mode: ${mode}
  images: [ { glob: "${glob}" } ]
  authorities:
    - key: { path: ${pub} }
${extra}`;
  return [
    // The first policy, as written except for the key's path and the registry's loopback address.
    key("signed-by-release-key", "enforce", "127.0.0.1:*/holdout/**"),
    key("canary-signed", canaryMode, "127.0.0.1:*/canary/**"),
    key(
      "legacy-signed",
      "enforce",
      "127.0.0.1:*/legacy/**",
      `  exceptions:
    - name: old-waiver
      images: [ { glob: "127.0.0.1:*/legacy/old**" } ]
      reason: migrated last year
      ticket: SEC-1
      approver: alice
      expiresAt: "2020-01-01T00:00:00Z"
    - name: current-waiver
      images: [ { glob: "127.0.0.1:*/legacy/current**" } ]
      reason: being migrated
      ticket: SEC-2
      approver: bob
      expiresAt: "2099-01-01T00:00:00Z"
`,
    ),
  ].join("---\n");
}

interface Answer {
  status: number;
  body: {
    apiVersion?: string;
    kind?: string;
    response?: { uid: string; allowed: boolean; status?: { code: number; message: string }; warnings?: string[]; auditAnnotations?: Record<string, string>; patch?: string; patchType?: string };
    message?: string;
  };
}

function post(path: string, body: unknown): Promise<Answer> {
  const { hostname, port } = new URL(webhook.url);
  return new Promise((resolve, reject) => {
    // Checked as the API server checks it: the caBundle's CA, the Service's DNS name.
    const req = request({ host: hostname, port, path, method: "POST", ca: caPem, servername: SERVER_NAME, agent: false, headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer["body"] }));
    });
    req.on("error", reject);
    req.end(typeof body === "string" ? body : JSON.stringify(body));
  });
}

let uidCounter = 0;
function podReview(containers: string[], options: { operation?: string; old?: string[]; namespace?: string; dryRun?: boolean } = {}) {
  const uid = `e2e-${++uidCounter}`;
  return { uid, review: podAdmissionReview(uid, containers, options) };
}

describe.skipIf(skipReason !== undefined)("vouch admission serve over HTTPS against docker-registry", () => {
  beforeAll(async () => {
    [registry, log] = await Promise.all([startRegistry(), spawnVouch(["serve", "--port", "0"], { env })]);
    expect(vouch(["key", "generate", "--out", join(work, "release")], { env }).code).toBe(0);
    expect(vouch(["key", "generate", "--out", join(work, "other")], { env }).code).toBe(0);
    expect(vouch(["trust", "export", "--out", join(work, "trust"), "--log-url", log.url], { env }).code).toBe(0);
    const push = async (name: string) => {
      const digest = await pushTestImage({ registry: registry.host, repository: name }, buildTestImage({ layers: [[{ path: "etc/seed", content: name }]] }), "1.0");
      images[name] = { digest, ref: `${registry.host}/${name}:1.0` };
      return images[name];
    };
    const sign = (ref: string, keyName: string) => expect(vouch(["sign", ref, "--key", join(work, `${keyName}.key`), "--tlog-url", log.url], { env }).code).toBe(0);
    for (const name of ["holdout/signed", "holdout/unsigned", "holdout/wrong-key", "canary/unsigned", "legacy/old-app", "legacy/current-app", "holdout/sidecar"]) await push(name);
    sign(images["holdout/signed"]!.ref, "release");
    sign(images["holdout/sidecar"]!.ref, "release");
    sign(images["holdout/wrong-key"]!.ref, "other");

    mkdirSync(policies);
    writeFileSync(join(policies, "policies.yaml"), policyText("warn"));
    const certs = vouch(["admission", "certs", "--out", join(work, "certs")], { env });
    expect(certs.code, certs.stderr).toBe(0);
    caPem = readFileSync(join(work, "certs", "ca.crt"), "utf8");
    expect(Buffer.from(certs.stdout.trim(), "base64").toString("utf8")).toBe(caPem);
    webhook = await spawnVouch(
      [
        "admission", "serve", "--policy", policies, "--port", "0",
        "--tls-cert", join(work, "certs", "tls.crt"), "--tls-key", join(work, "certs", "tls.key"),
        "--trusted-root", join(work, "trust", "trusted_root.json"),
      ],
      { env: webhookEnv },
    );
  }, 120_000);

  afterAll(async () => {
    const code = await webhook?.stop();
    await registry?.stop();
    await log?.stop();
    rmSync(work, { recursive: true, force: true });
    expect(code).toBe(0);
  });

  it("prints an https URL and the policies it loaded", async () => {
    expect(webhook.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    await webhook.waitForOutput(/3 policies from .*policies \(reloaded when they change\); no match: deny/);
  });

  it("admits a Pod whose image is signed by the release key (uid echoed, no status)", async () => {
    const { uid, review } = podReview([images["holdout/signed"]!.ref]);
    const answer = await post("/admission/validate", review);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid, allowed: true } });
  });

  it("denies unsigned and wrongly signed images with 403 and a reason naming each", async () => {
    const { uid, review } = podReview([images["holdout/signed"]!.ref, images["holdout/unsigned"]!.ref, images["holdout/wrong-key"]!.ref]);
    const answer = await post("/admission/validate", review);
    expect(answer.status).toBe(200);
    expect(answer.body.response).toMatchObject({ uid, allowed: false, status: { code: 403 } });
    const message = answer.body.response?.status?.message ?? "";
    expect(message).toContain(images["holdout/unsigned"]!.ref);
    expect(message).toContain(images["holdout/wrong-key"]!.ref);
    expect(message).not.toContain(`${images["holdout/signed"]!.ref}:`);
    expect(message).toMatch(/signed-by-release-key/);
  });

  it("warn mode admits with a warning under 256 bytes", async () => {
    const { review } = podReview([images["canary/unsigned"]!.ref]);
    const { response } = (await post("/admission/validate", review)).body;
    expect(response?.allowed).toBe(true);
    expect(response?.status).toBeUndefined();
    expect(response?.warnings?.length).toBeGreaterThan(0);
    for (const w of response?.warnings ?? []) expect(Buffer.byteLength(w)).toBeLessThan(256);
    expect(response?.warnings?.join("\n")).toMatch(/canary-signed/);
  });

  it("an expired exception stops applying (denied); a current one waives, recorded in auditAnnotations", async () => {
    const old = (await post("/admission/validate", podReview([images["legacy/old-app"]!.ref]).review)).body.response;
    expect(old?.allowed).toBe(false);
    expect(old?.status?.message).toMatch(/legacy-signed/);
    expect(JSON.stringify(old?.auditAnnotations ?? {})).not.toMatch(/old-waiver/);
    const current = (await post("/admission/validate", podReview([images["legacy/current-app"]!.ref]).review)).body.response;
    expect(current?.allowed).toBe(true);
    expect(current?.auditAnnotations?.exceptions).toMatch(/legacy-signed: exception current-waiver \(SEC-2\) approved by bob, expires 2099-01-01T00:00:00\.000Z/);
  });

  it("an image no policy covers is denied (noMatch deny), without a registry walk", async () => {
    const { response } = (await post("/admission/validate", podReview(["127.0.0.1:9/elsewhere/app:1"]).review)).body;
    expect(response?.allowed).toBe(false);
    expect(response?.status?.message).toMatch(/127\.0\.0\.1:9\/elsewhere\/app:1/);
  });

  it("UPDATE re-checks only changed images: an unsigned image the old Pod ran is not re-decided, a new one is", async () => {
    const unsigned = images["holdout/unsigned"]!.ref;
    const same = (await post("/admission/validate", podReview([unsigned, images["holdout/sidecar"]!.ref], { operation: "UPDATE", old: [unsigned] }).review)).body.response;
    expect(same?.allowed).toBe(true);
    const changed = (await post("/admission/validate", podReview([unsigned], { operation: "UPDATE", old: [images["holdout/signed"]!.ref] }).review)).body.response;
    expect(changed?.allowed).toBe(false);
  });

  it("mutate pins the tag to the digest the registry holds, as name:tag@digest", async () => {
    const signed = images["holdout/signed"]!;
    const { response } = (await post("/admission/mutate", podReview([signed.ref, `${signed.ref.split(":1.0")[0]}@${signed.digest}`]).review)).body;
    expect(response?.allowed).toBe(true);
    expect(response?.patchType).toBe("JSONPatch");
    expect(JSON.parse(Buffer.from(response?.patch ?? "", "base64").toString("utf8"))).toEqual([{ op: "replace", path: "/spec/containers/0/image", value: `${signed.ref}@${signed.digest}` }]);
    // The pinned reference is then admitted by the validating webhook.
    const validated = (await post("/admission/validate", podReview([`${signed.ref}@${signed.digest}`]).review)).body.response;
    expect(validated?.allowed).toBe(true);
  });

  it("malformed input: 400 with a reason for an unusable envelope, a deny with the reason for a bad object, never a crash", async () => {
    const noUid = await post("/admission/validate", { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { operation: "CREATE" } });
    expect(noUid.status).toBe(400);
    expect(noUid.body.message).toMatch(/request\.uid/);
    expect((await post("/admission/validate", "{not json")).status).toBe(400);
    const { review } = podReview(["x"]);
    review.request.object.spec = "a string";
    const bad = await post("/admission/validate", review);
    expect(bad.status).toBe(200);
    expect(bad.body.response).toMatchObject({ allowed: false, status: { code: 400 } });
    expect(bad.body.response?.status?.message).toMatch(/request\.object\.spec is not an object/);
    // Still serving.
    expect((await post("/admission/validate", podReview([images["holdout/signed"]!.ref]).review)).body.response?.allowed).toBe(true);
  });

  it("vouch serve mounts the same webhooks when vouch.yaml sets admission.policies", async () => {
    const config = join(work, "vouch.yaml");
    writeFileSync(config, `admission:\n  policies: ${policies}\n  trustedRoot: ${join(work, "trust", "trusted_root.json")}\n`);
    const served = await spawnVouch(["serve", "--port", "0"], { env: { ...env, VOUCH_DATA_DIR: join(work, "serve-data"), VOUCH_CONFIG: config } });
    try {
      await served.waitForOutput(/admission webhooks at http:\/\/\S+\/admission\/validate and \/admission\/mutate: 3 policies/);
      const ask = async (ref: string) => {
        const res = await fetch(`${served.url}/admission/validate`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(podReview([ref]).review) });
        expect(res.status).toBe(200);
        return ((await res.json()) as Answer["body"]).response;
      };
      expect((await ask(images["holdout/signed"]!.ref))?.allowed).toBe(true);
      expect((await ask(images["holdout/unsigned"]!.ref))?.allowed).toBe(false);
    } finally {
      expect(await served.stop()).toBe(0);
    }
  });

  it("a policy edit is picked up by the running process; a broken edit keeps the last good policies", async () => {
    const canary = () => post("/admission/validate", podReview([images["canary/unsigned"]!.ref]).review);
    writeFileSync(join(policies, "policies.yaml"), policyText("enforce"));
    let allowed: boolean | undefined = true;
    for (let i = 0; i < 100 && allowed === true; i++) {
      allowed = (await canary()).body.response?.allowed;
      if (allowed === true) await new Promise((r) => setTimeout(r, 100));
    }
    expect(allowed).toBe(false);
    writeFileSync(join(policies, "policies.yaml"), "apiVersion: vouch.dev/v1\nkind: ImagePolicy\nmetadata: { name: broken }\nspec: { images: 3 }\n");
    const stderr = () => webhook.output().stdout + webhook.output().stderr;
    for (let i = 0; i < 100 && !/policy reload failed/.test(stderr()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(stderr()).toMatch(/policy reload failed/);
    expect((await canary()).body.response?.allowed).toBe(false);
    expect((await post("/admission/validate", podReview([images["holdout/signed"]!.ref]).review)).body.response?.allowed).toBe(true);
  });
});

describe.skipIf(skipReason !== undefined)("vouch admission serve with vouch.yaml's admission: keys (advisory database, vex, cache, reconcileEvery)", () => {
  // Its own directory: the suite above removes `work` when it ends.
  const dir = mkdtempSync(join(tmpdir(), "vouch-admission-config-e2e-"));
  const dataDir = join(dir, "data");
  const purl = "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1";
  let vulnerable: { ref: string; digest: string };

  beforeAll(async () => {
    // The registry and log of the suite above may be gone: this suite starts its own.
    [registry, log] = await Promise.all([startRegistry(), spawnVouch(["serve", "--port", "0"], { env })]);
    mkdirSync(join(dir, "policies"), { recursive: true });
    expect(vouch(["admission", "certs", "--out", join(dir, "certs")], { env }).code).toBe(0);
    caPem = readFileSync(join(dir, "certs", "ca.crt"), "utf8");
    expect(vouch(["key", "generate", "--out", join(dir, "release")], { env }).code).toBe(0);
    expect(vouch(["trust", "export", "--out", join(dir, "trust"), "--log-url", log.url], { env }).code).toBe(0);
    // The deployment's own advisory database, as `vouch scan` reads it: imported into the webhook's data directory.
    const imported = vouch(["db", "import", join(import.meta.dirname, "..", "..", "src", "vuln", "osv", "fixtures", "records")], { env: { ...env, VOUCH_DATA_DIR: dataDir } });
    expect(imported.code, imported.stderr).toBe(0);
    const digest = await pushTestImage({ registry: registry.host, repository: "vuln/log4j" }, buildTestImage({ layers: [[{ path: "etc/seed", content: "log4j" }]] }), "1.0");
    vulnerable = { digest, ref: `${registry.host}/vuln/log4j:1.0` };
    expect(vouch(["sign", vulnerable.ref, "--key", join(dir, "release.key"), "--tlog-url", log.url], { env }).code).toBe(0);
    const sbom = join(dir, "log4j.cdx.json");
    writeFileSync(sbom, JSON.stringify({ bomFormat: "CycloneDX", specVersion: "1.6", version: 1, metadata: { component: { type: "container", name: "app", "bom-ref": "app" } }, components: [{ type: "library", group: "org.apache.logging.log4j", name: "log4j-core", version: "2.14.1", "bom-ref": "log4j", purl }] }));
    const attached = vouch(["sbom", "attach", vulnerable.ref, "--sbom", sbom], { env });
    expect(attached.code, attached.stderr).toBe(0);
    writeFileSync(
      join(dir, "policies", "vulns.yaml"),
      `apiVersion: vouch.dev/v1
kind: ImagePolicy
metadata: { name: no-high-vulns }
spec:
  mode: enforce
  images: [ { glob: "127.0.0.1:*/vuln/**" } ]
  authorities:
    - key: { path: ${join(dir, "release.pub")} }
  vulnerabilities: { denyAtOrAbove: high }
`,
    );
    writeFileSync(
      join(dir, "not-affected.vex.json"),
      JSON.stringify({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://vouch.dev/vex/e2e",
        author: "sec",
        timestamp: "2026-01-01T00:00:00Z",
        version: 1,
        statements: [{ vulnerability: { name: "CVE-2021-44228" }, products: [{ "@id": `pkg:oci/log4j@${digest}`, subcomponents: [{ "@id": purl }] }], status: "not_affected", justification: "vulnerable_code_not_in_execute_path" }],
      }),
    );
  }, 120_000);
  afterAll(async () => {
    await registry?.stop();
    await log?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** `vouch admission serve` with this vouch.yaml `admission:` section; answers the Pod of `ref`, then stops. */
  async function decideWith(admissionYaml: string, ref: string): Promise<NonNullable<Answer["body"]["response"]>> {
    const config = join(dir, `vouch-${++uidCounter}.yaml`);
    writeFileSync(config, `admission:\n${admissionYaml}`);
    const served = await spawnVouch(
      ["admission", "serve", "--policy", join(dir, "policies"), "--port", "0", "--tls-cert", join(dir, "certs", "tls.crt"), "--tls-key", join(dir, "certs", "tls.key"), "--trusted-root", join(dir, "trust", "trusted_root.json")],
      { env: { ...env, VOUCH_DATA_DIR: dataDir, VOUCH_CONFIG: config } },
    );
    try {
      webhook = served;
      const answer = await post("/admission/validate", podReview([ref]).review);
      expect(answer.status).toBe(200);
      return answer.body.response!;
    } finally {
      expect(await served.stop()).toBe(0);
    }
  }

  it("a vulnerability policy is decided with the deployment's advisory database (denied naming the CVE); VEX in admission.vex covers it", async () => {
    const settings = "  reconcileEvery: 1m\n  cache: { positiveTtl: 10m, negativeTtl: 1s, resolveTtl: 5s }\n";
    const denied = await decideWith(settings, vulnerable.ref);
    expect(denied.allowed).toBe(false);
    expect(denied.status?.message).toContain("no-high-vulns");
    expect(denied.status?.message).toContain("CVE-2021-44228");
    const covered = await decideWith(`${settings}  vex: [ ${join(dir, "not-affected.vex.json")} ]\n`, vulnerable.ref);
    expect(covered).toMatchObject({ allowed: true });
  });

  it("an empty advisory database is an outage of it, not a pass: the policy's onVerificationUnavailable (deny) decides", async () => {
    const config = join(dir, "vouch-empty.yaml");
    writeFileSync(config, "admission: {}\n");
    const served = await spawnVouch(
      ["admission", "serve", "--policy", join(dir, "policies"), "--port", "0", "--tls-cert", join(dir, "certs", "tls.crt"), "--tls-key", join(dir, "certs", "tls.key"), "--trusted-root", join(dir, "trust", "trusted_root.json")],
      { env: { ...env, VOUCH_DATA_DIR: join(dir, "empty-data"), VOUCH_CONFIG: config } },
    );
    try {
      webhook = served;
      const answer = (await post("/admission/validate", podReview([vulnerable.ref]).review)).body.response!;
      expect(answer.allowed).toBe(false);
      expect(answer.status?.message).toMatch(/advisory database.*is empty: import OSV records first \(vouch db import/);
    } finally {
      expect(await served.stop()).toBe(0);
    }
  });
});

describe("vouch admission: a bad admission: key in vouch.yaml is an input error naming the key (exit 2, one line)", () => {
  const bad = mkdtempSync(join(tmpdir(), "vouch-admission-bad-config-"));
  afterAll(() => rmSync(bad, { recursive: true, force: true }));
  const serve = (admissionYaml: string) => {
    const config = join(bad, `bad-${++uidCounter}.yaml`);
    writeFileSync(config, `admission:\n${admissionYaml}`);
    mkdirSync(join(bad, "policies"), { recursive: true });
    writeFileSync(join(bad, "policies", "p.yaml"), "apiVersion: vouch.dev/v1\nkind: ImagePolicy\nmetadata: { name: p }\nspec:\n  images: [ { glob: \"x/**\" } ]\n  authorities: [ { static: pass } ]\n");
    return vouch(["admission", "serve", "--policy", join(bad, "policies"), "--tls-cert", "c", "--tls-key", "k"], { env: { ...env, VOUCH_DATA_DIR: join(bad, "data"), VOUCH_CONFIG: config } });
  };

  it.each([
    ["reconcileEvery: soon", /admission\/reconcileEvery: must match pattern/],
    ["reconcileEvery: 0s", /admission\.reconcileEvery: must be longer than 0/],
    ["cache: { positiveTtl: 5 }", /admission\/cache\/positiveTtl: must be string/],
    ["cache: { ttl: 5m }", /admission\/cache: must NOT have additional properties/],
    ["vex: [ /nonexistent/vex.json ]", /admission\.vex: \/nonexistent\/vex\.json: no such file/],
    ["vex: [ VEX_NOT_VEX ]", /admission\.vex: .*not-vex\.json: VEX document: neither OpenVEX/],
  ])("admission: { %s }", (yaml, message) => {
    const notVex = join(bad, "not-vex.json");
    writeFileSync(notVex, JSON.stringify({ hello: "world" }));
    const run = serve(`  ${yaml.replace("VEX_NOT_VEX", notVex)}\n`);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("vouch admission usage errors (exit 2, one line)", () => {
  it("serve without a certificate, certs with a service that is not a DNS label, a policy path that does not exist", () => {
    const noTls = vouch(["admission", "serve", "--policy", "/nonexistent"], { env });
    expect(noTls.code).toBe(2);
    expect(noTls.stderr.trim()).toBe("vouch: --tls-cert and --tls-key are required: the API server calls webhooks over HTTPS only (make them with vouch admission certs)");
    const badService = vouch(["admission", "certs", "--out", join(work, "bad-certs"), "--service", "Web_Hook"], { env });
    expect(badService.code).toBe(2);
    expect(badService.stderr).toMatch(/--service "Web_Hook" is not a DNS label/);
    const missing = vouch(["admission", "serve", "--policy", join(work, "no-such-dir"), "--tls-cert", "c", "--tls-key", "k"], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no-such-dir: no such file or directory/);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
  });
});

