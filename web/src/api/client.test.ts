import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError, apiGet, apiUrl, onUnauthorized, storeToken } from "./client";

/** The browser pieces the client touches, as small fakes: a Map-backed localStorage and a recording fetch. */
function fakeStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, String(v)),
  };
}

let calls: { url: string; init: RequestInit }[] = [];
function answer(status: number, body: string) {
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(body, { status, headers: { "content-type": "application/json" } });
    }),
  );
}

beforeEach(() => {
  calls = [];
  vi.stubGlobal("localStorage", fakeStorage());
});
afterEach(() => vi.unstubAllGlobals());

describe("API client", () => {
  it("builds query strings, leaving out unset parameters", () => {
    expect(apiUrl("/api/v1/decisions", { allowed: false, limit: 100, cursor: undefined, q: "" })).toBe("/api/v1/decisions?allowed=false&limit=100");
    expect(apiUrl("/api/v1/affected", { purl: "pkg:maven/a/b", range: "<2.17.1" })).toBe("/api/v1/affected?purl=pkg%3Amaven%2Fa%2Fb&range=%3C2.17.1");
    expect(apiUrl("/api/v1/keys")).toBe("/api/v1/keys");
  });

  it("sends the stored token as a Bearer credential, and none without one", async () => {
    answer(200, '{"ok":true}');
    await expect(apiGet("/api/v1/keys")).resolves.toEqual({ ok: true });
    expect((calls[0]!.init.headers as Record<string, string>).authorization).toBeUndefined();
    storeToken("vouch_t0ken");
    await apiGet("/api/v1/keys");
    expect((calls[1]!.init.headers as Record<string, string>).authorization).toBe("Bearer vouch_t0ken");
    expect(calls[1]!.init.credentials).toBe("omit");
  });

  it("keeps the server's coded error and tells the shell to sign in on 401", async () => {
    const signIn = vi.fn();
    const off = onUnauthorized(signIn);
    answer(401, '{"code":401,"message":"a read token is required"}');
    const error = await apiGet("/api/v1/slis").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, code: "HTTP_401", message: "a read token is required", path: "/api/v1/slis" });
    expect(signIn).toHaveBeenCalledTimes(1);
    answer(400, '{"code":"INPUT_USAGE","message":"range goes with purl"}');
    await expect(apiGet("/api/v1/affected")).rejects.toMatchObject({ status: 400, code: "INPUT_USAGE", message: "range goes with purl" });
    expect(signIn).toHaveBeenCalledTimes(1);
    off();
  });

  it("refuses an answer that is not JSON, and says when the server cannot be reached", async () => {
    answer(200, "<html>");
    await expect(apiGet("/api/v1/keys")).rejects.toMatchObject({ code: "BAD_RESPONSE" });
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("fetch failed"))));
    await expect(apiGet("/api/v1/keys")).rejects.toMatchObject({ status: 0, code: "NETWORK" });
  });
});
