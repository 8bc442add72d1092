import { readFileSync } from "node:fs";

/**
 * Reads a V8 .cpuprofile (what `node --cpu-prof` writes) and says where the time went: self time by function and by
 * area (package, dist/ folder, node internals), and inclusive time of chosen functions (a sample counts once for a
 * function however often it appears on that sample's stack, so recursion is not double-counted).
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Bucket {
  label: string;
  /** Function name as V8 reports it (private methods keep their "#"). */
  fn: string;
  /** A substring of the script URL (e.g. "dist/tlog/log.js"); any script when absent. */
  url?: string;
}

export interface ProfileSummary {
  /** Wall time the profile covers, ms. */
  wallMs: number;
  /** Sampled time that was not idle, ms (the denominator of every share). */
  busyMs: number;
  idleMs: number;
  gcMs: number;
  top: { name: string; ms: number }[];
  areas: { area: string; ms: number }[];
  buckets: { label: string; ms: number }[];
}

export function summarizeProfile(file: string, buckets: readonly Bucket[], topCount = 25, repo = ""): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time from sample i-1 to sample i; it is charged to sample i-1's node (what was running).
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }
  let idleUs = 0;
  let gcUs = 0;
  let busyUs = 0;
  const byName = new Map<string, number>();
  const byArea = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === "(idle)") {
      idleUs += us;
      continue;
    }
    busyUs += us;
    if (frame.functionName === "(garbage collector)") gcUs += us;
    const name = `${frame.functionName || "(anonymous)"} ${shortUrl(frame.url, repo)}${frame.url ? `:${frame.lineNumber + 1}` : ""}`;
    byName.set(name, (byName.get(name) ?? 0) + us);
    const area = areaOf(frame, repo);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  }
  const bucketUs = buckets.map(() => 0);
  const matches = (frame: CallFrame, b: Bucket) => frame.functionName === b.fn && (b.url === undefined || frame.url.includes(b.url));
  const stackCache = new Map<number, boolean[]>();
  const hitsFor = (id: number): boolean[] => {
    const cached = stackCache.get(id);
    if (cached) return cached;
    const node = byId.get(id)!;
    const up = parent.get(id);
    const above = up === undefined ? buckets.map(() => false) : hitsFor(up);
    const hits = buckets.map((b, i) => above[i]! || matches(node.callFrame, b));
    stackCache.set(id, hits);
    return hits;
  };
  for (const [id, us] of selfUs) {
    if (byId.get(id)!.callFrame.functionName === "(idle)") continue;
    hitsFor(id).forEach((hit, i) => {
      if (hit) bucketUs[i]! += us;
    });
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    wallMs: (profile.endTime - profile.startTime) / 1000,
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    gcMs: gcUs / 1000,
    top: sorted(byName)
      .slice(0, topCount)
      .map(([name, us]) => ({ name, ms: us / 1000 })),
    areas: sorted(byArea).map(([area, us]) => ({ area, ms: us / 1000 })),
    buckets: buckets.map((b, i) => ({ label: b.label, ms: bucketUs[i]! / 1000 })),
  };
}

function shortUrl(url: string, repo: string): string {
  let u = url.replace(/^file:\/\//, "");
  if (repo && u.startsWith(repo)) u = u.slice(repo.length + 1);
  return u.replace(/^.*node_modules\//, "node_modules/");
}

/** dist/<folder>[/<sub>], node_modules/<package>, node:<module>, or the V8 pseudo-frames. */
function areaOf(frame: CallFrame, repo: string): string {
  if (frame.url === "") return frame.functionName.startsWith("(") ? frame.functionName : "(native / builtins)";
  const u = shortUrl(frame.url, repo);
  if (u.startsWith("node:")) return u.replace(/^node:(internal\/)?/, "node:").split("/").slice(0, 2).join("/");
  const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (pkg) return pkg[1]!;
  const dist = /^dist\/([^/]+(?:\/[^/.]+(?=\/))?)/.exec(u);
  if (dist) return `dist/${dist[1]}`;
  return u;
}
