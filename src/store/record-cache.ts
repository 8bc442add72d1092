/**
 * A least-recently-used cache of parsed JSON documents by id, bounded by the size of their JSON text, each entry
 * valid for one version tag. The advisory store keeps parsed OSV records here under their `modified`: a scan asks
 * about thousands of records, and parsing their JSON again on every scan was most of a scan's time (an OSV record
 * averages ~2.5 KB; a 5,000-component SBOM touches ~40 MB of them).
 */
export class ParsedCache<T> {
  readonly #entries = new Map<string, { version: string; value: T; bytes: number }>();
  #bytes = 0;

  /** `maxBytes`: the JSON text the cached values were parsed from, summed; 0 caches nothing. */
  constructor(private readonly maxBytes: number) {}

  /** The value cached for id at exactly this version (and marks it recently used). */
  get(id: string, version: string): T | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.version !== version) return undefined;
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    return entry.value;
  }

  set(id: string, version: string, value: T, bytes: number): void {
    const old = this.#entries.get(id);
    if (old !== undefined) {
      this.#entries.delete(id);
      this.#bytes -= old.bytes;
    }
    if (bytes > this.maxBytes) return;
    this.#entries.set(id, { version, value, bytes });
    this.#bytes += bytes;
    // Map iteration is insertion order, and get() re-inserts: the first entries are the least recently used.
    for (const [key, entry] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(key);
      this.#bytes -= entry.bytes;
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
