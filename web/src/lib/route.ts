/**
 * The dashboard's routes (History API paths; the server falls back to index.html for exactly these, issue 11 brief).
 * Pure so it is tested in node; the React side (router.tsx) only listens to popstate and renders.
 */
/** The executive view's scope (Grafana's variables): one team, environment or service, in the address. */
export interface SliFilter {
  team?: string;
  environment?: string;
  service?: string;
}

export type Route =
  | { name: "executive"; filter: SliFilter }
  | { name: "oncall" }
  | { name: "impact"; query: string; range: string }
  | { name: "artifact"; digest: string }
  | { name: "keys" }
  | { name: "not-found"; path: string };

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function parseRoute(pathname: string, search = ""): Route {
  const path = pathname.replace(/\/+$/, "") || "/";
  if (path === "/") {
    const params = new URLSearchParams(search);
    const filter: SliFilter = {};
    for (const k of ["team", "environment", "service"] as const) {
      const v = params.get(k);
      if (v !== null && v !== "") filter[k] = v;
    }
    return { name: "executive", filter };
  }
  if (path === "/oncall") return { name: "oncall" };
  if (path === "/keys") return { name: "keys" };
  if (path === "/impact") {
    const params = new URLSearchParams(search);
    return { name: "impact", query: params.get("q") ?? "", range: params.get("range") ?? "" };
  }
  const artifact = /^\/artifacts\/([^/]+)$/.exec(path);
  if (artifact !== null) {
    let digest: string;
    try {
      digest = decodeURIComponent(artifact[1]!);
    } catch {
      return { name: "not-found", path };
    }
    return { name: "artifact", digest };
  }
  return { name: "not-found", path };
}

export function executivePath(filter: SliFilter): string {
  const params = new URLSearchParams();
  for (const k of ["team", "environment", "service"] as const) if (filter[k] !== undefined && filter[k] !== "") params.set(k, filter[k]!);
  const qs = params.toString();
  return qs === "" ? "/" : `/?${qs}`;
}

export function artifactPath(digest: string): string {
  // The colon stays as is (a path segment may hold it); everything else a digest never has is escaped.
  return `/artifacts/${encodeURIComponent(digest).replace(/%3A/gi, ":")}`;
}

/**
 * What the header's digest box accepts: `sha256:<hex>`, bare 64 hex, or an image reference pinned by digest
 * (`registry/app@sha256:…`); undefined when it holds no digest.
 */
export function digestFromInput(text: string): string | undefined {
  const t = text.trim().toLowerCase();
  const m = /(?:^|@)(sha256:)?([0-9a-f]{64})$/.exec(t);
  if (m === null) return undefined;
  const digest = `sha256:${m[2]}`;
  return DIGEST.test(digest) ? digest : undefined;
}
