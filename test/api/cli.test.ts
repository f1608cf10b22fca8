// The `switchover` CLI as a user runs it: the real bin (child processes, stdout piped, so plain
// lines and no colour) against the real service on an ephemeral port with real Redis and the test
// step kinds. Exit codes, text and JSON output, watch until done, approval by a second person's
// context, usage errors, refusals and an unreachable service.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startHarness } from "./harness.js";
import type { Harness, TokenName } from "./harness.js";

const BIN = resolve(import.meta.dirname, "../../bin/switchover.js");

let h: Harness;
let server: Server;
let base: string;
let home: string;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        // Only what a user's shell would have: no token, no colour forcing from the test runner.
        env: {
          PATH: process.env.PATH ?? "",
          HOME: home,
          SWITCHOVER_CLI_CONFIG: join(home, "config.yaml"),
          ...env,
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

function tokenFile(name: TokenName): string {
  const path = join(home, `${name}.token`);
  writeFileSync(path, `${h.tokens[name]}\n`, { mode: 0o600 });
  return path;
}

const runIdOf = (text: string): string => /\brun ([0-9a-f-]{36})\b/.exec(text)![1]!;

beforeAll(async () => {
  h = await startHarness();
  server = h.service.app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  home = mkdtempSync(join(tmpdir(), "so-cli-"));
  // Set up as a user would: one context per person, tokens in files, the operator's current.
  for (const [ctx, who] of [
    ["ops", "operator"],
    ["approver", "approver2"],
    ["admin", "admin"],
  ] as const) {
    const r = await cli(["context", "set", ctx, "--url", base, "--token-file", tokenFile(who)]);
    expect(r.code, r.stderr).toBe(0);
  }
}, 120_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await h?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe("switchover CLI against the real service", () => {
  it("when contexts are set, then list marks the current one and whoami answers as its token", async () => {
    const list = await cli(["context", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^\* ops +http:\/\/127\.0\.0\.1:\d+ +file .*operator\.token$/m);
    expect(list.stdout).not.toContain(h.tokens.operator);
    const me = await cli(["whoami"]);
    expect(me.code, me.stderr).toBe(0);
    expect(me.stdout).toContain("operator (operator)");
    const other = await cli(["--context", "approver", "whoami", "-o", "json"]);
    expect(JSON.parse(other.stdout)).toMatchObject({ actor: "approver2" });
  });

  it("when a runbook is planned and then run pinned to that plan with --watch, then the plan and the live changes read from → to and it exits 0", async () => {
    const plan = await cli(["plan", "touch-dc1", "-p", "key=cli1"]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/DRY-RUN {2}SUCCEEDED/);
    expect(plan.stdout).toContain("cluster/dc1 touch.cli1: 0 → 1");
    expect(plan.stdout).not.toContain("\x1b[");
    const dryId = runIdOf(plan.stdout);
    expect(plan.stderr).toContain(`switchover run touch-dc1 -p key=cli1 --real --pin ${dryId} --watch`);
    expect(await h.touches("cli1")).toBe(0);

    const run = await cli([
      "run",
      "touch-dc1",
      "-p",
      "key=cli1",
      "--real",
      "--pin",
      dryId,
      "--watch",
      "--reason",
      "cli drill",
    ]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines).toContainEqual(
      expect.stringMatching(/created: touch-dc1 REAL RUN by operator, pinned to dry-run/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/ {2}step touch applied 1 change$/));
    expect(lines).toContain("      cluster/dc1 touch.cli1: 0 → 1");
    expect(lines.at(-1)).toMatch(/^run [0-9a-f-]{36} succeeded$/);
    expect(await h.touches("cli1")).toBe(1);

    const realId = runIdOf(lines.at(-1)!);
    const report = await cli(["report", realId]);
    expect(report.code).toBe(0);
    expect(report.stdout).toContain("      cluster/dc1 touch.cli1: 0 → 1");
    const html = await cli(["report", realId, "--html"]);
    expect(html.stdout).toMatch(/^<!doctype html>/i);
    expect(html.stdout).toContain("<svg");

    // Revert: a dry-run by default (nothing changes), then for real.
    const revertPlan = await cli(["revert", realId]);
    expect(revertPlan.code, revertPlan.stderr).toBe(0);
    expect(revertPlan.stdout).toMatch(/DRY-RUN {2}SUCCEEDED/);
    expect(await h.touches("cli1-revert")).toBe(0);
    const revert = await cli(["revert", realId, "--real", "--watch", "--reason", "fail back"]);
    expect(revert.code, revert.stderr).toBe(0);
    expect(await h.touches("cli1-revert")).toBe(1);
  });

  it("when a real run fails, then watch prints the error and exits 1", async () => {
    const r = await cli(["run", "fails", "--real", "--watch"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/step gate \w+ → failed: [A-Z_]+: the world is not ready/);
    expect(r.stdout.trimEnd().split("\n").at(-1)).toMatch(/ failed$/);
  });

  it("when a run needs approval, then exit 3 with the command to give it; the requester's own approve is refused (4); a second person's approves (0) and watch ends 0", async () => {
    const r = await cli(["run", "gated", "-p", "key=cli-gate", "--real", "--watch"]);
    expect(r.code).toBe(3);
    const id = runIdOf(r.stdout);
    expect(r.stderr).toContain(`switchover approve ${id}`);
    expect(r.stdout).toContain("step go waits for approval");

    const self = await cli(["approve", id]);
    expect(self.code).toBe(4);
    expect(self.stderr).toMatch(/403/);

    const ok = await cli(["--context", "approver", "approve", id, "--comment", "looked at the plan"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`approved run ${id} (approver)`);
    const w = await cli(["watch", id]);
    expect(w.code, w.stderr).toBe(0);
    expect(w.stdout).toContain("step go approved by approver2");
    expect(await h.touches("cli-gate")).toBe(1);
  });

  it("when an approval names a stale --plan-hash, then it is refused (4); an admin breaks glass only with --reason", async () => {
    const r = await cli(["run", "gated", "-p", "key=cli-bg", "--real"]);
    const id = runIdOf(r.stdout);
    await eventually(async () => {
      const show = await cli(["show", id, "-o", "json"]);
      return (JSON.parse(show.stdout) as { state: string }).state === "waiting_approval" ? true : undefined;
    });
    const stale = await cli(["--context", "approver", "approve", id, "--plan-hash", "0".repeat(64)]);
    expect(stale.code).toBe(4);
    expect(stale.stderr).toMatch(/409|approval-plan-changed|waits for approval of plan/);
    const noReason = await cli(["--context", "admin", "approve", id, "--break-glass"]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain("--reason");
    const bg = await cli([
      "--context",
      "admin",
      "approve",
      id,
      "--break-glass",
      "--reason",
      "nobody answers",
    ]);
    expect(bg.code, bg.stderr).toBe(0);
    expect(bg.stdout).toContain(`BROKE GLASS on run ${id} (admin)`);
    const w = await cli(["watch", id]);
    expect(w.code, w.stderr).toBe(0);
    expect(await h.touches("cli-bg")).toBe(1);
    const shown = await cli(["show", id]);
    expect(shown.stdout).toContain("BREAK GLASS by admin at step go: nobody answers");
  });

  it("with --output json, then documents for programs: a run, a list, and NDJSON events ending in end", async () => {
    const started = await cli(["run", "touch-dc1", "-p", "key=cli-json", "--real", "-o", "json"]);
    expect(started.code, started.stderr).toBe(0);
    const run = JSON.parse(started.stdout) as { id: string; dryRun: boolean };
    expect(run.dryRun).toBe(false);
    const w = await cli(["watch", run.id, "-o", "json"]);
    expect(w.code).toBe(0);
    const docs = w.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; state?: string });
    expect(docs[0]!.type).toBe("run.created");
    expect(docs.at(-1)).toEqual({ type: "end", runId: run.id, state: "succeeded" });
    const list = await cli(["runs", "--real", "-o", "json"]);
    expect((JSON.parse(list.stdout) as { items: { id: string }[] }).items.map((i) => i.id)).toContain(run.id);
    const verify = await cli(["audit", "verify", "-o", "json"]);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });
  });

  it("text commands: runbooks, runs, audit verify", async () => {
    const rb = await cli(["runbooks"]);
    expect(rb.code).toBe(0);
    expect(rb.stdout).toMatch(/^touch-dc1 +2 +yes +touches dc1 once$/m);
    expect(rb.stdout).toMatch(/^broken +.* +NO /m);
    const runs = await cli(["runs", "--runbook", "touch-dc1"]);
    expect(runs.stdout).toMatch(/REAL +succeeded +touch-dc1/);
    const verify = await cli(["audit", "verify"]);
    expect(verify.stdout).toMatch(/^audit chain intact: \d+ entries checked/);
  });

  it("when the arguments are wrong, then exit 2 and no request changes anything", async () => {
    const cases: [string[], RegExp][] = [
      [["plan"], /missing required argument 'runbook'/],
      [["run", "touch-dc1", "--pin", "abc"], /--pin pins a real run: add --real/],
      [["plan", "touch-dc1", "-p", "novalue"], /expected key=value/],
      [["frobnicate"], /unknown command/],
      [["retry", "some-run"], /required option '--reason <text>'/],
      [["runs", "-o", "yaml"], /Allowed choices are text, json/],
      [["--context", "nope", "runs"], /no context named nope/],
      // The API's 422 (a param outside its enum) is a usage error too.
      [["plan", "by-param", "-p", "cluster=dc9"], /422 .*params/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
    }
  });

  it("when there is no context at all, then exit 2 saying how to make one; SWITCHOVER_URL + SWITCHOVER_TOKEN work without a file", async () => {
    const none = await cli(["runs"], { SWITCHOVER_CLI_CONFIG: join(home, "absent.yaml") });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("switchover context set");
    const env = await cli(["whoami"], {
      SWITCHOVER_CLI_CONFIG: join(home, "absent.yaml"),
      SWITCHOVER_URL: base,
      SWITCHOVER_TOKEN: h.tokens.viewer,
    });
    expect(env.code, env.stderr).toBe(0);
    expect(env.stdout).toContain("viewer (viewer)");
  });

  it("when the API refuses or is not there, then exit 4 or 5", async () => {
    const missing = await cli(["show", "00000000-0000-4000-8000-000000000000"]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/404/);
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer().listen(0, "127.0.0.1");
    await new Promise((r) => probe.once("listening", r));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    await cli([
      "context",
      "set",
      "gone",
      "--url",
      `http://127.0.0.1:${closedPort}`,
      "--token-env",
      "NO_SUCH_TOKEN",
    ]);
    const noToken = await cli(["--context", "gone", "runs"]);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain("NO_SUCH_TOKEN is not set");
    const down = await cli(["--context", "gone", "runs"], { NO_SUCH_TOKEN: "x" });
    expect(down.code).toBe(5);
    expect(down.stderr).toContain(`cannot reach http://127.0.0.1:${closedPort}: ECONNREFUSED`);
  });

  it("when colour is forced, then the text is painted; piped by default it is not", async () => {
    const painted = await cli(["runs"], { FORCE_COLOR: "1" });
    expect(painted.stdout).toContain("\x1b[");
    const plain = await cli(["runs"]);
    expect(plain.stdout).not.toContain("\x1b[");
  });
});
