import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isVouchError } from "../../core/errors.js";
import { catalogContext } from "../../../test/support/parse.js";
import { MemorySource } from "../sources/memory.js";
import { osCatalogers } from "./index.js";

/**
 * Every OS cataloger over damaged copies of its real fixtures (bytes flipped, cut short, spliced) gives packages,
 * warnings or a VouchError: never another exception, never a hang. Deterministic: a seeded generator.
 */

const CATALOG = join(import.meta.dirname, "..");
const CASES: { cataloger: string; fixture: string; path: string }[] = [
  { cataloger: "deb-dpkg-status", fixture: "dpkg/fixtures/debian-bookworm", path: "var/lib/dpkg/status" },
  { cataloger: "deb-dpkg-status-d", fixture: "dpkg/fixtures/distroless", path: "var/lib/dpkg/status.d/libssl3" },
  { cataloger: "apk-installed", fixture: "apk/fixtures/alpine-3.19", path: "lib/apk/db/installed" },
  { cataloger: "rpm-sqlite", fixture: "rpm/fixtures/fedora-39", path: "var/lib/rpm/rpmdb.sqlite" },
  { cataloger: "rpm-bdb", fixture: "rpm/fixtures/centos-7", path: "var/lib/rpm/Packages" },
];

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 0x100000000;
  };
}

function mutate(bytes: Uint8Array, rnd: () => number): Uint8Array {
  const out = Uint8Array.from(bytes);
  switch (Math.floor(rnd() * 3)) {
    case 0:
      for (let i = 0; i < 1 + rnd() * 16; i++) out[Math.floor(rnd() * out.length)] = Math.floor(rnd() * 256);
      return out;
    case 1:
      return out.slice(0, Math.floor(rnd() * out.length));
    default: {
      const at = Math.floor(rnd() * out.length);
      const len = Math.floor(rnd() * 64);
      const from = Math.floor(rnd() * out.length);
      out.copyWithin(at, from, from + len);
      return out;
    }
  }
}

describe("OS catalogers on damaged databases", () => {
  for (const c of CASES) {
    it(`${c.cataloger}: 150 damaged copies give packages, warnings or a coded error`, () => {
      const cataloger = osCatalogers.find((x) => x.name === c.cataloger)!;
      const original = readFileSync(join(CATALOG, c.fixture, c.path));
      const rnd = prng(0x5eed ^ c.path.length);
      const outcomes = { parsed: 0, refused: 0 };
      for (let i = 0; i < 150; i++) {
        const bytes = mutate(original, rnd);
        const source = new MemorySource({ [c.path]: bytes, "etc/os-release": "ID=debian\nVERSION_ID=12\n" });
        const file = cataloger.reads === "bytes" ? { path: c.path, text: "", bytes } : { path: c.path, text: source.readFile(c.path)! };
        try {
          const result = cataloger.parse(file, catalogContext(source));
          for (const p of result.packages) expect(p.purl).toMatch(/^pkg:(deb|apk|rpm)\//);
          outcomes.parsed++;
        } catch (err) {
          if (!isVouchError(err)) throw err;
          outcomes.refused++;
        }
      }
      expect(outcomes.parsed + outcomes.refused).toBe(150);
    });
  }
});
