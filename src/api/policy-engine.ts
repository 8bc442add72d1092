import { createHash, randomUUID } from "node:crypto";
import { isVouchError, VouchError } from "../core/errors.js";
import { parseReference } from "../oci/reference.js";
import { cacheKey, Coalescer, exceptionBoundary, VerdictCache } from "../policy/cache.js";
import type { Decision, DecideRequest, EvaluationInput, ImageEvidence, ImageInput, ImageRequest, NoMatchAction, PolicyEngine, PolicyResult } from "../policy/decision.js";
import { evaluate as evaluatePolicies } from "../policy/evaluate.js";
import { DependencyHealth } from "../policy/health.js";
import type { ImagePolicy, ResourceRef } from "../policy/model/types.js";
import { coveringPolicies, imageNames } from "../policy/rules/matching.js";
import type { AdvisoryStore, DecisionStore } from "../store/ports.js";
import type { RegistryAccessOptions } from "./image-registry.js";
import { memoryContentCache, type ContentCache } from "./oci-content-cache.js";
import { reconcileDecisions } from "./admission-reconcile.js";
import { DecisionWriter } from "./decision-writer.js";
import { cosignSuffixesFor, createEvidenceGatherer, scanEvidence, type EvidenceGatherer } from "./policy-evidence.js";
import { loadPolicyTrust, type LoadedPolicyTrust, type TrustOptions } from "./policy-trust.js";

export interface PolicyEngineOptions extends RegistryAccessOptions {
  policies: readonly ImagePolicy[];
  /** Where keys and the default trusted root come from (loaded again on every setPolicies). */
  trust?: TrustOptions;
  /**
   * The advisory database, for policies with vulnerability rules: the image's SBOMs are scanned (scanEvidence). Its
   * outage (STORE_UNAVAILABLE) is an outage like a registry's. Without it such rules fail for want of a scan.
   */
  advisories?: AdvisoryStore;
  /**
   * The advisory database opened on first need (the deployment's own: `vouch admission serve` and `vouch serve` open
   * it as `vouch scan` does), kept, and closed with the engine; instead of `advisories`. `description` names it in
   * reasons. A failed open is an outage of the database (retried on the next need).
   */
  openAdvisories?: () => Promise<{ store: AdvisoryStore; description?: string }>;
  /** OpenVEX / CycloneDX VEX documents of the deployment, for vulnerability rules. */
  vex?: readonly Uint8Array[];
  /**
   * Decisions are recorded here (dry runs are not), in the background (DecisionWriter): `decide` answers without
   * waiting for the store, events are written in batches from the next turn of the event loop, `flush()` resolves
   * once every decision taken so far is written (or its failure reported to `onError`), and `close()` flushes. Past
   * `recordQueue` decisions waiting to be written, `decide` waits for room rather than dropping events.
   */
  store?: DecisionStore;
  /** Decisions waiting to be written at most before `decide` waits for the store (default 10,000). */
  recordQueue?: number;
  /** An image no policy covers (default deny). */
  noMatch?: NoMatchAction;
  /** The clock (default: the system's). Exceptions expire by it; cache TTLs count by it. */
  clock?: () => Date;
  cache?: {
    /** How long an allowed image's verdict is reused (default 5 minutes). */
    positiveTtlMs?: number;
    /** How long a denied or warned image's verdict is reused (default 30 s: a signature pushed after a deny is seen soon). */
    negativeTtlMs?: number;
    /** How long a tag's digest is reused (default 30 s; tags move). */
    resolveTtlMs?: number;
    /** Verdicts kept at most (default 10,000). */
    maxEntries?: number;
  };
  /** Content by digest (bundles, SBOMs, referrer manifests). Default: in memory. */
  contentCache?: ContentCache | false;
  /** The circuit breaker per registry: first probe delay and the longest one (default 1 s, 30 s). */
  breaker?: { baseDelayMs?: number; maxDelayMs?: number };
  /** Told about what the engine could not do without failing a decision (recording a decision, a probe). */
  onError?: (error: unknown, doing: string) => void;
  /** Ids of recorded events (default randomUUID). */
  newId?: () => string;
  /**
   * With `store`: every this many ms, re-decide the recorded decisions that need it once their dependencies are back
   * (reconcileDecisions, as `vouch admission reconcile` does). Default: never.
   */
  reconcileEvery?: number;
  /** The pure evaluation (default policy/evaluate.ts); tests of the engine's own logic may count calls. */
  evaluate?: (input: EvaluationInput) => Decision;
}

