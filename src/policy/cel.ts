import { CelScalar, celEnv, isCelError, parse, plan, type CelEnv } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { VouchError } from "../core/errors.js";

/**
 * CEL conditions over an in-toto statement (https://cel.dev, evaluated by @bufbuild/cel, which runs the cel-spec
 * conformance suite). A policy's attestation rule says, for example,
 *
 *   predicate.runDetails.builder.id.startsWith("https://github.com/")
 *
 * and the expression sees three variables, all dynamically typed JSON: `predicate` (the statement's predicate, an
 * empty map when it has none), `predicateType` (a string) and `subject` (the list of `{name, digest}`). The CEL
 * `strings` extension (`indexOf`, `lowerAscii`, `split`, …) is available.
 *
 * JSON numbers that are integers reach CEL as `int`, others as `double` (as Kubernetes' CEL does), so
 * `size(predicate.runDetails.byproducts) >= 1` and `predicate.x == 2` both read naturally.
 *
 * An expression is parsed and planned once (`CelCompiler`, keyed by its text); evaluating it never throws: a
 * result that is not a boolean, a missing field or any other evaluation error is a failed condition with the reason,
 * which is what a policy decision records (a condition that cannot be evaluated does not hold).
 */

/** The variables a condition may name. */
export const CEL_VARIABLES = ["predicate", "predicateType", "subject"] as const;

/** What a condition is evaluated over: an in-toto Statement's fields (v1 or v0.1, as JSON). */
export interface StatementInput {
  readonly predicateType: string;
  readonly subject: readonly unknown[];
  readonly predicate?: unknown;
}

export type ConditionResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** A compiled condition: evaluate it as often as needed. */
export interface CelCondition {
  readonly expression: string;
  evaluate(statement: StatementInput): ConditionResult;
}

type Vars = { predicate: typeof CelScalar.DYN; predicateType: typeof CelScalar.DYN; subject: typeof CelScalar.DYN };

let sharedEnv: CelEnv<Vars> | undefined;

function env(): CelEnv<Vars> {
  sharedEnv ??= celEnv({
    variables: { predicate: CelScalar.DYN, predicateType: CelScalar.DYN, subject: CelScalar.DYN },
    funcs: strings,
  });
  return sharedEnv;
}

/** Longest expression accepted: conditions are one-liners; a megabyte of CEL is a mistake or an attack on the parser. */
export const MAX_EXPRESSION_LENGTH = 4096;

/**
 * Compiles a condition. Throws VouchError INPUT_MALFORMED for a syntax error, a variable other than
 * `predicate`, `predicateType` and `subject`, or an expression the planner refuses.
 *
 * @example
 *   const c = compileCondition('predicate.runDetails.builder.id.startsWith("https://github.com/")');
 *   c.evaluate(statement); // { ok: true } or { ok: false, reason: "…" }
 */
export function compileCondition(expression: string): CelCondition {
  if (expression.trim() === "") throw new VouchError("INPUT_MALFORMED", "a CEL condition is empty");
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new VouchError("INPUT_MALFORMED", `a CEL condition is longer than ${MAX_EXPRESSION_LENGTH} characters`);
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(expression);
  } catch (err) {
    throw new VouchError("INPUT_MALFORMED", `invalid CEL: ${firstLine(err)}`, { cause: err });
  }
  // The planner resolves identifiers only when the expression runs; an unknown variable (a typo such as
  // `predicat.x`) would then fail every evaluation. Refuse it now, where the policy author sees it.
  const unknown = freeIdentifiers(parsed.expr).find((name) => !KNOWN_IDENTIFIERS.has(name));
  if (unknown !== undefined) {
    throw new VouchError("INPUT_MALFORMED", `invalid CEL: unknown variable "${unknown}" (conditions see ${CEL_VARIABLES.join(", ")})`);
  }
  let program: ReturnType<typeof plan<Vars>>;
  try {
    program = plan(env(), parsed);
  } catch (err) {
    throw new VouchError("INPUT_MALFORMED", `invalid CEL: ${firstLine(err)}`, { cause: err });
  }
  return {
    expression,
    evaluate(statement: StatementInput): ConditionResult {
      let result: unknown;
      try {
        result = program({
          predicate: toCel(statement.predicate ?? {}),
          predicateType: statement.predicateType,
          subject: toCel(statement.subject),
        } as Parameters<typeof program>[0]);
      } catch (err) {
        // @bufbuild/cel returns errors as values; a throw is a bug in it, and still only this condition's failure.
        return { ok: false, reason: `evaluation failed: ${firstLine(err)}` };
      }
      if (isCelError(result)) return { ok: false, reason: `evaluation failed: ${result.message}` };
      if (typeof result !== "boolean") return { ok: false, reason: `the condition is not a boolean (it gave ${describe(result)})` };
      return result ? { ok: true } : { ok: false, reason: "the condition is false" };
    },
  };
}

