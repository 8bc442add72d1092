/**
 * Maven's ${property} interpolation over a fixed set of values (a model's <properties> and the project.*
 * built-ins). Values may refer to other values; a reference cycle or a missing key leaves the text
 * unresolved (undefined) rather than half-substituted.
 */

const REFERENCE = /\$\{([^}]*)\}/g;
/** A value that grows past this while expanding is treated as unresolvable (property "billion laughs"). */
const MAX_EXPANDED_LENGTH = 4096;

export class Interpolator {
  /** key -> expanded value, or null when the key cannot be resolved. */
  private readonly expanded = new Map<string, string | null>();

  constructor(private readonly values: ReadonlyMap<string, string>) {}

  /** The text with every ${key} expanded; undefined when any reference cannot be resolved. */
  resolve(text: string): string | undefined {
    return this.expand(text, new Set());
  }

  private expand(text: string, active: Set<string>): string | undefined {
    if (!text.includes("${")) return text;
    let unresolved = false;
    const out = text.replace(REFERENCE, (_match, key: string) => {
      const value = this.lookup(key.trim(), active);
      if (value === undefined) unresolved = true;
      return value ?? "";
    });
    return unresolved || out.length > MAX_EXPANDED_LENGTH ? undefined : out;
  }

  private lookup(key: string, active: Set<string>): string | undefined {
    const known = this.expanded.get(key);
    if (known !== undefined) return known ?? undefined;
    const raw = this.values.get(key);
    // A key already being expanded further up is a cycle: ${a} -> ${b} -> ${a}.
    if (raw === undefined || active.has(key)) return undefined;
    active.add(key);
    const value = this.expand(raw, active);
    active.delete(key);
    this.expanded.set(key, value ?? null);
    return value;
  }
}
