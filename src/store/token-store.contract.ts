import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StoredToken, TokenStore } from "./ports.js";

/**
 * The TokenStore conformance suite: every MUST and MUST NOT of ports.ts, run against every driver. A driver's test
 * file calls `describeTokenStoreContract` with a fixture that opens its store at a fresh, empty location per test.
 */

export interface TokenStoreFixture {
  /** Opens (again) the store at this fixture's location, which starts out empty. */
  open(): Promise<TokenStore>;
  /** Removes the location once every store on it is closed. */
  dispose?(): Promise<void>;
}

function token(id: string, change: Partial<StoredToken> = {}): StoredToken {
  return {
    id,
    name: `name of ${id}`,
    scopes: ["ingest", "read"],
    createdAt: "2026-01-01T00:00:00.000Z",
    hash: new Uint8Array(createHash("sha256").update(`vouch_${id}_secret`).digest()),
    ...change,
  };
}

export function describeTokenStoreContract(driver: string, makeFixture: () => Promise<TokenStoreFixture>): void {
  describe(`TokenStore contract: ${driver}`, () => {
    let fixture: TokenStoreFixture;
    let store: TokenStore;
    const opened: TokenStore[] = [];
    const open = async () => {
      const s = await fixture.open();
      opened.push(s);
      return s;
    };

    beforeEach(async () => {
      fixture = await makeFixture();
      store = await open();
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      await fixture.dispose?.();
    });

    it("finds a created token with its hash, scopes and times exactly as created; undefined for an unknown id", async () => {
      const t = token("a1", { scopes: ["read", "ingest", "read"], expiresAt: "2026-04-01T00:00:00.000Z" });
      await store.create(t);
      const found = await store.find("a1");
      expect(found).toEqual({ ...t, scopes: ["ingest", "read"] });
      expect(found?.hash).toBeInstanceOf(Uint8Array);
      expect(await store.find("a2")).toBeUndefined();
      expect(await store.find("")).toBeUndefined();
    });

    it("refuses an id already stored (STORE_CONFLICT) and keeps the first token", async () => {
      await store.create(token("dup"));
      await expect(store.create(token("dup", { scopes: ["admin"], name: "other" }))).rejects.toMatchObject({ code: "STORE_CONFLICT" });
      expect(await store.find("dup")).toMatchObject({ scopes: ["ingest", "read"], name: "name of dup" });
      expect(await store.list()).toHaveLength(1);
    });

    it("lists every token without hashes, revoked ones included, by creation time then id", async () => {
      await store.create(token("b", { createdAt: "2026-01-02T00:00:00.000Z" }));
      await store.create(token("c", { createdAt: "2026-01-01T00:00:00.000Z", name: undefined, scopes: ["admin"] }));
      await store.create(token("a", { createdAt: "2026-01-02T00:00:00.000Z" }));
      await store.revoke("a", "2026-02-01T00:00:00.000Z");
      const list = await store.list();
      expect(list.map((t) => t.id)).toEqual(["c", "a", "b"]);
      expect(list[0]).toEqual({ id: "c", scopes: ["admin"], createdAt: "2026-01-01T00:00:00.000Z" });
      expect(list[1]).toMatchObject({ revokedAt: "2026-02-01T00:00:00.000Z" });
      for (const t of list) expect(t).not.toHaveProperty("hash");
    });

    it("keeps the first revocation's time; revoking an unknown id changes nothing", async () => {
      await store.create(token("r"));
      expect(await store.revoke("r", "2026-02-01T00:00:00.000Z")).toMatchObject({ id: "r", revokedAt: "2026-02-01T00:00:00.000Z" });
      expect(await store.revoke("r", "2026-03-01T00:00:00.000Z")).toMatchObject({ revokedAt: "2026-02-01T00:00:00.000Z" });
      expect(await store.find("r")).toMatchObject({ revokedAt: "2026-02-01T00:00:00.000Z" });
      expect(await store.revoke("missing", "2026-02-01T00:00:00.000Z")).toBeUndefined();
      expect((await store.list()).map((t) => t.id)).toEqual(["r"]);
    });

    it("sees tokens created and revoked through another store on the same location (no caching)", async () => {
      const other = await open();
      expect(await store.find("x")).toBeUndefined();
      await other.create(token("x"));
      expect(await store.find("x")).toMatchObject({ id: "x" });
      await other.revoke("x", "2026-02-01T00:00:00.000Z");
      expect(await store.find("x")).toMatchObject({ revokedAt: "2026-02-01T00:00:00.000Z" });
    });

    it("stores SQL-significant characters in ids and names as data", async () => {
      const nasty = ["x' or '1'='1", "x\"; drop table index_tokens; --", "%", "_", "\\", "a b"];
      for (const [i, id] of nasty.entries()) await store.create(token(id, { name: `${id} name`, createdAt: `2026-01-01T00:00:0${i}.000Z` }));
      for (const id of nasty) expect(await store.find(id)).toMatchObject({ id, name: `${id} name` });
      expect(await store.find("x%")).toBeUndefined();
      expect(await store.find("_")).toMatchObject({ id: "_" });
      expect((await store.list()).map((t) => t.id)).toEqual(nasty);
      expect(await store.revoke("%", "2026-02-01T00:00:00.000Z")).toMatchObject({ id: "%" });
      expect((await store.list()).filter((t) => t.revokedAt !== undefined).map((t) => t.id)).toEqual(["%"]);
    });

    it("keeps tokens across a reopen, and a closed store refuses work (STORE_UNAVAILABLE)", async () => {
      await store.create(token("kept"));
      await store.close();
      await expect(store.find("kept")).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
      const again = await open();
      expect(await again.find("kept")).toMatchObject({ id: "kept" });
    });

    it("creates tokens concurrently without losing one", async () => {
      const other = await open();
      await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? store : other).create(token(`c${String(i).padStart(2, "0")}`))));
      expect((await store.list()).map((t) => t.id)).toEqual(Array.from({ length: 16 }, (_, i) => `c${String(i).padStart(2, "0")}`));
    });
  });
}
