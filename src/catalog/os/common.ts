import type { Property } from "../../sbom/model/types.js";
import type { CatalogContext, PackageRecord } from "../types.js";

/** Options shared by the OS package catalogers (dpkg, apk, rpm). */
export interface OsCatalogOptions {
  /**
   * Also list every file a package owns, with its digest when the package database records one, as one
   * `vouch:<eco>:file` property per file ("<alg>:<hex>  /path" or "/path"). Off by default: a Debian base image
   * owns ~10,000 files and the SBOM would grow tenfold; the count (`vouch:<eco>:fileCount`) is always recorded.
   */
  listFiles?: boolean;
}

export function addProperty(pkg: PackageRecord, name: string, value: string): void {
  const props: Property[] = (pkg.properties ??= []);
  if (!props.some((p) => p.name === name && p.value === value)) props.push({ name, value });
}

/** The file list properties of one package: the count always, each file only when asked for. */
export function addFileProperties(
  pkg: PackageRecord,
  prefix: string,
  files: readonly { path: string; digest?: string }[],
  options: OsCatalogOptions,
): void {
  addProperty(pkg, `${prefix}:fileCount`, String(files.length));
  if (!options.listFiles) return;
  for (const f of files) addProperty(pkg, `${prefix}:file`, f.digest ? `${f.digest}  ${f.path}` : f.path);
}

/**
 * A hostile or damaged database can produce one problem per line: report the first few and then how many
 * more there were, so the warnings stay readable and bounded.
 */
export class Warnings {
  private count = 0;

  constructor(
    private readonly ctx: Pick<CatalogContext, "warn">,
    private readonly limit = 20,
  ) {}

  warn(message: string, line?: number, file?: string): void {
    this.count++;
    if (this.count <= this.limit) this.ctx.warn(message, line, file);
  }

  /** Call once at the end of a parse. */
  flush(): void {
    if (this.count > this.limit) this.ctx.warn(`${this.count - this.limit} more problems like the above were not reported`);
  }
}

/** Text that is really binary (a NUL byte in the first 8 KiB): a package database is never that. */
export function looksBinary(text: string): boolean {
  return text.slice(0, 8192).includes("\u0000");
}