/** What the engine is doing, for readiness endpoints and reconciliation. */
export interface EngineHealth {
  /** Dependencies (`registry:<host>`) the breaker holds open, with why. */
  unhealthy: { dependency: string; reason: string; since: string; nextProbeAt: string }[];
}

export interface PolicyEngineWithHealth extends PolicyEngine {
  health(): EngineHealth;
  /**
   * Asks every unhealthy dependency whether it is back (a `GET /v2/` of the registry), ignoring the backoff: for
   * reconciliation, which re-decides only once dependencies are healthy. Resolves to the ones still unhealthy.
   */
  probe(): Promise<string[]>;
  /** Resolves once every decision taken so far is in the store (or its failure reported to onError). */
  flush(): Promise<void>;
}

const DEFAULTS = { positiveTtlMs: 5 * 60_000, negativeTtlMs: 30_000, resolveTtlMs: 30_000, maxEntries: 10_000 };
/** Admission waits on the registry: few tries, a short timeout, and the breaker handles an outage. */
const ADMISSION_CLIENT = { retry: { tries: 2, baseDelayMs: 100, maxDelayMs: 500 }, timeoutMs: 5_000 };

/**
 * The policy engine: gathers each image's evidence from its registry, evaluates the policies (policy/evaluate.ts,
 * pure), applies outage actions, and records the decision.
 *
 * - One verdict per (image reference, digest, policy set version, trust version, resource kind/namespace/labels) is
 *   cached, fresh for the positive or negative TTL and never past an exception's expiry; concurrent requests for one
 *   image share one registry walk and one evaluation.
 * - A registry that fails (SERVICE_UNAVAILABLE) is marked unhealthy: until the breaker's probe time, its images are
 *   decided at once by each covering policy's `onVerificationUnavailable` (use-cache replays the last verdict for the
 *   same inputs, even past its TTL); the first request after that probes, and a success returns the engine to
 *   normal evaluation.
 * - Every decision is recorded in `store` (source, resource, uid, allowed, needsReconciliation, the Decision), except
 *   dry runs; a failure to record is reported to `onError` and does not fail the decision.
 *
 * @example
 *   const engine = createPolicyEngine({ policies, store });
 *   const d = await engine.decide({ resource: { kind: "Pod", namespace: "prod" }, images: [{ reference: "ghcr.io/acme/app:1" }], source: "cli" });
 */
