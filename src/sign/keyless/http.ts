import { VouchError, type VouchErrorCode } from "../../core/errors.js";

/**
 * The slice of fetch the keyless client uses (injected: tests, proxies, and a CA or TSA behind a custom agent).
 * Global fetch satisfies it. Bodies are bytes because the TSA speaks DER (RFC 3161 §3.4).
 */
export type KeylessFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string | Uint8Array },
) => Promise<{ status: number; headers: { get(name: string): string | null }; arrayBuffer(): Promise<ArrayBuffer> }>;

export const defaultFetch: KeylessFetch = (url, init) => fetch(url, init);

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: Uint8Array;
}

/**
 * One request; a transport failure (refused connection, DNS, TLS) becomes `unreachable` with the URL, so every
 * keyless error names the service that failed.
 */
export async function send(fetcher: KeylessFetch, url: string, init: Parameters<KeylessFetch>[1], unreachable: VouchErrorCode, service: string): Promise<HttpAnswer> {
  try {
    const response = await fetcher(url, init);
    return { status: response.status, contentType: response.headers.get("content-type") ?? "", body: new Uint8Array(await response.arrayBuffer()) };
  } catch (error) {
    throw new VouchError(unreachable, `cannot reach the ${service} at ${url}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The reason a service gave for an error, on one line: the `message` of a JSON error body (Fulcio's grpc-gateway
 * `{code, message}`, vouch's `{code, message}`), else the text itself, whitespace collapsed and cut at 300 characters
 * (an HTML error page from a proxy must not flood the terminal).
 */
export function reasonOf(body: Uint8Array): string {
  const text = Buffer.from(body).toString("utf8");
  let reason = text;
  try {
    const json: unknown = JSON.parse(text);
    if (typeof json === "object" && json !== null && typeof (json as { message?: unknown }).message === "string") reason = (json as { message: string }).message;
  } catch {
    // not JSON: the text is the reason
  }
  const line = reason.replace(/\s+/g, " ").trim();
  if (line === "") return "(no reason given)";
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** `base` without trailing slashes, for appending API paths. */
export function trimBase(base: string): string {
  return base.replace(/\/+$/, "");
}
