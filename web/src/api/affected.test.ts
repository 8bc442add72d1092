import { afterEach, describe, expect, it, vi } from "vitest";
import { affectedWhole } from "./affected";

/** Pages of a paged impact answer as the route gives them: `next` until the last. */
function pages(...bodies: object[]) {
  const urls: string[] = [];
  vi.stubGlobal("localStorage", { getItem: () => null });
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string) => {
      urls.push(url);
      const body = bodies[urls.length - 1] ?? bodies.at(-1);
      return new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } });
    }),
  );
  return urls;
}

const base = { query: {}, total: 3, services: ["a", "b", "c"], environments: ["prod"], tookMs: 1 };
const artifact = (service: string) => ({ service, sbom: `sha256:${service.repeat(64)}`, components: [], deployments: [] });

afterEach(() => vi.unstubAllGlobals());

describe("affectedWhole", () => {
  it("walks the pages with the route's largest page and joins the artifacts", async () => {
    const urls = pages({ ...base, artifacts: [artifact("a"), artifact("b")], next: "c1" }, { ...base, artifacts: [artifact("c")] });
    const whole = await affectedWhole({ purl: "pkg:npm/x", range: "<2" });
    expect(whole.artifacts.map((a) => a.service)).toEqual(["a", "b", "c"]);
    expect(whole.next).toBeUndefined();
    expect(urls).toEqual(["/api/v1/affected?purl=pkg%3Anpm%2Fx&range=%3C2&limit=10000", "/api/v1/affected?purl=pkg%3Anpm%2Fx&range=%3C2&limit=10000&cursor=c1"]);
  });

  it("stops with an error when a page does not advance, instead of looping", async () => {
    pages({ ...base, artifacts: [artifact("a")], next: "same" }, { ...base, artifacts: [artifact("b")], next: "same" });
    await expect(affectedWhole({ name: "x" })).rejects.toThrow(/do not advance/);
  });
});
