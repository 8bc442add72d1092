import { base64ToHex } from "../../core/encoding/base64.js";

/**
 * go.sum: one line per checksum, `<module> <version>[/go.mod] h1:<base64>`.
 *
 * The `h1:` value is Go's dirhash (golang.org/x/mod/sumdb/dirhash.Hash1): the SHA-256 of a text listing the
 * SHA-256 of every file in the module zip ("<hex>  <module>@<version>/<file>\n", sorted). It is therefore NOT
 * the digest of any artifact a consumer can download (not the .zip, not the .mod), so it is not offered as
 * a SHA-256 hash of the component: a verifier comparing it to a download's SHA-256 would always fail. It is
 * kept verbatim instead, as Go's own tooling (and the checksum database) can check it.
 *
 * `/go.mod` lines hash only the module's go.mod file, fetched during module-graph pruning; they say nothing
 * about the module's code and are not components.
 */
export interface GoSum {
  /** "module version" -> "h1:..." for the module-content lines. */
  h1: Map<string, string>;
  /** Problems met, as "go.sum:<line>: <message>" (the catalog's warning line belongs to go.mod). */
  problems: string[];
}

export function parseGoSum(text: string): GoSum {
  const h1 = new Map<string, string>();
  const problems: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    const fields = line.split(/\s+/);
    if (fields.length !== 3) {
      problems.push(`go.sum:${i + 1}: expected "<module> <version> <hash>"; line ignored`);
      continue;
    }
    const [module, version, hash] = fields as [string, string, string];
    if (version.endsWith("/go.mod")) continue;
    if (!hash.startsWith("h1:")) continue; // a future hash kind Go itself would skip
    if (!isSha256Base64(hash.slice(3))) {
      problems.push(`go.sum:${i + 1}: malformed h1 hash for ${module}@${version}; ignored`);
      continue;
    }
    h1.set(`${module} ${version}`, hash);
  }
  return { h1, problems };
}

function isSha256Base64(b64: string): boolean {
  return base64ToHex(b64)?.length === 64;
}
