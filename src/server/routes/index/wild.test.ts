import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken } from "../../../api/tokens.js";
import { createIndexService } from "../../../sbom-index/service.js";
import type { TokenStore } from "../../../store/ports.js";
import { openSqliteIndexStore } from "../../../store/sqlite/index-store.js";
import { openSqliteTokenStore } from "../../../store/sqlite/token-store.js";
import { buildApp } from "../../app.js";

/**
 * The index API over the real index service on SQLite, fed every SBOM of test/fixtures/sboms-in-the-wild over HTTP:
 * each one is indexed (201) or refused with a reason (400), never a 5xx; a refused one leaves nothing behind.
 */
const WILD = join(import.meta.dirname, "..", "..", "..", "..", "test", "fixtures", "sboms-in-the-wild");

describe("the index API over the real service: SBOMs from the wild", () => {
  let dir: string;
  let app: FastifyInstance;
  let tokens: TokenStore;
  let token: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "vouch-index-wild-"));
    tokens = await openSqliteTokenStore(join(dir, "index.sqlite"));
    token = (await createToken(tokens, { scopes: ["admin"] })).token;
    const service = createIndexService({ store: await openSqliteIndexStore(join(dir, "index.sqlite")) });
    app = await buildApp({ index: { service, tokens } });
  });
  afterAll(async () => {
    await app.close();
    await tokens.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("indexes each file or refuses it with a reason, and answers name queries over what it indexed", async () => {
    const files = readdirSync(WILD).filter((f) => f.endsWith(".json")).sort();
    expect(files.length).toBeGreaterThan(20);
    const outcomes: Record<string, number> = {};
    for (const file of files) {
      const res = await app.inject({
        method: "POST",
        url: `/api/v1/sboms?service=${encodeURIComponent(file.replace(/\.json$/, "").replace(/[^A-Za-z0-9._-]/g, "-"))}`,
        payload: readFileSync(join(WILD, file)),
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      });
      outcomes[file] = res.statusCode;
      expect([201, 400], `${file}: ${res.body.slice(0, 300)}`).toContain(res.statusCode);
      if (res.statusCode === 400) expect(res.json().message.length, file).toBeGreaterThan(10);
      else expect(res.json().components, file).toBeGreaterThanOrEqual(0);
    }
    // The two files named broken/invalid are the refusal cases the corpus keeps; the tools' own output is indexed.
    for (const [file, status] of Object.entries(outcomes)) if (!/^(broken|invalid)_/.test(file)) expect(status, file).toBe(201);
    const curl = await app.inject({ url: "/api/v1/affected?name=curl", headers: { authorization: `Bearer ${token}` } });
    expect(curl.statusCode).toBe(200);
    expect(curl.json().artifacts.map((a: { service: string }) => a.service)).toContain("spdx23_apko_curl");
  }, 120_000);
});