export function createPolicyEngine(options: PolicyEngineOptions): PolicyEngineWithHealth {
  const now = options.clock ?? (() => new Date());
  const nowMs = () => now().getTime();
  const ttl = { ...DEFAULTS, ...options.cache };
  const evaluate = options.evaluate ?? evaluatePolicies;
  const newId = options.newId ?? randomUUID;
  const onError = options.onError ?? (() => undefined);
  const gatherer: EvidenceGatherer = createEvidenceGatherer({
    ...options,
    clientOptions: { ...ADMISSION_CLIENT, ...options.clientOptions },
    cache: options.contentCache === undefined ? memoryContentCache() : options.contentCache,
  });
  const verdicts = new VerdictCache<Decision>({ positiveTtlMs: ttl.positiveTtlMs, negativeTtlMs: ttl.negativeTtlMs, maxEntries: ttl.maxEntries, now: nowMs });
  const digests = new VerdictCache<{ pinned: string; digest: string }>({ positiveTtlMs: ttl.resolveTtlMs, negativeTtlMs: 0, maxEntries: ttl.maxEntries, now: nowMs });
  const deciding = new Coalescer<Decision | { unavailable: string }>();
  const gathering = new Coalescer<ImageEvidence>();
  const resolving = new Coalescer<{ pinned: string; digest: string }>();
  const health = new DependencyHealth({ baseDelayMs: options.breaker?.baseDelayMs ?? 1000, maxDelayMs: options.breaker?.maxDelayMs ?? 30_000, now: nowMs });

  const advisoryDatabase = advisoryAccess(options);

  let current: { policies: readonly ImagePolicy[]; version: string; trust: Promise<LoadedPolicyTrust> };
  const setPolicies = (policies: readonly ImagePolicy[]) => {
    const version = createHash("sha256").update(policies.map((p) => p.version).join("\n")).digest("hex");
    const trust = loadPolicyTrust(policies, options.trust);
    trust.catch(() => undefined); // surfaced by the next decide
    current = { policies: [...policies], version, trust };
  };
  setPolicies(options.policies);

  /** A reference on each registry, for probing it (a resolve: it works with the registry's auth, anonymous or not). */
  const probeReference = new Map<string, string>();
  /**
   * Runs `work` against `dependency` through its breaker: `unavailable` when it is skipped (unhealthy, not yet due for
   * a probe) or fails with an outage code (SERVICE_UNAVAILABLE from a registry, STORE_UNAVAILABLE from the advisory
   * database). Any other error means the dependency answered: it is healthy, and the error is the caller's.
   */
  const throughBreaker = async <T>(dependency: string, work: () => Promise<T>): Promise<{ value: T } | { unavailable: string }> => {
    const admission = health.admit(dependency);
    if (admission === "skip") return { unavailable: `${dependency.replace(/^registry:/, "")} is unavailable (${health.state(dependency).reason ?? "failing"})` };
    try {
      const value = await work();
      if (admission === "probe" || !health.state(dependency).healthy) health.succeeded(dependency);
      return { value };
    } catch (error) {
      if (isVouchError(error) && (error.code === "SERVICE_UNAVAILABLE" || error.code === "STORE_UNAVAILABLE")) {
        health.failed(dependency, error.message);
        return { unavailable: error.message };
      }
      if (admission === "probe") health.succeeded(dependency);
      throw error;
    }
  };
  const throughRegistry = <T>(reference: string, work: () => Promise<T>) => {
    const dependency = registryDependency(reference);
    probeReference.set(dependency, reference);
    return throughBreaker(dependency, work);
  };

  type Pinned = { pinned: string; digest: string };
  /** `stale`: the registry is unavailable, and this is the digest it last gave for the tag. */
  const resolveDigest = (reference: string): Promise<{ value: Pinned; stale?: string } | { unavailable: string }> => {
    const named = digestOf(reference);
    if (named !== undefined) return Promise.resolve({ value: named });
    const hit = digests.lookup(reference);
    if (hit?.fresh) return Promise.resolve({ value: hit.value });
    return throughRegistry(reference, () =>
      resolving.run(reference, async () => {
        const resolved = await gatherer.resolve(reference);
        const value = { pinned: resolved.pinned, digest: resolved.digest };
        digests.store(reference, value, { positive: true });
        return value;
      }),
    ).then((r) => ("unavailable" in r && hit !== undefined ? { value: hit.value, stale: r.unavailable } : r));
  };

  const decideImage = async (request: DecideRequest, image: ImageRequest, decidedAt: Date): Promise<Decision> => {
    const { policies, version } = current;
    const trust = await current.trust;
    const resource: ResourceRef = { kind: request.resource.kind, ...(request.resource.namespace !== undefined ? { namespace: request.resource.namespace } : {}), ...(request.resource.labels !== undefined ? { labels: request.resource.labels } : {}) };
    const run = (input: ImageInput) => evaluate({ policies, resource, images: [input], trust, now: decidedAt, ...(options.noMatch !== undefined ? { noMatch: options.noMatch } : {}) });
    const path = image.path !== undefined ? { path: image.path } : {};
    /** The registry answered, but not with the image (not found, refused): its rules fail, and the reasons say why. */
    const unreadable = (error: unknown): Decision => {
      const why = describe(error);
      const decision = run({ reference: image.reference, ...path, evidence: emptyEvidence(image.reference, why) });
      return { ...decision, reasons: decision.reasons.map((r) => `${r} (${why})`) };
    };
    // An image no policy could cover is decided without asking its registry (noMatch).
    if (coveringPolicies(policies, resource, imageNames(image.reference)).length === 0 && !mayCoverPinned(policies, resource)) {
      return run({ reference: image.reference, ...path, evidence: emptyEvidence(image.reference) });
    }
    let resolved;
    try {
      resolved = await resolveDigest(image.reference);
    } catch (error) {
      return unreadable(error);
    }
    const key = (digest: string) => cacheKey([version, trust.version, image.reference, digest, resource.kind, resource.namespace, JSON.stringify(sortedLabels(resource.labels)), options.noMatch]);
    if ("unavailable" in resolved) {
      return run({ reference: image.reference, ...path, unavailable: resolved.unavailable });
    }
    const { pinned, digest } = resolved.value;
    const verdictKey = key(digest);
    const hit = verdicts.lookup(verdictKey);
    if (hit?.fresh && resolved.stale === undefined) return withPath(hit.value, image.path);
    const unavailable = (reason: string) => run({ reference: image.reference, ...path, unavailable: reason, ...(hit !== undefined ? { cached: cachedResults(hit.value) } : {}) });
    if (resolved.stale !== undefined) return unavailable(resolved.stale);
    const decided = await deciding.run(verdictKey, async () => {
      const covering = coveringPolicies(policies, resource, imageNames(image.reference, pinned));
      // Only the cosign tags the covering policies can use are asked for (each is a round trip per image).
      const cosignSuffixes = cosignSuffixesFor(covering);
      const gathered = await throughRegistry(image.reference, () => gathering.run(`${pinned}\u0000${cosignSuffixes.join(",")}`, () => gatherer.gather(pinned, { cosignSuffixes })));
      if ("unavailable" in gathered) return gathered;
      let evidence: ImageEvidence = { ...gathered.value, reference: image.reference, resolvedFromTag: digestOf(image.reference) === undefined, ...(options.vex !== undefined && options.vex.length > 0 ? { vex: options.vex } : {}) };
      if (advisoryDatabase.available && covering.some((p) => p.vulnerabilities !== undefined)) {
        const scanned = await throughBreaker("advisories", async () => scanEvidence(evidence, await advisoryDatabase.ready()));
        if ("unavailable" in scanned) return { unavailable: `the advisory database is unavailable (${scanned.unavailable})` };
        evidence = { ...evidence, ...(scanned.value.findings !== undefined ? { findings: scanned.value.findings } : {}), notes: [...evidence.notes, ...scanned.value.notes] };
      }
      const decision = run({ reference: image.reference, evidence });
      const boundary = exceptionBoundary(policies, decidedAt.getTime());
      verdicts.store(verdictKey, decision, { positive: decision.allowed && decision.warnings.length === 0, ...(boundary !== undefined ? { notAfter: boundary } : {}) });
      return decision;
    }).catch((error: unknown) => {
      if (!isVouchError(error)) throw error;
      return unreadable(error);
    });
    if ("unavailable" in decided) return unavailable(decided.unavailable);
    return withPath(decided, image.path);
  };

  const writer = options.store === undefined ? undefined : new DecisionWriter({ store: options.store, onError, ...(options.recordQueue !== undefined ? { maxQueue: options.recordQueue } : {}) });
  const record = async (request: DecideRequest, decision: Decision): Promise<void> => {
    if (writer === undefined || request.dryRun === true) return;
    const r = request.resource;
    const resource = { kind: r.kind, ...(r.namespace !== undefined ? { namespace: r.namespace } : {}), ...(r.name !== undefined ? { name: r.name } : {}), ...(r.labels !== undefined ? { labels: r.labels } : {}) };
    try {
      // Queued: written in the background (usually resolves at once; waits only when the queue is full).
      await writer.add({
        id: newId(),
        time: decision.decidedAt,
        source: request.source,
        resource,
        ...(request.uid !== undefined ? { uid: request.uid } : {}),
        ...(request.operation !== undefined ? { operation: request.operation } : {}),
        allowed: decision.allowed,
        needsReconciliation: decision.needsReconciliation,
        decision: decision as unknown as Record<string, unknown>,
      });
    } catch (error) {
      onError(error, "record a decision");
    }
  };

  const engine: PolicyEngineWithHealth = {
    async decide(request) {
      const decidedAt = now();
      const decisions = await Promise.all(request.images.map((image) => decideImage(request, image, decidedAt)));
      const decision = merge(decisions, decidedAt);
      await record(request, decision);
      return decision;
    },
    async resolve(reference) {
      try {
        const resolved = await resolveDigest(reference);
        if ("unavailable" in resolved) return { unavailable: resolved.unavailable };
        // A digest the tag named before the outage is good enough to replay a verdict, not to pin what will run.
        if (resolved.stale !== undefined) return { unavailable: resolved.stale };
        return resolved.value;
      } catch (error) {
        if (!isVouchError(error)) throw error;
        return { unavailable: error.message };
      }
    },
    setPolicies,
    policies: () => current.policies,
    health: () => ({
      unhealthy: health.unhealthy().map((dependency) => {
        const state = health.state(dependency);
        return { dependency, reason: state.reason ?? "", since: new Date(state.since ?? 0).toISOString(), nextProbeAt: new Date(state.nextProbeAt ?? 0).toISOString() };
      }),
    }),
    async probe() {
      for (const dependency of health.unhealthy()) {
        const reference = probeReference.get(dependency);
        const ask = dependency === "advisories" && advisoryDatabase.available ? () => advisoryDatabase.ready() : reference !== undefined ? () => gatherer.resolve(reference) : undefined;
        if (ask === undefined) continue;
        try {
          await ask();
          health.succeeded(dependency);
        } catch (error) {
          if (isVouchError(error) && (error.code === "SERVICE_UNAVAILABLE" || error.code === "STORE_UNAVAILABLE")) health.failed(dependency, error.message);
          else if (isVouchError(error)) health.succeeded(dependency); // it answered (not found, refused): it is up
          else onError(error, `probe ${dependency}`);
        }
      }
      return health.unhealthy();
    },
    flush: async () => {
      await writer?.flush();
    },
    async close() {
      if (timer !== undefined) clearInterval(timer);
      await reconciling;
      await writer?.close();
      await advisoryDatabase.close();
      verdicts.clear();
      digests.clear();
    },
  };

  // The background re-check: one run at a time; a failed run is reported and the next one tries again.
  let timer: ReturnType<typeof setInterval> | undefined;
  let reconciling: Promise<void> | undefined;
  const store = options.store;
  if (options.reconcileEvery !== undefined && store !== undefined) {
    if (!(options.reconcileEvery > 0)) throw new RangeError(`reconcileEvery must be positive, got ${options.reconcileEvery}`);
    timer = setInterval(() => {
      reconciling ??= reconcileDecisions({ store, engine })
        .then(
          () => undefined,
          (error: unknown) => onError(error, "reconcile decisions"),
        )
        .finally(() => (reconciling = undefined));
    }, options.reconcileEvery);
    timer.unref();
  }
  return engine;
}

