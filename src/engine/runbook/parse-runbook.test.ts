// Runbook validation: exact messages for a table of bad documents, thirty mistakes reported in one
// pass, and hostile documents refused quickly with bounded memory.
import { describe, expect, it } from "vitest";
import { parseRunbook } from "./parse-runbook.js";
import { formatProblem } from "./problem.js";
import { harness, targets } from "../../../test/unit/engine/fixtures.js";

const { registry } = harness();
const problemsOf = (text: string, file = "runbooks/bad.yaml"): string[] => {
  const result = parseRunbook(text, { file, catalog: registry, targets });
  return result.ok ? [] : result.problems.map(formatProblem);
};

const HEAD = `apiVersion: switchover/v1
kind: Runbook
metadata:
  name: orders-failover
`;

const THIRTY_MISTAKES = `apiVersion: switchover/v2
kind: Runbok
metadata:
  name: Orders_Failover
  owner: team-a
params:
  dc: { type: strin }
  retries: { type: number, default: "three" }
  mode: { type: string, enum: [fast, slow], default: medium }
  window: { type: duration, default: 5 minutes }
  flag: { type: boolean, required: true, default: true }
steps:
  - id: Check
    uses: wait
    with: { duration: 30s }
  - id: pause
    uses: wiat
    with: { duration: 1s }
  - id: pause
    uses: wait
    with: { duration: soon }
  - id: gate
    uses: approval
    with: { message: 42 }
  - id: call
    uses: http.request
    with:
      method: FETCH
      url: https://evil.example.com/x
      expectStatus: "200"
  - id: tell
    uses: notify
    with: { url: "http://127.0.0.1/hooks/ok", severity: loud }
  - id: check
    uses: assert
    with: { that: "\${{ params.nope == 1 }}", message: "" }
  - id: refs
    uses: wait
    when: "steps.later.outputs.x == 1"
    with: { duration: "\${{ steps.ghost.outputs.t }}" }
  - id: later
    uses: wait
    timeout: forever
    retry: { attempts: 0, backoff: linear }
    onFailure: ignore
    with: { duration: "\${{ run.name }}" }
  - id: syntax
    uses: wait
    when: "params.dc == "
    with: { until: "a ==", interval: 5s }
`;

describe("a runbook with thirty mistakes", () => {
  it("reports all thirty, each with file, line, column and path", () => {
    expect(problemsOf(THIRTY_MISTAKES)).toEqual([
      'runbooks/bad.yaml:1:13 apiVersion: expected "switchover/v1"',
      'runbooks/bad.yaml:2:7 kind: expected "Runbook"',
      "runbooks/bad.yaml:4:9 metadata.name: lowercase letters, digits and '-', at most 63 characters",
      "runbooks/bad.yaml:5:3 metadata.owner: unknown field",
      'runbooks/bad.yaml:7:15 params.dc.type: expected one of "string"|"number"|"boolean"|"duration"|"string[]"',
      'runbooks/bad.yaml:8:37 params.retries.default: default: expected number, received string "three"',
      'runbooks/bad.yaml:9:54 params.mode.default: default: "medium" is not one of "fast", "slow"',
      'runbooks/bad.yaml:10:38 params.window.default: default: expected a duration such as "30s" or "5m", received string "5 minutes"',
      "runbooks/bad.yaml:11:36 params.flag.required: a required param cannot have a default",
      "runbooks/bad.yaml:13:9 steps[0].id: step ids are lowercase letters, digits and '-', starting with a letter",
      'runbooks/bad.yaml:17:11 steps[1].uses: unknown step kind "wiat" (did you mean "wait"?)',
      'runbooks/bad.yaml:19:9 steps[2].id: duplicate step id "pause" (first used by steps[1])',
      'runbooks/bad.yaml:21:23 steps[2].with.duration: expected a duration such as "30s" or "5m"',
      "runbooks/bad.yaml:24:22 steps[3].with.message: expected string, received number",
      'runbooks/bad.yaml:28:15 steps[4].with.method: expected one of "GET"|"HEAD"|"POST"|"PUT"|"PATCH"|"DELETE"',
      'runbooks/bad.yaml:29:12 steps[4].with.url: URL "https://evil.example.com/x" is not under any http.allow prefix in the environment config',
      "runbooks/bad.yaml:30:21 steps[4].with.expectStatus: expected an HTTP status or a list of them",
      "runbooks/bad.yaml:33:11 steps[5].with.message: required field is missing (expected string)",
      'runbooks/bad.yaml:33:57 steps[5].with.severity: expected one of "info"|"warning"|"critical"',
      'runbooks/bad.yaml:36:20 steps[6].with.that: unknown param "nope" in params.nope (declared: dc, retries, mode, window, flag)',
      "runbooks/bad.yaml:36:55 steps[6].with.message: expected string to have >=1 characters",
      'runbooks/bad.yaml:39:12 steps[7].when: steps.later.outputs.x refers to step "later", which has not run yet at this point',
      'runbooks/bad.yaml:40:24 steps[7].with.duration: unknown step "ghost" in steps.ghost.outputs.t',
      'runbooks/bad.yaml:43:14 steps[8].timeout: expected a duration such as "500ms", "30s", "5m" or "1h30m"',
      "runbooks/bad.yaml:44:24 steps[8].retry.attempts: expected number to be >=1",
      'runbooks/bad.yaml:44:36 steps[8].retry.backoff: expected "fixed", "exponential" or {type, delay, maxDelay}',
      'runbooks/bad.yaml:45:16 steps[8].onFailure: expected one of "abort"|"continue"',
      "runbooks/bad.yaml:46:24 steps[8].with.duration: run.name: run exposes run.id, run.dryRun, run.runbook",
      "runbooks/bad.yaml:49:12 steps[9].when: invalid expression: expression ended early at column 14",
      "runbooks/bad.yaml:50:20 steps[9].with.until: invalid expression: expression ended early at column 5",
    ]);
  });
});

