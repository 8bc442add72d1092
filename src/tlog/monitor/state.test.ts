import { describe, expect, it } from "vitest";
import { createLogSigner } from "../log-signer.js";
import { rejectedVouchError, thrownVouchError } from "../../../test/support/errors.js";
import { memoryFiles } from "../../../test/support/monitor-harness.js";
import { ecdsaKey } from "../../../test/support/rekor-proposals.js";
import { archiveLine, fileMonitorState, parseArchive, type ArchivedCheckpoint } from "./state.js";

const signer = createLogSigner(ecdsaKey(), "state.test/log");
const root = (n: number) => new Uint8Array(32).fill(n);
const record = (size: number, trust: ArchivedCheckpoint["trust"] = "consistent"): ArchivedCheckpoint => ({
  origin: "state.test/log",
  size,
  rootHash: root(size),
  checkpoint: signer.checkpoint(size, root(size)),
  observedAt: "2025-01-01T00:00:00.000Z",
  trust,
});
const line = (r: ArchivedCheckpoint) => `${archiveLine(r)}\n`;

describe("checkpoint archive", () => {
  it("round-trips archived checkpoints", () => {
    const records = [record(1, "tofu"), record(5), record(9)];
    expect(parseArchive(records.map(line).join(""))).toEqual(records);
    expect(parseArchive("")).toEqual([]);
  });

  it("refuses a damaged archive with INPUT_MALFORMED naming the file and line", () => {
    const good = line(record(1, "tofu"));
    const other = createLogSigner(ecdsaKey(), "other.test/log");
    const cases: [string, number, RegExp][] = [
      [`${good}not json\n`, 2, /not a JSON line/],
      [`${good}[1]\n`, 2, /not a JSON object/],
      [`${good}${line(record(3)).replace('"trust"', '"extra":1,"trust"')}`, 2, /unknown field "extra"/],
      [`${good}${line(record(3)).replace('"size":3', '"size":-3')}`, 2, /size is not a tree size/],
      [`${good}${line(record(3)).replace(/"rootHash":"[0-9a-f]+"/, '"rootHash":"zz"')}`, 2, /rootHash is not/],
      [`${good}${line(record(3)).replace('"trust":"consistent"', '"trust":"maybe"')}`, 2, /trust is not one of/],
      [`${good}${line(record(3)).replace('"observedAt":"2025-01-01T00:00:00.000Z"', '"observedAt":"yesterday"')}`, 2, /observedAt/],
      [`${good}${line({ ...record(3), checkpoint: "garbage" })}`, 2, /does not parse/],
      [`${good}${line({ ...record(3), checkpoint: signer.checkpoint(4, root(3)) })}`, 2, /not the one the line describes/],
      [`${good}${line({ ...record(3), origin: "other.test/log", checkpoint: other.checkpoint(3, root(3)) })}`, 2, /origin "other.test\/log" differs/],
      [`${line(record(5))}${line(record(3))}`, 2, /size 3 does not increase/],
      [`${good}${line(record(3)).slice(0, 40)}`, 2, /incomplete/],
    ];
    for (const [text, lineNumber, message] of cases) {
      const error = thrownVouchError(() => parseArchive(text, "checkpoints.jsonl"));
      expect(error.code, text).toBe("INPUT_MALFORMED");
      expect(error.location, text).toEqual({ file: "checkpoints.jsonl", line: lineNumber });
      expect(error.message, text).toMatch(message);
    }
  });
});

describe("file monitor state", () => {
  const paths = { archive: "/m/checkpoints.jsonl", cursor: "/m/cursor.json" };

  it("appends checkpoints, replaces the cursor, and loads both back", async () => {
    const files = memoryFiles();
    const state = fileMonitorState(files, paths);
    const [first, second] = [record(2, "tofu"), record(7)];
    expect(await state.load()).toBeUndefined();
    await state.archive(first);
    expect(await fileMonitorState(files, paths).load()).toEqual({ latest: first, nextIndex: 2 });
    await state.saveCursor(1);
    await state.archive(second);
    const loaded = await fileMonitorState(files, paths).load();
    expect(loaded).toEqual({ latest: second, nextIndex: 1 });
    expect(files.files.get(paths.archive)!.split("\n")).toHaveLength(3);
    // Append-only, even if a caller tried otherwise.
    expect((await rejectedVouchError(() => state.archive(second))).code).toBe("INPUT_USAGE");
  });

  it("refuses a damaged cursor, or a cursor without an archive", async () => {
    const files = memoryFiles();
    files.files.set(paths.archive, line(record(4, "tofu")));
    for (const [cursor, message] of [
      ["{", /not JSON/],
      ['{"nextIndex": "3"}', /not an entry index/],
      ['{"nextIndex": 5}', /beyond the archived checkpoint of size 4/],
    ] as const) {
      files.files.set(paths.cursor, cursor);
      const error = await rejectedVouchError(() => fileMonitorState(files, paths).load());
      expect(error.code).toBe("INPUT_MALFORMED");
      expect(error.location.file).toBe(paths.cursor);
      expect(error.message).toMatch(message);
    }
    files.files.delete(paths.archive);
    files.files.set(paths.cursor, '{"nextIndex": 0}');
    expect((await rejectedVouchError(() => fileMonitorState(files, paths).load())).message).toMatch(/archive .* is missing/);
  });
});
