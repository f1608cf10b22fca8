// The expression language: grammar, evaluation, references, limits, and inputs meant to escape.
import { describe, expect, it } from "vitest";
import { evaluateExpression } from "./evaluate-expression.js";
import type { ExpressionScope } from "./evaluate-expression.js";
import { EXPRESSION_LIMITS, parseExpression, references } from "./parse-expression.js";
import { resolveString, resolveTree } from "./template.js";

const scope: ExpressionScope = {
  params: { dc: "dc2", lag: 12, force: false, topics: ["orders", "payments"], empty: "" },
  steps: {
    check: { state: "succeeded", outputs: { lag: 40, ok: true, groups: { "orders-app": { offset: 7 } } } },
    skipped: { state: "skipped", outputs: {} },
  },
  run: { id: "r-1", dryRun: true, runbook: "orders-failover" },
};
const ev = (src: string): unknown => evaluateExpression(parseExpression(src), scope, src);

describe("evaluation", () => {
  it.each([
    ["params.dc", "dc2"],
    ["params.lag", 12],
    ["params.topics", ["orders", "payments"]],
    ["params.topics[1]", "payments"],
    ["steps.check.outputs.lag", 40],
    ['steps.check.outputs.groups["orders-app"].offset', 7],
    ["steps.skipped.state", "skipped"],
    ["run.id", "r-1"],
    ["run.dryRun", true],
    ["params.lag < steps.check.outputs.lag", true],
    ["params.lag >= 12 && params.lag <= 12", true],
    ['params.dc == "dc2"', true],
    ["params.dc != 'dc1'", true],
    ["!params.force", true],
    ["!!params.empty", false],
    ["params.force || steps.check.outputs.ok", true],
    ["(params.force || false) && true", false],
    ["params.topics == params.topics", true],
    ["null == null", true],
    ["-1 < 0", true],
    ["1.5 > 1", true],
    ['"b" > "a"', true],
    ['"12" == 12', false],
    ["params.empty || 'fallback'", "fallback"],
    ["params.force && 'yes' || 'no'", "no"],
    ["params.lag && params.dc", "dc2"],
  ])("%s → %j", (src, expected) => {
    expect(ev(src)).toEqual(expected);
  });

  it("short-circuits, so a guarded reference to a missing output does not throw", () => {
    expect(ev('steps.skipped.state == "succeeded" && steps.skipped.outputs.x > 1')).toBe(false);
  });

  it.each([
    ["params.missing", "params.missing is not defined"],
    ["steps.check.outputs.nope", "steps.check.outputs.nope is not defined"],
    ["params.topics[5]", "params.topics[5] is not defined"],
    ["params.dc < 3", "cannot compare string < number"],
    ["params.topics > 1", "cannot compare list > number"],
  ])("%s fails: %s", (src, message) => {
    expect(() => ev(src)).toThrow(message);
  });

  it("lists the references an expression makes", () => {
    expect(
      references(parseExpression("params.a == steps.b.outputs.c || run.id == 'x'")).map((r) => r.path),
    ).toEqual([
      ["params", "a"],
      ["steps", "b", "outputs", "c"],
      ["run", "id"],
    ]);
  });
});

describe("templates", () => {
  it("keeps the type of a string that is exactly one expression", () => {
    expect(resolveString("${{ params.lag }}", scope)).toBe(12);
    expect(resolveString("${{params.topics}}", scope)).toEqual(["orders", "payments"]);
  });
  it("renders expressions embedded in text", () => {
    expect(resolveString("lag ${{ params.lag }} on ${{ params.topics }} (${{ run.id }})", scope)).toBe(
      'lag 12 on ["orders","payments"] (r-1)',
    );
  });
  it("resolves a whole input tree but never keys", () => {
    expect(
      resolveTree({ "${{ run.id }}": ["${{ params.dc }}", 1, { x: "${{ run.dryRun }}" }] }, scope),
    ).toEqual({
      "${{ run.id }}": ["dc2", 1, { x: true }],
    });
  });
  it("does not re-evaluate values that themselves look like expressions", () => {
    const tricky: ExpressionScope = { ...scope, params: { evil: "${{ run.id }}" } };
    expect(resolveString("${{ params.evil }}", tricky)).toBe("${{ run.id }}");
    expect(resolveString("x ${{ params.evil }}", tricky)).toBe("x ${{ run.id }}");
  });
});

describe("malicious and malformed input", () => {
  it.each([
    ["constructor.constructor('return process')()", '"constructor" is not allowed'],
    ["params.__proto__", '"__proto__" is not allowed'],
    ["params['__proto__'].x", '"__proto__" is not allowed'],
    ["steps.check.outputs.prototype", '"prototype" is not allowed'],
    ["require('fs')", 'unexpected "(" at column 8'],
    ["params.dc; process.exit()", 'unexpected character ";" at column 10'],
    ["`${process}`", 'unexpected character "`" at column 1'],
    ["params.a = 1", 'unexpected character "=" at column 10'],
    ["a == b == c", "comparisons cannot be chained"],
    ["'unterminated", "unterminated string at column 1"],
    ["'\\u0041'", "unsupported escape \\u"],
    ["params[params.dc]", "expected a string or index inside []"],
    ["1e309", "malformed number"],
    ["", "expression is empty"],
    ["params.", 'expected a name after "." but found end of expression'],
  ])("%s is rejected (%s)", (src, message) => {
    expect(() => parseExpression(src)).toThrow(message);
  });

  it("bounds length, tokens, nesting and path length before evaluating anything", () => {
    expect(() => parseExpression("a".repeat(EXPRESSION_LIMITS.maxLength + 1))).toThrow(
      "longer than 1024 characters",
    );
    expect(() => parseExpression(Array(200).fill("a").join("&&"))).toThrow("more than 256 tokens");
    expect(() => parseExpression(`${"(".repeat(33)}true${")".repeat(33)}`)).toThrow("deeper than 32 levels");
    expect(() => parseExpression("!".repeat(40) + "true")).toThrow("deeper than 32 levels");
    expect(() => parseExpression(`params${".a".repeat(20)}`)).toThrow("longer than 16 segments");
    expect(parseExpression(`${"(".repeat(30)}true${")".repeat(30)}`)).toEqual({
      type: "literal",
      value: true,
    });
  });

  it("reads own data only: inherited properties are not defined", () => {
    expect(() => ev("params.toString")).toThrow("params.toString is not defined");
    expect(() => ev("params.dc.length")).toThrow("params.dc.length is not defined");
    expect(() => ev("params.topics.length")).toThrow("params.topics.length is not defined");
  });

  it("parses thousands of hostile expressions quickly", () => {
    const t0 = performance.now();
    for (let i = 0; i < 2_000; i++) {
      try {
        parseExpression(`${"(".repeat(i % 50)}params.x${"[0]".repeat(i % 20)} == ${"'".repeat(i % 3)}`);
      } catch {
        // rejections are the point
      }
    }
    expect(performance.now() - t0).toBeLessThan(1_000);
  });
});