describe("bad runbook documents", () => {
  const table: { name: string; text: string; expected: string[] }[] = [
    {
      name: "not a mapping",
      text: "- just\n- a list\n",
      expected: [
        "runbooks/bad.yaml:1:1 (document): a runbook document must be a mapping with apiVersion, kind, metadata, steps",
      ],
    },
    {
      name: "YAML syntax error",
      text: `${HEAD}steps: [\n`,
      expected: [
        "runbooks/bad.yaml:6:1 (document): syntax: Flow sequence in block collection must be sufficiently indented and end with a ]",
      ],
    },
    {
      name: "duplicate keys",
      text: `${HEAD}steps:\n  - id: a\n    id: b\n    uses: wait\n`,
      expected: ["runbooks/bad.yaml:7:5 (document): syntax: Map keys must be unique"],
    },
    {
      name: "no steps",
      text: `${HEAD}steps: []\n`,
      expected: ["runbooks/bad.yaml:5:8 steps: a runbook needs at least one step"],
    },
    {
      name: "missing steps",
      text: HEAD,
      expected: ["runbooks/bad.yaml:1:1 steps: required field is missing (expected array)"],
    },
    {
      name: "steps is not a list",
      text: `${HEAD}steps: { id: a }\n`,
      expected: ["runbooks/bad.yaml:5:8 steps: expected array, received object"],
    },
    {
      name: "unknown step kind with a hint",
      text: `${HEAD}steps:\n  - id: a\n    uses: notfy\n`,
      expected: ['runbooks/bad.yaml:7:11 steps[0].uses: unknown step kind "notfy" (did you mean "notify"?)'],
    },
    {
      name: "unknown step kind without a hint",
      text: `${HEAD}steps:\n  - id: a\n    uses: kafka.teleport\n`,
      expected: ['runbooks/bad.yaml:7:11 steps[0].uses: unknown step kind "kafka.teleport"'],
    },
    {
      name: "duplicate step ids",
      text: `${HEAD}steps:\n  - id: a\n    uses: approval\n  - id: a\n    uses: approval\n`,
      expected: ['runbooks/bad.yaml:8:9 steps[1].id: duplicate step id "a" (first used by steps[0])'],
    },
    {
      name: "input of the wrong type, checked by the kind's own schema",
      text: `${HEAD}steps:\n  - id: a\n    uses: wait\n    with:\n      duration: [30s]\n`,
      expected: ["runbooks/bad.yaml:9:17 steps[0].with.duration: expected string, received array"],
    },
    {
      name: "unknown input field",
      text: `${HEAD}steps:\n  - id: a\n    uses: approval\n    with:\n      mesage: hi\n`,
      expected: ["runbooks/bad.yaml:9:7 steps[0].with.mesage: unknown field"],
    },
    {
      name: "cross-field rule of a step",
      text: `${HEAD}steps:\n  - id: a\n    uses: wait\n    with: { duration: 1s, until: "true" }\n`,
      expected: ["runbooks/bad.yaml:8:11 steps[0].with: set exactly one of duration or until"],
    },
    {
      name: "URL outside the allow-list",
      text: `${HEAD}steps:\n  - id: a\n    uses: notify\n    with: { url: "http://127.0.0.1/other", message: hi }\n`,
      expected: [
        'runbooks/bad.yaml:8:18 steps[0].with.url: URL "http://127.0.0.1/other" is not under any http.allow prefix in the environment config',
      ],
    },
    {
      name: "path traversal out of an allowed prefix",
      text: `${HEAD}steps:\n  - id: a\n    uses: notify\n    with: { url: "http://127.0.0.1/hooks/../admin", message: hi }\n`,
      expected: [
        'runbooks/bad.yaml:8:18 steps[0].with.url: URL "http://127.0.0.1/hooks/../admin" is not under any http.allow prefix in the environment config',
      ],
    },
    {
      name: "unknown param reference",
      text: `${HEAD}params:\n  dc: { type: string }\nsteps:\n  - id: a\n    uses: wait\n    with: { duration: "\${{ params.timeout }}" }\n`,
      expected: [
        'runbooks/bad.yaml:10:24 steps[0].with.duration: unknown param "timeout" in params.timeout (declared: dc)',
      ],
    },
    {
      name: "reference to a later step",
      text: `${HEAD}steps:\n  - id: a\n    uses: wait\n    when: steps.b.state == "succeeded"\n    with: { duration: 1s }\n  - id: b\n    uses: approval\n`,
      expected: [
        'runbooks/bad.yaml:8:11 steps[0].when: steps.b.state refers to step "b", which has not run yet at this point',
      ],
    },
    {
      name: "a step referring to itself",
      text: `${HEAD}steps:\n  - id: a\n    uses: approval\n    with: { message: "\${{ steps.a.outputs.message }}" }\n`,
      expected: [
        'runbooks/bad.yaml:8:23 steps[0].with.message: steps.a.outputs.message refers to step "a", which has not run yet at this point',
      ],
    },
    {
      name: "expression reaching for globals",
      text: `${HEAD}steps:\n  - id: a\n    uses: approval\n    with: { message: "\${{ process.env.HOME }}" }\n`,
      expected: [
        'runbooks/bad.yaml:8:23 steps[0].with.message: unknown name "process" in process.env.HOME; expressions read params.*, steps.*, run.*, secrets.*',
      ],
    },
    {
      name: "expression with a function call",
      text: `${HEAD}steps:\n  - id: a\n    uses: approval\n    with: { message: "\${{ run.id.constructor('x') }}" }\n`,
      expected: [
        'runbooks/bad.yaml:8:23 steps[0].with.message: invalid expression: "constructor" is not allowed at column 1',
      ],
    },
    {
      name: "unclosed expression",
      text: `${HEAD}steps:\n  - id: a\n    uses: approval\n    with: { message: "\${{ run.id" }\n`,
      expected: [
        'runbooks/bad.yaml:8:23 steps[0].with.message: invalid expression: "${{" at offset 0 is never closed by "}}"',
      ],
    },
    {
      name: "param default outside its enum",
      text: `${HEAD}params:\n  dc: { type: string, enum: [dc1, dc2], default: dc3 }\nsteps:\n  - id: a\n    uses: approval\n`,
      expected: ['runbooks/bad.yaml:6:50 params.dc.default: default: "dc3" is not one of "dc1", "dc2"'],
    },
    {
      name: "string list param with a non-string default",
      text: `${HEAD}params:\n  topics: { type: "string[]", default: [orders, 3] }\nsteps:\n  - id: a\n    uses: approval\n`,
      expected: [
        "runbooks/bad.yaml:6:40 params.topics.default: default: expected a list of strings, item [1] is number",
      ],
    },
    {
      name: "retry attempts out of range",
      text: `${HEAD}steps:\n  - id: a\n    uses: approval\n    retry: { attempts: 50 }\n`,
      expected: ["runbooks/bad.yaml:8:24 steps[0].retry.attempts: expected number to be <=20"],
    },
  ];
  it.each(table)("$name", ({ text, expected }) => {
    expect(problemsOf(text)).toEqual(expected);
  });

  it("accepts JSON documents and locates problems in them too", () => {
    const json = JSON.stringify(
      {
        apiVersion: "switchover/v1",
        kind: "Runbook",
        metadata: { name: "j" },
        steps: [{ id: "a", uses: "wait", with: { duration: 5 } }],
      },
      null,
      2,
    );
    expect(problemsOf(json, "runbooks/j.json")).toEqual([
      "runbooks/j.json:12:21 steps[0].with.duration: expected string, received number",
    ]);
    const ok = parseRunbook(json.replace('"duration": 5', '"duration": "5s"'), {
      catalog: registry,
      targets,
    });
    expect(ok.ok).toBe(true);
  });

  it("normalises a valid document into the runbook model", () => {
    const result = parseRunbook(
      `${HEAD}params:\n  n: { type: number, default: 2 }\nsteps:\n  - id: gate\n    uses: approval\n    approval: true\n    when: "\${{ params.n > 1 }}"\n    retry: { attempts: 3, backoff: fixed }\n`,
      { catalog: registry, targets },
    );
    expect(result.ok && result.runbook.steps[0]).toEqual({
      id: "gate",
      uses: "approval",
      with: {},
      when: "params.n > 1",
      approval: {},
      retry: { attempts: 3, backoff: { type: "fixed", delay: "1s", maxDelay: "30s" } },
      onFailure: "abort",
    });
  });
});

