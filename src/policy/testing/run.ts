import type { Decision, ImageInput, NoMatchAction, PolicyTrust } from "../decision.js";
import { evaluate } from "../evaluate.js";
import type { ImagePolicy, ResourceRef } from "../model/types.js";

/**
 * Policy unit tests (`vouch policy test DIR`, like `kyverno test`): resources with their images' evidence are
 * evaluated, and each expected result (per policy, resource and optionally image) is compared with what the policy
 * gave. Pure: the CLI reads the files (src/api/policy.ts) and hands everything in, `now` included.
 */

/** What a policy gave an image: it covered it and passed, failed, or was waived by an exception; or did not cover it. */
export const TEST_RESULTS = ["pass", "fail", "waived", "skip"] as const;
export type TestResult = (typeof TEST_RESULTS)[number];

export interface TestResource {
  readonly name: string;
  readonly resource: ResourceRef;
  readonly images: readonly ImageInput[];
}

export interface ExpectedResult {
  readonly policy: string;
  readonly resource: string;
  /** One image of the resource (its reference as written); absent: the resource as a whole. */
  readonly image?: string;
  readonly result: TestResult;
}

export interface TestCaseOutcome extends ExpectedResult {
  readonly actual: TestResult | "no such resource" | "no such image";
  readonly ok: boolean;
  /** The failing rules' first reasons, when the actual result is fail. */
  readonly reasons: readonly string[];
}

export interface PolicyTestRun {
  readonly outcomes: readonly TestCaseOutcome[];
  readonly passed: boolean;
  readonly decisions: Readonly<Record<string, Decision>>;
}

export function runPolicyTests(input: {
  policies: readonly ImagePolicy[];
  resources: readonly TestResource[];
  expected: readonly ExpectedResult[];
  trust: PolicyTrust;
  now: Date;
  noMatch?: NoMatchAction;
}): PolicyTestRun {
  const decisions: Record<string, Decision> = {};
  for (const r of input.resources) {
    decisions[r.name] = evaluate({ policies: input.policies, resource: r.resource, images: r.images, trust: input.trust, now: input.now, ...(input.noMatch ? { noMatch: input.noMatch } : {}) });
  }
  const outcomes = input.expected.map((e): TestCaseOutcome => {
    const decision = decisions[e.resource];
    if (decision === undefined) return { ...e, actual: "no such resource", ok: false, reasons: [] };
    const images = e.image === undefined ? decision.images : decision.images.filter((i) => i.reference === e.image);
    if (images.length === 0) return { ...e, actual: "no such image", ok: false, reasons: [] };
    const results = images.flatMap((i) => i.policies.filter((p) => p.policy === e.policy));
    const reasons = results.filter((p) => !p.passed).flatMap((p) => p.rules.filter((r) => r.outcome !== "pass" && !r.rule.startsWith("authority:")).map((r) => `${r.rule}: ${r.reasons[0] ?? r.outcome}`));
    const actual: TestResult =
      results.length === 0 ? "skip" : results.some((p) => !p.passed) ? "fail" : results.some((p) => p.exception !== undefined) ? "waived" : "pass";
    return { ...e, actual, ok: actual === e.result, reasons };
  });
  return { outcomes, passed: outcomes.every((o) => o.ok), decisions };
}

/** The table `vouch policy test` prints: one row per expected result, then a summary line. */
export function renderTestTable(run: PolicyTestRun): string {
  const header = ["#", "POLICY", "RESOURCE", "IMAGE", "EXPECTED", "ACTUAL", "RESULT"];
  const rows = run.outcomes.map((o, i) => [String(i + 1), o.policy, o.resource, o.image ?? "(all)", o.result, o.actual, o.ok ? "Pass" : "Fail"]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]): string => cells.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd();
  const lines = [line(header), ...rows.map(line)];
  for (const o of run.outcomes) {
    if (!o.ok && o.reasons.length > 0) lines.push(`  ${o.policy} on ${o.resource}: ${o.reasons.join("; ")}`);
  }
  const failed = run.outcomes.filter((o) => !o.ok).length;
  lines.push("", `${run.outcomes.length - failed} passed, ${failed} failed`);
  return `${lines.join("\n")}\n`;
}
