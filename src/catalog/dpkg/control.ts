/**
 * deb822 control data (Debian Policy 5.1): paragraphs of `Field: value` lines separated by blank lines;
 * a line starting with a space or tab continues the field above. Used by the dpkg status database and by
 * machine-readable copyright files. Field names are case-insensitive: they are kept lower-cased.
 */

export interface Field {
  /** The value: the first line trimmed, continuation lines joined with "\n" (each trimmed of its leading space). */
  value: string;
  /** 1-based line of the field name. */
  line: number;
}

export interface Paragraph {
  /** 1-based line the paragraph starts on. */
  line: number;
  fields: Map<string, Field>;
}

export interface ControlProblem {
  message: string;
  line: number;
}

/** Lines that are neither a field, a continuation, a comment nor blank are reported and skipped. */
export function parseParagraphs(text: string, onProblem: (p: ControlProblem) => void = () => {}): Paragraph[] {
  const paragraphs: Paragraph[] = [];
  let current: Paragraph | undefined;
  let last: Field | undefined;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const lineNo = i + 1;
    if (line.trim() === "") {
      current = undefined;
      last = undefined;
      continue;
    }
    if (line.startsWith("#")) continue;
    if (line.startsWith(" ") || line.startsWith("\t")) {
      if (!last) {
        onProblem({ message: "continuation line without a field above it", line: lineNo });
        continue;
      }
      const rest = line.slice(1);
      last.value += `\n${rest.trim() === "." ? "" : rest}`;
      continue;
    }
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    if (!/^[!-9;-~][!-9;-~]*$/.test(name)) {
      onProblem({ message: `not a "Field: value" line: ${JSON.stringify(line.slice(0, 60))}`, line: lineNo });
      last = undefined;
      continue;
    }
    if (!current) {
      current = { line: lineNo, fields: new Map() };
      paragraphs.push(current);
    }
    const key = name.toLowerCase();
    if (current.fields.has(key)) {
      onProblem({ message: `field ${name} repeated in one paragraph; the first one is kept`, line: lineNo });
      last = undefined;
      continue;
    }
    last = { value: line.slice(colon + 1).trim(), line: lineNo };
    current.fields.set(key, last);
  }
  return paragraphs;
}

/** A field's value, or undefined when the paragraph has none (or it is empty). */
export function field(p: Paragraph, name: string): string | undefined {
  const v = p.fields.get(name)?.value.trim();
  return v === undefined || v === "" ? undefined : v;
}

/**
 * Names in a relationship field (Depends, Pre-Depends, Provides): comma-separated groups of `|` alternatives,
 * with version constraints `(>= 1.0)`, architecture restrictions `[amd64]`, build profiles `<!nocheck>` and
 * architecture qualifiers `:any` stripped. Each group is the list of its alternatives' names.
 */
export function relationshipGroups(value: string | undefined): string[][] {
  if (!value) return [];
  const groups: string[][] = [];
  for (const group of value.split(",")) {
    const names: string[] = [];
    for (const alt of group.split("|")) {
      const name = alt
        .replace(/\([^)]*\)/g, " ")
        .replace(/\[[^\]]*\]/g, " ")
        .replace(/<[^>]*>/g, " ")
        .trim()
        .split(/\s+/)[0]!
        .replace(/:[a-z0-9-]+$/, "");
      if (name !== "" && !names.includes(name)) names.push(name);
    }
    if (names.length > 0) groups.push(names);
  }
  return groups;
}
