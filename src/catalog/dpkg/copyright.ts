import { field, parseParagraphs } from "./control.js";

/**
 * Licenses of a Debian package from its machine-readable copyright file (DEP-5,
 * https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/): the first line (the synopsis) of each
 * `License:` field of the header and of the `Files:` paragraphs, in order, without duplicates. Stand-alone
 * `License:` paragraphs only hold the text of a license named elsewhere, so they are read only when no
 * `Files:` paragraph names one. A copyright file that is not machine-readable gives none: its prose is not
 * guessed at.
 */
export function licensesFromCopyright(text: string): string[] {
  const paragraphs = parseParagraphs(text);
  const header = paragraphs[0];
  const format = header ? field(header, "format") ?? field(header, "format-specification") : undefined;
  if (!format || !/copyright-format|dep5|dep-5/i.test(format)) return [];
  const synopsis = (p: (typeof paragraphs)[number]) => field(p, "license")?.split("\n")[0]?.trim();
  const out: string[] = [];
  const add = (v: string | undefined) => {
    if (v && v.length <= 200 && !out.includes(v)) out.push(v);
  };
  add(synopsis(header!));
  for (const p of paragraphs.slice(1)) if (p.fields.has("files")) add(synopsis(p));
  if (out.length === 0) for (const p of paragraphs.slice(1)) add(synopsis(p));
  return out;
}
