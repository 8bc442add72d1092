import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { VouchError } from "../core/errors.js";

/**
 * Where a CT log keeps each entry's extra_data (RFC 6962 §4.6: the submitted chain, which get-entries serves beside
 * the leaf). The Merkle tree holds only the MerkleTreeLeaf, so the chain lives beside it, keyed by the leaf hash.
 *
 * Contract: `put` completes before the leaf is sequenced, so every committed entry has its extra data unless the
 * medium lost it; `get` of an unknown leaf hash resolves undefined (get-entries then serves an empty extra_data).
 * Extra data is not covered by the tree: a reader that cares verifies the chain against the leaf itself.
 */
export interface ExtraDataStore {
  put(leafHash: Uint8Array, data: Uint8Array): Promise<void>;
  get(leafHash: Uint8Array): Promise<Uint8Array | undefined>;
}

/** In memory (tests, and a log whose monitors do not need chains). */
export function memoryExtraDataStore(): ExtraDataStore {
  const map = new Map<string, Uint8Array>();
  return {
    put: async (hash, data) => void map.set(hex(hash), data),
    get: async (hash) => map.get(hex(hash)),
  };
}

/**
 * One file per entry under `dir` (`<dir>/<first 2 hex>/<leaf hash hex>`), written to a temporary name and renamed so a
 * reader never sees half a file. Not fsynced: the chain is auxiliary (it is also in the CA's records), and an fsync
 * per issued certificate would halve the CA's rate; a power loss may leave a few entries without extra data.
 */
export function fileExtraDataStore(dir: string): ExtraDataStore {
  return {
    async put(hash, data) {
      const name = hex(hash);
      const folder = join(dir, name.slice(0, 2));
      const file = join(folder, name);
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        await mkdir(folder, { recursive: true, mode: 0o700 });
        await writeFile(tmp, data, { mode: 0o600 });
        await rename(tmp, file);
      } catch (error) {
        await rm(tmp, { force: true }).catch(() => undefined);
        throw new VouchError("STORE_UNAVAILABLE", "cannot write the CT entry's chain", { file, cause: error });
      }
    },
    async get(hash) {
      const name = hex(hash);
      try {
        return new Uint8Array(await readFile(join(dir, name.slice(0, 2), name)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw new VouchError("STORE_UNAVAILABLE", "cannot read the CT entry's chain", { cause: error });
      }
    },
  };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}
