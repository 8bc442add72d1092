/**
 * The API token: `#token=…` in the address (what `scripts/demo.sh` prints) is taken once at start, stored in
 * localStorage (`vouch.token`) and removed from the address bar, so it never reaches a server log, the history or a
 * Referer. Pure over the strings; main.tsx does the storage and history calls.
 */
export const TOKEN_KEY = "vouch.token";

export function tokenFromFragment(hash: string): { token?: string; rest: string } {
  const fragment = hash.startsWith("#") ? hash.slice(1) : hash;
  if (fragment === "") return { rest: "" };
  const params = new URLSearchParams(fragment);
  const token = params.get("token");
  if (token === null) return { rest: hash };
  params.delete("token");
  const rest = params.toString();
  const clean = token.trim();
  return clean === "" ? { rest: rest === "" ? "" : `#${rest}` } : { token: clean, rest: rest === "" ? "" : `#${rest}` };
}