/**
 * Compiles each distinct expression once. One compiler per policy version: a reloaded policy set gets a new one
 * (or keeps the old one, since the cache is keyed by the expression's text and a text always compiles the same).
 */
export class CelCompiler {
  readonly #cache = new Map<string, CelCondition>();

  /** The compiled condition for this text (compiled on first use). Throws like compileCondition. */
  compile(expression: string): CelCondition {
    let condition = this.#cache.get(expression);
    if (condition === undefined) {
      condition = compileCondition(expression);
      this.#cache.set(expression, condition);
    }
    return condition;
  }

  get size(): number {
    return this.#cache.size;
  }
}

/** Identifiers CEL itself defines (type names usable as values and conversion functions' receivers). */
const KNOWN_IDENTIFIERS: ReadonlySet<string> = new Set<string>([
  ...CEL_VARIABLES,
  "int",
  "uint",
  "double",
  "bool",
  "string",
  "bytes",
  "list",
  "map",
  "null_type",
  "type",
  "dyn",
]);

/** The subset of the parsed AST this module walks (cel.expr.Expr). */
interface ExprNode {
  exprKind: { case: string | undefined; value?: unknown };
}

/** Names used as identifiers, less the variables comprehensions (all, exists, map, filter) bind. */
function freeIdentifiers(root: ExprNode): string[] {
  const found: string[] = [];
  const walk = (node: ExprNode | undefined, bound: ReadonlySet<string>): void => {
    if (node === undefined) return;
    const { case: kind, value } = node.exprKind;
    const v = value as Record<string, unknown>;
    switch (kind) {
      case "identExpr": {
        const name = v.name as string;
        if (!bound.has(name)) found.push(name);
        return;
      }
      case "selectExpr":
        return walk(v.operand as ExprNode, bound);
      case "callExpr":
        walk(v.target as ExprNode | undefined, bound);
        for (const arg of v.args as ExprNode[]) walk(arg, bound);
        return;
      case "listExpr":
        for (const el of v.elements as ExprNode[]) walk(el, bound);
        return;
      case "structExpr":
        for (const entry of v.entries as { keyKind: { case: string; value: unknown }; value: ExprNode }[]) {
          if (entry.keyKind.case === "mapKey") walk(entry.keyKind.value as ExprNode, bound);
          walk(entry.value, bound);
        }
        return;
      case "comprehensionExpr": {
        walk(v.iterRange as ExprNode, bound);
        walk(v.accuInit as ExprNode, bound);
        const inner = new Set(bound);
        for (const key of ["iterVar", "iterVar2", "accuVar"]) if (typeof v[key] === "string" && v[key] !== "") inner.add(v[key]);
        walk(v.loopCondition as ExprNode, inner);
        walk(v.loopStep as ExprNode, inner);
        walk(v.result as ExprNode, inner);
        return;
      }
      default:
        return;
    }
  };
  walk(root, new Set());
  return found;
}

/**
 * JSON to CEL input: integers as int (bigint), other numbers as double, objects as maps (null-prototype copies, so a
 * `__proto__` key in attacker-supplied JSON is just a key).
 */
function toCel(value: unknown): unknown {
  if (typeof value === "number") return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === "object") {
    const map = new Map<string, unknown>();
    for (const [k, v] of Object.entries(value)) map.set(k, toCel(v));
    return map;
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "bigint") return `the int ${value}`;
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)}`;
  if (typeof value === "number") return `the double ${value}`;
  if (Array.isArray(value)) return "a list";
  return `a ${typeof value === "object" ? (value.constructor?.name ?? "value") : typeof value}`;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
}