/**
 * The advisory database as the engine uses it: given, or opened on first need and kept (closed with the engine).
 * `ready` answers it only when it holds records: an empty database (nothing imported yet) cannot judge a
 * vulnerability rule, so it is an outage of the database (STORE_UNAVAILABLE, naming `vouch db import`), which each
 * policy's onVerificationUnavailable meets, and not a pass for want of findings.
 */
function advisoryAccess(options: Pick<PolicyEngineOptions, "advisories" | "openAdvisories">) {
  let opened: Promise<{ store: AdvisoryStore; description?: string }> | undefined;
  const open = (): Promise<{ store: AdvisoryStore; description?: string }> => {
    if (options.advisories !== undefined) return Promise.resolve({ store: options.advisories });
    if (opened === undefined) {
      opened = options.openAdvisories!();
      // A failed open is not kept: the next need (or probe) tries again.
      opened.catch(() => (opened = undefined));
    }
    return opened;
  };
  return {
    available: options.advisories !== undefined || options.openAdvisories !== undefined,
    async ready(): Promise<AdvisoryStore> {
      let database;
      try {
        database = await open();
      } catch (error) {
        if (isVouchError(error) && error.code === "STORE_UNAVAILABLE") throw error;
        throw new VouchError("STORE_UNAVAILABLE", `cannot open the advisory database: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      if (!(await database.store.scanStatus()).holdsRecords) {
        throw new VouchError("STORE_UNAVAILABLE", `the advisory database${database.description !== undefined ? ` (${database.description})` : ""} is empty: import OSV records first (vouch db import PATH…)`);
      }
      return database.store;
    },
    async close(): Promise<void> {
      if (options.advisories !== undefined || opened === undefined) return;
      const database = await opened.catch(() => undefined);
      await database?.store.close();
    },
  };
}

/** The breaker's name for the registry an image lives in. */
function registryDependency(reference: string): string {
  try {
    return `registry:${parseReference(reference.startsWith("registry:") ? reference.slice(9) : reference).registry}`;
  } catch {
    return "registry:(unparseable reference)";
  }
}

function digestOf(reference: string): { pinned: string; digest: string } | undefined {
  try {
    const ref = parseReference(reference);
    return ref.digest === undefined ? undefined : { pinned: `${ref.registry}/${ref.repository}@${ref.digest}`, digest: ref.digest };
  } catch {
    return undefined;
  }
}

/** A glob naming a digest could cover the pinned form only; then the registry is asked even for an uncovered tag. */
function mayCoverPinned(policies: readonly ImagePolicy[], resource: ResourceRef): boolean {
  return policies.some((p) => p.resources.matches(resource) && p.images.include.some((g) => g.pattern.includes("@")));
}

/** Evidence of an image nothing could be found for: every rule that needs something fails, naming why. */
function emptyEvidence(reference: string, why?: string): ImageEvidence {
  return { reference, pinned: reference, digest: "", resolvedFromTag: false, bundles: [], sboms: [], notes: why === undefined ? [] : [why] };
}

function describe(error: unknown): string {
  if (!isVouchError(error)) throw error;
  return error.message;
}

function sortedLabels(labels: Readonly<Record<string, string>> | undefined): [string, string][] {
  return Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The policy results a cached single-image decision holds (what use-cache replays). */
function cachedResults(decision: Decision): PolicyResult[] {
  return decision.images.flatMap((i) => i.policies);
}

/** A cached single-image decision for another place in the resource. */
function withPath(decision: Decision, path: string | undefined): Decision {
  return { ...decision, images: decision.images.map(({ path: _old, ...image }) => ({ ...image, ...(path !== undefined ? { path } : {}) })) };
}

/** One resource's decision from its images' decisions. */
function merge(decisions: readonly Decision[], decidedAt: Date): Decision {
  return {
    allowed: decisions.every((d) => d.allowed),
    reasons: decisions.flatMap((d) => d.reasons),
    warnings: [...new Set(decisions.flatMap((d) => d.warnings))],
    images: decisions.flatMap((d) => d.images),
    needsReconciliation: decisions.some((d) => d.needsReconciliation),
    decidedAt: decidedAt.toISOString(),
  };
}
