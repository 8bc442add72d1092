import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { pipeline, type Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { createGunzip } from "node:zlib";
import { VouchError } from "../../core/errors.js";
import type { EpssFeed, EpssScore } from "../../store/ports.js";

/**
 * FIRST's EPSS CSV (https://www.first.org/epss/data_stats, epss_scores-YYYY-MM-DD.csv[.gz]):
 *
 *     #model_version:v2025.03.14,score_date:2025-06-01T12:55:00Z
 *     cve,epss,percentile
 *     CVE-1999-0001,0.0109,0.77426
 *
 * The comment line and the header are read when the feed is opened (a wrong file is refused before anything is
 * written); the rows are read as the store consumes them. A row that is not `CVE id, probability, percentile` —
 * the usual sign of a truncated download — is refused naming its line, and so is a last line without its newline
 * (FIRST ends every line with one; a file cut inside the last number would otherwise read as a smaller score).
 * A file cut exactly at a line end cannot be told from a shorter one: the CSV carries no row count.
 * Gzip is read as such (FIRST publishes .csv.gz), recognised by its magic bytes.
 */
export async function openEpssCsv(file: string): Promise<EpssFeed> {
  const lines = csvLines(file);
  const first = await lines.next();
  const meta = first.done === true ? undefined : /^#model_version:([^,\s]+),score_date:(\S+)$/.exec(first.value.text);
  if (meta === undefined || meta === null) {
    await lines.return(undefined);
    throw new VouchError("INPUT_MALFORMED", "not an EPSS CSV: the first line must be #model_version:…,score_date:…", { file, line: 1 });
  }
  const [, modelVersion, scoreDate] = meta as unknown as [string, string, string];
  if (Number.isNaN(Date.parse(scoreDate))) {
    await lines.return(undefined);
    throw new VouchError("INPUT_MALFORMED", `not an EPSS CSV: score_date ${JSON.stringify(scoreDate)} is not a timestamp`, { file, line: 1 });
  }
  const header = await lines.next();
  if (header.done === true || header.value.text.trim() !== "cve,epss,percentile") {
    await lines.return(undefined);
    throw new VouchError("INPUT_MALFORMED", "not an EPSS CSV: the second line must be the header cve,epss,percentile", { file, line: 2 });
  }
  return { modelVersion, scoreDate, rows: epssRows(file, lines) };
}

const ROW = /^(CVE-\d{4}-\d{4,}),([0-9.eE+-]+),([0-9.eE+-]+)$/;

async function* epssRows(file: string, lines: AsyncGenerator<CsvLine>): AsyncGenerator<EpssScore> {
  const seen = new Set<string>();
  for await (const { text, number, terminated } of lines) {
    if (text === "" && terminated) continue;
    const bad = (why: string) => new VouchError("INPUT_MALFORMED", `EPSS CSV line ${number}: ${why} (got ${JSON.stringify(text.slice(0, 60))}; truncated download?)`, { file, line: number });
    if (!terminated) throw bad("the file ends inside this line");
    const m = ROW.exec(text.trimEnd());
    if (m === null) throw bad("not cve,epss,percentile");
    const epss = Number(m[2]);
    const percentile = Number(m[3]);
    if (!(epss >= 0 && epss <= 1) || !(percentile >= 0 && percentile <= 1)) throw bad("epss and percentile must be numbers from 0 to 1");
    if (seen.has(m[1]!)) throw bad(`${m[1]} appears twice`);
    seen.add(m[1]!);
    yield { cve: m[1]!, epss, percentile };
  }
}

interface CsvLine {
  text: string;
  /** 1-based */
  number: number;
  /** Whether a newline ended it. */
  terminated: boolean;
}

/** Lines of a text file (gzip or not), each telling whether its newline was there. */
async function* csvLines(file: string): AsyncGenerator<CsvLine> {
  let gzip: boolean;
  try {
    gzip = await startsWithGzipMagic(file);
  } catch (err) {
    throw unreadable(file, err);
  }
  const raw = createReadStream(file);
  // pipeline forwards a read error of the file to the gunzip stream, whose iteration then throws it.
  const stream: Readable = gzip ? pipeline(raw, createGunzip(), () => undefined) : raw;
  const decoder = new StringDecoder("utf8");
  let pending = "";
  let number = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const parts = (pending + decoder.write(chunk)).split("\n");
      pending = parts.pop()!;
      for (const part of parts) yield { text: part.endsWith("\r") ? part.slice(0, -1) : part, number: ++number, terminated: true };
    }
  } catch (err) {
    throw err instanceof VouchError ? err : unreadable(file, err);
  } finally {
    stream.destroy();
    raw.destroy();
  }
  pending += decoder.end();
  if (pending !== "") yield { text: pending, number: number + 1, terminated: false };
}

function unreadable(file: string, err: unknown): VouchError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new VouchError("INPUT_NOT_FOUND", "no such file", { file, cause: err });
  if (code === "Z_BUF_ERROR" || code === "Z_DATA_ERROR") return new VouchError("INPUT_MALFORMED", "EPSS CSV: the gzip stream is damaged or truncated", { file, cause: err });
  return new VouchError("INPUT_UNREADABLE", `cannot read (${code ?? (err instanceof Error ? err.message : "error")})`, { file, cause: err });
}

/** FIRST publishes .csv.gz: gzip is recognised by its magic bytes (1f 8b), not the name. */
async function startsWithGzipMagic(file: string): Promise<boolean> {
  const handle = await open(file, "r");
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}