describe("hostile documents", () => {
  const timed = (text: string): { problems: string[]; ms: number; heapMb: number } => {
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const problems = problemsOf(text);
    return { problems, ms: performance.now() - t0, heapMb: (process.memoryUsage().heapUsed - heap0) / 1e6 };
  };

  it("refuses a YAML alias bomb before expanding it", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(", ")}]`);
    }
    const { problems, ms, heapMb } = timed(`${HEAD}${levels.join("\n")}\nsteps: []\n`);
    expect(problems).toEqual([
      "runbooks/bad.yaml:10:7 (document): document expands to more than 200000 nodes through aliases",
    ]);
    expect(ms).toBeLessThan(500);
    expect(heapMb).toBeLessThan(50);
  });

  it("refuses a 10 MB document without parsing it", () => {
    // Structural, not timed: the document is also broken YAML (an unclosed flow sequence after the
    // padding), so had it been parsed its syntax errors would be among the problems.
    const big = `${HEAD}steps:\n${"  # padding padding padding padding padding padding padding padding\n".repeat(160_000)}  - [unclosed\n`;
    expect(big.length).toBeGreaterThan(10_000_000);
    const { problems } = timed(big);
    expect(problems).toEqual([
      `runbooks/bad.yaml:1:1 (document): document is ${big.length} bytes; the limit is 1048576`,
    ]);
  });

  it("refuses 1,000 levels of flow nesting", () => {
    const { problems, ms } = timed(`${HEAD}steps: ${"[".repeat(1000)}${"]".repeat(1000)}\n`);
    expect(problems).toEqual(["runbooks/bad.yaml:5:72 (document): document nests deeper than 64 levels"]);
    expect(ms).toBeLessThan(200);
  });

  it("refuses 1,000 levels of block nesting", () => {
    let block = "steps:\n";
    for (let i = 1; i <= 1000; i++) block += `${"  ".repeat(i)}k${i}:\n`;
    const { problems, ms, heapMb } = timed(`${HEAD}${block}`);
    expect(problems).toEqual(["runbooks/bad.yaml:69:129 (document): document nests deeper than 64 levels"]);
    expect(ms).toBeLessThan(1_000);
    expect(heapMb).toBeLessThan(100);
  });

  it("treats injection attempts in expressions as errors, never as code", () => {
    const attempts = [
      "${{ params.x }}${{ require('child_process') }}",
      "${{ this.constructor.constructor('return process')() }}",
      "${{ steps.__proto__.polluted }}",
      "${{ `template` }}",
      "${{ params.a; process.exit(1) }}",
      `\${{ ${"(".repeat(40)}true${")".repeat(40)} }}`,
      `\${{ ${"a".repeat(2000)} }}`,
    ];
    for (const attempt of attempts) {
      const text = `${HEAD}params:\n  x: { type: string }\nsteps:\n  - id: a\n    uses: approval\n    with:\n      message: ${JSON.stringify(attempt)}\n`;
      const problems = problemsOf(text);
      expect(problems.length, attempt).toBeGreaterThan(0);
      for (const p of problems) expect(p).toMatch(/^runbooks\/bad\.yaml:11:\d+ steps\[0\]\.with\.message: /);
    }
    expect(Object.prototype).not.toHaveProperty("polluted");
  });
});
