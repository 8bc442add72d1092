import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { MutatingWebhookConfiguration } from "kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration";
import { ValidatingWebhookConfiguration } from "kubernetes-models/admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration";
import { parsePolicies } from "../../src/policy/model/index.js";
import { buildCli } from "../../src/cli/main.js";

/**
 * deploy/kubernetes and the Helm chart deploy/helm/vouch-admission, validated without a cluster: every object
 * against Kubernetes' own OpenAPI schemas (kubernetes-models: types, enums, required fields; it does not reject
 * unknown fields, so the fields that matter are asserted below by name), the policies they ship through vouch's
 * policy parser, the server's flags through vouch's CLI parser, and the webhooks' wiring (service, paths, opt-in
 * label, own-namespace exclusion, failurePolicy, timeouts).
 */

const REPO = join(import.meta.dirname, "..", "..");
const MANIFESTS = join(REPO, "deploy", "kubernetes");
const CHART = join(REPO, "deploy", "helm", "vouch-admission");

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } } & Record<string, unknown>;

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ServiceAccount": ServiceAccount,
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "admissionregistration.k8s.io/v1/MutatingWebhookConfiguration": MutatingWebhookConfiguration,
  "admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration": ValidatingWebhookConfiguration,
};

function parseYamlStream(text: string, where: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`${where}: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as K8sObject | null;
    return value === null ? [] : [value];
  });
}

/** Schema-validates each object; returns them. An object of a kind not listed here fails the test. */
function validateAll(objects: readonly K8sObject[], extraKinds: readonly string[] = []): K8sObject[] {
  for (const object of objects) {
    const key = `${object.apiVersion}/${object.kind}`;
    if (extraKinds.includes(key)) continue;
    const Model = MODELS[key];
    expect(Model, `no schema for ${key}`).toBeDefined();
    expect(() => new Model!(object as never).validate(), `${key} ${object.metadata.name}`).not.toThrow();
  }
  return [...objects];
}

function byKind(objects: readonly K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

interface Webhook {
  name: string;
  admissionReviewVersions: string[];
  sideEffects: string;
  failurePolicy: string;
  timeoutSeconds: number;
  clientConfig: { service: { name: string; namespace: string; path: string; port: number }; caBundle?: string };
  namespaceSelector: { matchLabels: Record<string, string> };
  matchConditions: { name: string; expression: string }[];
  rules: { apiGroups: string[]; resources: string[]; operations: string[] }[];
}

/** What every deployment of the webhook must hold, whichever way it was produced. */
function checkWiring(objects: readonly K8sObject[], namespace: string, service: string): void {
  const [svc] = byKind(objects, "Service");
  expect(svc?.metadata.name).toBe(service);
  expect(svc?.metadata.namespace).toBe(namespace);
  const [deployment] = byKind(objects, "Deployment") as unknown as { spec: { template: { spec: { containers: { args: string[]; ports: { containerPort: number }[] }[] } } } }[];
  const container = deployment?.spec.template.spec.containers[0];
  expect(container?.args.slice(0, 2)).toEqual(["admission", "serve"]);
  // The container's flags are ones `vouch admission serve` accepts (commander parses them; the action is not run).
  const serve = buildCli().commands.find((c) => c.name() === "admission")?.commands.find((c) => c.name() === "serve");
  expect(serve, "vouch admission serve is registered").toBeDefined();
  const known = new Set(serve?.options.map((o) => o.long));
  for (const arg of container?.args.slice(2) ?? []) expect(known, arg).toContain(arg.split("=")[0]);
  expect(container?.args).toContain("--port=8443");
  expect(container?.ports[0]?.containerPort).toBe(8443);

  // The ConfigMap's policies are valid vouch policies.
  const [policies] = byKind(objects, "ConfigMap") as unknown as { data: Record<string, string> }[];
  for (const [file, text] of Object.entries(policies?.data ?? {})) expect(parsePolicies(text, { file }).length).toBeGreaterThan(0);

  const webhooks = [...byKind(objects, "MutatingWebhookConfiguration"), ...byKind(objects, "ValidatingWebhookConfiguration")].flatMap((c) => (c as unknown as { webhooks: Webhook[] }).webhooks);
  const paths = webhooks.map((w) => w.clientConfig.service.path).sort();
  expect(paths).toEqual(["/admission/mutate", "/admission/validate"].filter((p) => paths.includes(p)));
  expect(paths).toContain("/admission/validate");
  for (const w of webhooks) {
    expect(w.admissionReviewVersions).toEqual(["v1"]);
    expect(w.clientConfig.service).toMatchObject({ name: service, namespace, port: 443 });
    expect(["Fail", "Ignore"]).toContain(w.failurePolicy);
    expect(w.timeoutSeconds).toBeGreaterThanOrEqual(1);
    expect(w.timeoutSeconds).toBeLessThanOrEqual(30);
    expect(w.namespaceSelector.matchLabels).toEqual({ "vouch.dev/admission": "enabled" });
    expect(w.matchConditions.map((m) => m.expression)).toContain(`request.namespace != "${namespace}"`);
    expect(w.sideEffects).toMatch(/^(None|NoneOnDryRun)$/);
    const resources = w.rules.flatMap((r) => r.resources);
    for (const r of ["pods", "pods/ephemeralcontainers", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs"]) expect(resources).toContain(r);
  }
}

describe("deploy/kubernetes", () => {
  const files = readdirSync(MANIFESTS).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
  const objects = files.flatMap((f) => parseYamlStream(readFileSync(join(MANIFESTS, f), "utf8"), f));

  it("every object is valid against Kubernetes' schemas", () => {
    expect(validateAll(objects).map((o) => o.kind).sort()).toEqual(
      ["ConfigMap", "Deployment", "MutatingWebhookConfiguration", "Namespace", "PodDisruptionBudget", "Service", "ServiceAccount", "ValidatingWebhookConfiguration"],
    );
  });

  it("wires the webhooks to the Service, the opt-in label, and never the webhook's own namespace", () => {
    checkWiring(objects, "vouch-system", "vouch-admission");
  });

  it("kustomization.yaml lists every manifest", () => {
    const kustomization = parseYamlStream(readFileSync(join(MANIFESTS, "kustomization.yaml"), "utf8"), "kustomization.yaml")[0] as unknown as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual([...files].sort());
  });

  const kustomize = spawnSync("kubectl", ["kustomize", MANIFESTS], { encoding: "utf8", timeout: 60_000 });
  const noKustomize = kustomize.error !== undefined || kustomize.status !== 0 ? `kubectl kustomize unavailable: ${kustomize.error?.message ?? kustomize.stderr.trim().split("\n")[0]}` : undefined;
  if (noKustomize !== undefined) console.warn(`[admission-deploy] kustomize build SKIPPED: ${noKustomize}`);
  it.skipIf(noKustomize !== undefined)("`kubectl kustomize` builds it, and the build validates", () => {
    const built = parseYamlStream(kustomize.stdout, "kustomize output");
    validateAll(built);
    checkWiring(built, "vouch-system", "vouch-admission");
  });
});

// --- the Helm chart ----------------------------------------------------------------------------------------------

/**
 * Renders this chart's templates for the test when no `helm` binary is available. It knows only the constructs the
 * chart uses — `.Values.a.b`, `.Release.Name|Namespace`, `| quote`, `toYaml X | nindent N`, `if X … end`, and `{{-` /
 * `-}}` trimming — and throws on anything else, so a template using more fails here rather than rendering wrong.
 */
function renderTemplate(text: string, context: { Values: unknown; Release: { Name: string; Namespace: string } }): string {
  const lookup = (path: string): unknown => {
    if (!path.startsWith(".")) throw new Error(`unsupported template value ${path}`);
    let node: unknown = context;
    for (const key of path.slice(1).split(".")) node = (node as Record<string, unknown> | undefined)?.[key];
    return node;
  };
  const pieces: ({ text: string } | { action: string; trimLeft: boolean; trimRight: boolean })[] = [];
  let last = 0;
  for (const m of text.matchAll(/\{\{(-?)\s*(.*?)\s*(-?)\}\}/g)) {
    pieces.push({ text: text.slice(last, m.index) });
    pieces.push({ action: m[2] ?? "", trimLeft: m[1] === "-", trimRight: m[3] === "-" });
    last = m.index + m[0].length;
  }
  pieces.push({ text: text.slice(last) });
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    if ("action" in p) {
      const before = pieces[i - 1];
      const after = pieces[i + 1];
      if (p.trimLeft && before && "text" in before) before.text = before.text.replace(/\s+$/, "");
      if (p.trimRight && after && "text" in after) after.text = after.text.replace(/^\s+/, "");
    }
  }
  const conditions: boolean[] = [];
  let out = "";
  for (const p of pieces) {
    const emitting = conditions.every(Boolean);
    if ("text" in p) {
      if (emitting) out += p.text;
      continue;
    }
    const ifMatch = /^if (\S+)$/.exec(p.action);
    if (ifMatch) {
      conditions.push(Boolean(lookup(ifMatch[1]!)));
      continue;
    }
    if (p.action === "end") {
      if (conditions.pop() === undefined) throw new Error("end without if");
      continue;
    }
    if (!emitting) continue;
    const toYaml = /^toYaml (\S+) \| nindent (\d+)$/.exec(p.action);
    if (toYaml) {
      const pad = " ".repeat(Number(toYaml[2]));
      out += `\n${stringify(lookup(toYaml[1]!)).trimEnd().split("\n").map((line) => pad + line).join("\n")}`;
      continue;
    }
    const quote = /^(\S+) \| quote$/.exec(p.action);
    if (quote) {
      out += JSON.stringify(String(lookup(quote[1]!) ?? ""));
      continue;
    }
    if (/^\.\S+$/.test(p.action)) {
      const value = lookup(p.action);
      if (value === undefined || typeof value === "object") throw new Error(`${p.action} is not a scalar`);
      out += String(value);
      continue;
    }
    throw new Error(`unsupported template action {{ ${p.action} }}`);
  }
  if (conditions.length > 0) throw new Error("if without end");
  return out;
}

function deepMerge(base: unknown, override: unknown): unknown {
  if (typeof base !== "object" || base === null || typeof override !== "object" || override === null || Array.isArray(override)) return override;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(override)) out[k] = deepMerge(out[k], v);
  return out;
}

const helm = spawnSync("helm", ["version", "--short"], { encoding: "utf8" });
const helmMissing = helm.error !== undefined || helm.status !== 0;

function renderChart(overrides: Record<string, unknown>, release = { Name: "vouch-admission", Namespace: "vouch-system" }): K8sObject[] {
  if (!helmMissing) {
    const sets = Object.entries(flatten(overrides)).flatMap(([k, v]) => ["--set-json", `${k}=${JSON.stringify(v)}`]);
    const r = spawnSync("helm", ["template", release.Name, CHART, "--namespace", release.Namespace, ...sets], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
    return parseYamlStream(r.stdout, "helm template");
  }
  const values = deepMerge(parseYamlStream(readFileSync(join(CHART, "values.yaml"), "utf8"), "values.yaml")[0], overrides);
  const templates = readdirSync(join(CHART, "templates")).filter((f) => f.endsWith(".yaml")).sort();
  return templates.flatMap((f) => parseYamlStream(renderTemplate(readFileSync(join(CHART, "templates", f), "utf8"), { Values: values, Release: release }), f));
}

function flatten(values: Record<string, unknown>, prefix = ""): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(values).flatMap(([k, v]) => (typeof v === "object" && v !== null && !Array.isArray(v) ? Object.entries(flatten(v as Record<string, unknown>, `${prefix}${k}.`)) : [[`${prefix}${k}`, v]])),
  );
}

describe("deploy/helm/vouch-admission", () => {
  if (helmMissing) console.warn("[admission-deploy] no helm binary (not in Debian 12 or npm): the chart is rendered by the test's renderer of the template subset it uses, then validated");

  it("Chart.yaml is a v2 application chart", () => {
    const chart = parseYamlStream(readFileSync(join(CHART, "Chart.yaml"), "utf8"), "Chart.yaml")[0] as unknown as Record<string, string>;
    expect(chart).toMatchObject({ apiVersion: "v2", name: "vouch-admission", type: "application" });
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("renders with default values into valid objects wired like deploy/kubernetes", () => {
    const objects = validateAll(renderChart({}));
    checkWiring(objects, "vouch-system", "vouch-admission");
    expect(byKind(objects, "MutatingWebhookConfiguration")).toHaveLength(1);
  });

  it("another release name and namespace rename everything, including the own-namespace exclusion", () => {
    const objects = validateAll(renderChart({ webhook: { failurePolicy: "Ignore", timeoutSeconds: 5, caBundle: "Q0E=" } }, { Name: "gate", Namespace: "security" }));
    checkWiring(objects, "security", "gate");
    const hooks = byKind(objects, "ValidatingWebhookConfiguration").flatMap((c) => (c as unknown as { webhooks: Webhook[] }).webhooks);
    expect(hooks[0]).toMatchObject({ failurePolicy: "Ignore", timeoutSeconds: 5, clientConfig: { caBundle: "Q0E=" } });
  });

  it("certManager.enabled adds a Certificate for the service's DNS names and the cainjector annotation; mutate: false drops the mutating webhook", () => {
    const objects = validateAll(renderChart({ certManager: { enabled: true, issuer: "cluster-ca" }, webhook: { mutate: false } }), ["cert-manager.io/v1/Certificate"]);
    checkWiring(objects, "vouch-system", "vouch-admission");
    expect(byKind(objects, "MutatingWebhookConfiguration")).toEqual([]);
    const [certificate] = byKind(objects, "Certificate") as unknown as { spec: { dnsNames: string[]; secretName: string; issuerRef: { name: string } } }[];
    expect(certificate?.spec).toEqual({
      secretName: "vouch-admission-tls",
      dnsNames: ["vouch-admission.vouch-system.svc", "vouch-admission.vouch-system.svc.cluster.local"],
      issuerRef: { name: "cluster-ca" },
    });
    expect(byKind(objects, "ValidatingWebhookConfiguration")[0]?.metadata.annotations).toEqual({ "cert-manager.io/inject-ca-from": "vouch-system/vouch-admission" });
  });
});
