import { describe, expect, it } from "vitest";
import type { TransparencyLogInstance } from "../../bundle/types.js";
import type { VouchError } from "../../core/errors.js";
import { isValidAt, selectLogKey } from "./select-log-key.js";

const id = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const log = (n: number, start: Date, end?: Date, baseUrl = `https://log${n}.example`): TransparencyLogInstance => ({
  baseUrl,
  hashAlgorithm: "SHA2_256",
  publicKeyDer: new Uint8Array([n]),
  keyDetails: "PKIX_ED25519",
  validFor: end === undefined ? { start } : { start, end },
  logId: id(n),
});
const t = (iso: string): Date => new Date(iso);
const failure = (fn: () => unknown): { code: string; message: string } | undefined => {
  try {
    fn();
  } catch (e) {
    return { code: (e as VouchError).code, message: (e as Error).message };
  }
  return undefined;
};

describe("isValidAt", () => {
  const start = t("2025-01-01T00:00:00Z");
  const end = t("2025-06-01T00:00:00Z");
  it("is a closed interval [start, end]", () => {
    expect(isValidAt({ start, end }, start)).toBe(true);
    expect(isValidAt({ start, end }, end)).toBe(true);
    expect(isValidAt({ start, end }, t("2024-12-31T23:59:59.999Z"))).toBe(false);
    expect(isValidAt({ start, end }, t("2025-06-01T00:00:00.001Z"))).toBe(false);
  });
  it("has no end when end is absent", () => {
    expect(isValidAt({ start }, t("2999-01-01T00:00:00Z"))).toBe(true);
  });
  it("is never valid without a usable start", () => {
    expect(isValidAt({ start: new Date(Number.NaN) }, t("2025-02-01T00:00:00Z"))).toBe(false);
    expect(isValidAt({ start: undefined as unknown as Date }, t("2025-02-01T00:00:00Z"))).toBe(false);
    expect(isValidAt(undefined, t("2025-02-01T00:00:00Z"))).toBe(false);
    expect(isValidAt({ start, end: new Date(Number.NaN) }, t("2025-02-01T00:00:00Z"))).toBe(false);
  });
});

describe("selectLogKey", () => {
  const tlogs = [
    log(1, t("2021-01-01T00:00:00Z")),
    log(2, t("2025-01-01T00:00:00Z"), t("2025-06-01T00:00:00Z")),
    // The same log ID listed twice (a key re-listed with a new window): either window will do.
    log(2, t("2026-01-01T00:00:00Z"), undefined, "https://log2-again.example"),
  ];

  it("picks the log by ID and time", () => {
    expect(selectLogKey(tlogs, id(1), t("2023-01-01T00:00:00Z"), "VERIFY_TLOG_SET").baseUrl).toBe("https://log1.example");
    expect(selectLogKey(tlogs, id(2), t("2025-06-01T00:00:00Z"), "VERIFY_TLOG_SET").baseUrl).toBe("https://log2.example");
    expect(selectLogKey(tlogs, id(2), t("2026-02-01T00:00:00Z"), "VERIFY_TLOG_SET").baseUrl).toBe("https://log2-again.example");
  });

  it("fails with the caller's code for an unknown log ID", () => {
    expect(failure(() => selectLogKey(tlogs, id(9), t("2025-02-01T00:00:00Z"), "VERIFY_TLOG_INCLUSION"))).toEqual({
      code: "VERIFY_TLOG_INCLUSION",
      message: "no transparency log in the trusted root has log ID CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=",
    });
  });

  it("fails between two validity windows, naming both", () => {
    expect(failure(() => selectLogKey(tlogs, id(2), t("2025-07-01T00:00:00Z"), "VERIFY_TLOG_SET"))).toEqual({
      code: "VERIFY_TLOG_SET",
      message:
        "the log key was not trusted at 2025-07-01T00:00:00.000Z: https://log2.example is trusted from 2025-01-01T00:00:00.000Z to 2025-06-01T00:00:00.000Z; https://log2-again.example is trusted from 2026-01-01T00:00:00.000Z",
    });
  });

  it("a key without a start verifies nothing (trust-root-tlog-missing-validity-start_fail)", () => {
    const noStart = [log(3, new Date(Number.NaN))];
    expect(failure(() => selectLogKey(noStart, id(3), t("2025-02-01T00:00:00Z"), "VERIFY_TLOG_INCLUSION"))?.message).toBe(
      "the log key was not trusted at 2025-02-01T00:00:00.000Z: https://log3.example is trusted never (its validity has no start)",
    );
  });

  it("refuses an invalid time", () => {
    expect(failure(() => selectLogKey(tlogs, id(1), new Date(Number.NaN), "VERIFY_TLOG_SET"))).toEqual({
      code: "VERIFY_TLOG_SET",
      message: "no valid time to choose the log key at",
    });
  });
});
