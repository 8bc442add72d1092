import { TOKEN_KEY } from "../lib/token";

/**
 * The typed API client: fetch against the same origin (the CSP's connect-src 'self'), the Bearer token from
 * localStorage when there is one, and the server's coded errors (`{ code, message }`) kept as they came.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** The app shell shows the sign-in form when any read answers 401. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export function readToken(): string | undefined {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    // Storage disabled (a privacy mode): the app still works for servers that allow anonymous reads.
    return undefined;
  }
}

export function storeToken(token: string | undefined): void {
  try {
    if (token === undefined) localStorage.removeItem(TOKEN_KEY);
    else localStorage.setItem(TOKEN_KEY, token);
  } catch {
    // See readToken.
  }
}

export type Params = Record<string, string | number | boolean | undefined>;

export function apiUrl(path: string, params: Params = {}): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") search.set(k, String(v));
  const qs = search.toString();
  return qs === "" ? path : `${path}?${qs}`;
}

export async function apiGet<T>(path: string, params: Params = {}, signal?: AbortSignal): Promise<T> {
  const url = apiUrl(path, params);
  const headers: Record<string, string> = { accept: "application/json" };
  const token = readToken();
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: signal ?? null, credentials: "omit", referrerPolicy: "no-referrer" });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(0, "NETWORK", `the server could not be reached (${error instanceof Error ? error.message : String(error)})`, path);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const coded = typeof body === "object" && body !== null ? (body as { code?: unknown; message?: unknown; error?: unknown }) : {};
    const code = typeof coded.code === "string" ? coded.code : `HTTP_${response.status}`;
    const message = typeof coded.message === "string" ? coded.message : typeof coded.error === "string" ? coded.error : response.statusText || `HTTP ${response.status}`;
    if (response.status === 401) for (const l of unauthorizedListeners) l();
    throw new ApiError(response.status, code, message, path);
  }
  if (body === undefined) throw new ApiError(response.status, "BAD_RESPONSE", "the server's answer is not JSON", path);
  return body as T;
}
