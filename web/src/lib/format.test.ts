import { describe, expect, it } from "vitest";
import { dataValue, formatPercent, formatTime, shortDigest } from "./format";
import { bandCenter, bandWidth, labelIndexes, linePath, linearScale, niceTicks } from "./scale";

describe("percent formatting", () => {
  it("shows one decimal, rounding half up, and a dash for no value", () => {
    expect(formatPercent(2 / 3)).toBe("66.7%");
    expect(formatPercent(1)).toBe("100.0%");
    expect(formatPercent(0)).toBe("0.0%");
    expect(formatPercent(0.9995)).toBe("100.0%");
    expect(formatPercent(0.0004)).toBe("0.0%");
    expect(formatPercent(-0.00001)).toBe("0.0%");
    expect(formatPercent(0.125)).toBe("12.5%");
    expect(formatPercent(null)).toBe("—");
    expect(formatPercent(undefined)).toBe("—");
    expect(formatPercent(Number.NaN)).toBe("—");
  });

  it("writes the contract's data-value: three decimals or absent", () => {
    expect(dataValue(0.667)).toBe("0.667");
    expect(dataValue(2 / 3)).toBe("0.667");
    expect(dataValue(1)).toBe("1.000");
    expect(dataValue(null)).toBe("absent");
  });

  it("shortens digests and formats times in UTC", () => {
    expect(shortDigest(`sha256:${"ab".repeat(32)}`)).toBe("sha256:abababababab…");
    expect(shortDigest("sha256:abc")).toBe("sha256:abc");
    expect(formatTime("2025-03-14T09:26:53.589Z")).toBe("2025-03-14 09:26 UTC");
    expect(formatTime("not a time")).toBe("not a time");
  });
});

describe("chart scales", () => {
  it("maps a ratio domain onto an inverted pixel range", () => {
    const y = linearScale([0, 1], [140, 10]);
    expect(y(0)).toBe(140);
    expect(y(1)).toBe(10);
    expect(y(0.5)).toBe(75);
    expect(linearScale([3, 3], [0, 100])(3)).toBe(50);
  });

  it("centers buckets in equal bands", () => {
    expect(bandCenter(0, 4, [0, 100])).toBe(12.5);
    expect(bandCenter(3, 4, [0, 100])).toBe(87.5);
    expect(bandCenter(0, 1, [0, 100])).toBe(50);
    expect(bandWidth(4, [0, 100], 0.8)).toBe(20);
    expect(bandWidth(0, [0, 100])).toBe(0);
  });

  it("picks whole nice ticks covering the maximum", () => {
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(niceTicks(1)).toEqual([0, 1]);
    expect(niceTicks(7)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(10)).toEqual([0, 5, 10]);
    expect(niceTicks(37)).toEqual([0, 10, 20, 30, 40]);
    for (const max of [2, 3, 9, 99, 101, 1234]) {
      const ticks = niceTicks(max);
      expect(ticks[0]).toBe(0);
      expect(ticks.at(-1)!).toBeGreaterThanOrEqual(max);
      expect(ticks.every((t) => Number.isInteger(t))).toBe(true);
    }
  });

  it("labels about n buckets, always the last", () => {
    expect(labelIndexes(30, 6)).toEqual([4, 9, 14, 19, 24, 29]);
    expect(labelIndexes(3, 6)).toEqual([0, 1, 2]);
    expect(labelIndexes(0)).toEqual([]);
  });

  it("breaks the line where a bucket has no value", () => {
    expect(linePath([{ x: 0, y: 1 }, { x: 1, y: 2 }, null, { x: 3, y: 4 }])).toBe("M0,1L1,2M3,4");
    expect(linePath([null, null])).toBe("");
  });
});
