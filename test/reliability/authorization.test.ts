// No one bypasses the second person: the authorization table (test/lib/authorization-table.ts) sent
// to a real service process under approvals.required "all" with 2 approvers. Every authenticated
// operation × role (and no token), then every run command × caller × requester × run state. The
// runbook's one change is a POST to a sink inside this test, so a change that happened is counted
// where it happened, not read from the service's own record. A bypass is an answer the table refuses
// that came back 2xx, or a change made without two approvals from people other than the requester.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-explicit-any -- response bodies are JSON read field by field */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CALLERS, ENDPOINTS, REQUESTERS, ROLES, commandCases } from "../lib/authorization-table.js";
import type {
  Caller,
  Command,
  CommandCase,
  Requester,
  RunState,
  TableContext,
} from "../lib/authorization-table.js";
import { writeEnvironment } from "./lib/environment.js";
import type { SuiteEnvironment } from "./lib/environment.js";
import { addFigures } from "./lib/figures.js";
import { spawnService, until } from "./lib/processes.js";
import type { ServiceChild } from "./lib/processes.js";

const touches = new Map<string, number>();
let sink: Server;
let child: ServiceChild | undefined;
let env: SuiteEnvironment;
let url: string;
let tried = 0;
let bypasses = 0;
const bypassed: string[] = [];
const mismatches: string[] = [];

interface Answer {
  status: number;
  body: any;
}

async function send(
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  raw?: { text: string; contentType: string },
): Promise<Answer> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  let payload: string | undefined;
  if (raw) {
    headers["content-type"] = raw.contentType;
    payload = raw.text;
  } else if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    ...(payload !== undefined ? { body: payload } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON (events, report text) */
  }
  return { status: res.status, body: parsed };
}

const tokenOf = (caller: Caller | Requester): string => env.tokens[caller];

async function settled(id: string): Promise<any> {
  return until(
    `run ${id} parked or finished`,
    async () => {
      const run = (await send(env.tokens.viewer, "GET", `/v1/runs/${id}`)).body;
      const busy = run.steps?.some((s: { state: string }) => s.state === "running");
      return ["waiting_approval", "succeeded", "failed", "cancelled"].includes(run.state) && !busy
        ? run
        : undefined;
    },
    30_000,
    100,
  );
}

let n = 0;
interface TableRun {
  id: string;
  key: string;
  /** Changes the test allowed: 1 once two people other than the requester approved it. */
  allowed: number;
  approvedBy: Set<Caller>;
  requester: Requester;
}

async function expectAnswer(res: Answer, status: number, what: string): Promise<void> {
  expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(status);
}

/** A fresh run of authz-touch by the requester, brought to the state. */
async function runIn(state: RunState, requester: Requester): Promise<TableRun> {
  const key = `authz-${n++}`;
  const started = await send(tokenOf(requester), "POST", "/v1/runbooks/authz-touch/runs", {
    dryRun: state === "dry-run",
    params: { key, fail: state === "failed" },
  });
  await expectAnswer(started, 202, `start (${state})`);
  const run: TableRun = { id: started.body.id, key, allowed: 0, approvedBy: new Set(), requester };
  const parked = await settled(run.id);
  if (state === "dry-run") {
    expect(parked.state).toBe("succeeded");
    return run;
  }
  expect(parked.state).toBe("waiting_approval");
  const approve = async (by: Caller) => {
    await expectAnswer(
      await send(tokenOf(by), "POST", `/v1/runs/${run.id}/approve`, {}),
      200,
      `approve by ${by}`,
    );
    run.approvedBy.add(by);
  };
  if (state === "partly") await approve("approver");
  if (state === "rejected") {
    await expectAnswer(
      await send(tokenOf("approver"), "POST", `/v1/runs/${run.id}/reject`, {}),
      200,
      "reject",
    );
  }
  if (state === "succeeded" || state === "failed") {
    await approve("approver");
    await approve("approver2");
    run.allowed = 1;
  }
  if (state === "cancelled") {
    await expectAnswer(
      await send(tokenOf(requester), "POST", `/v1/runs/${run.id}/cancel`, {}),
      200,
      "cancel",
    );
  }
  const ready = await settled(run.id);
  const want = { waiting: "waiting_approval", partly: "waiting_approval", rejected: "failed" }[
    state as string
  ];
  expect(ready.state).toBe(want ?? (state === "cancelled" ? "cancelled" : state));
  expect(touches.get(key) ?? 0).toBe(run.allowed);
  return run;
}

function request(command: Command, id: string): { path: string; body: unknown } {
  switch (command) {
    case "approve":
      return { path: `/v1/runs/${id}/approve`, body: { comment: "table" } };
    case "reject":
      return { path: `/v1/runs/${id}/reject`, body: { comment: "table" } };
    case "skip-change":
      return { path: `/v1/runs/${id}/steps/touch/skip`, body: { reason: "table" } };
    case "skip-next":
      return { path: `/v1/runs/${id}/steps/check/skip`, body: { reason: "table" } };
    case "retry":
      return { path: `/v1/runs/${id}/retry`, body: { reason: "table" } };
    case "cancel":
      return { path: `/v1/runs/${id}/cancel`, body: { reason: "table" } };
    case "revert":
      return { path: `/v1/runs/${id}/revert`, body: { dryRun: false, reason: "table" } };
  }
}

/** Cancels what is still parked, so no run of this runbook is left waiting. */
async function release(id: string): Promise<void> {
  const run = await settled(id);
  if (run.state === "waiting_approval") await send(env.tokens.admin, "POST", `/v1/runs/${id}/cancel`, {});
}

/** Sends one case on the run; answers whether the run may be used again (it was refused). */
async function sendCase(c: CommandCase, run: TableRun): Promise<boolean> {
  const { path, body } = request(c.command, run.id);
  const res = await send(tokenOf(c.caller), "POST", path, body);
  tried++;
  const what = `${c.state} run requested by ${c.requester}: ${c.command} by ${c.caller}`;
  const ok = res.status >= 200 && res.status < 300;
  if (ok && !(c.expected >= 200 && c.expected < 300)) {
    bypasses++;
    bypassed.push(`${what}: ${res.status}, the table says ${c.expected}`);
  }
  // A second distinct approver who is not the requester completes the approval: the change may run.
  if (c.command === "approve" && ok) {
    run.approvedBy.add(c.caller);
    if ([...run.approvedBy].filter((b) => b !== run.requester).length >= 2) run.allowed = 1;
  }
  const after = await settled(run.id);
  if (c.command === "revert" && res.status === 202) await release(res.body.id as string);
  const changed = touches.get(run.key) ?? 0;
  if (changed > run.allowed) {
    bypasses++;
    bypassed.push(`${what}: the change was made ${changed} time(s) with ${run.allowed} allowed`);
    run.allowed = changed;
  }
  if (res.status !== c.expected)
    mismatches.push(
      `${what}: ${res.status} (${res.body?.title ?? ""} ${res.body?.detail ?? ""}), the table says ${c.expected}`,
    );
  if (ok) await release(run.id);
  return !ok && after !== undefined;
}

beforeAll(async () => {
  sink = createServer((req, res) => {
    const key = decodeURIComponent((req.url ?? "").replace(/^\/touch\//, ""));
    if (req.method === "POST") touches.set(key, (touches.get(key) ?? 0) + 1);
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const runbooks = mkdtempSync(join(tmpdir(), "so-authz-runbooks-"));
  writeFileSync(
    join(runbooks, "authz-touch.yaml"),
    `apiVersion: switchover/v1
kind: Runbook
metadata: { name: authz-touch, description: "one change (a POST the test counts), then a check" }
params:
  key: { type: string }
  fail: { type: boolean, default: false }
steps:
  - id: touch
    uses: http.request
    with: { method: POST, url: "${sinkUrl}/touch/\${{ params.key }}", expectStatus: 200 }
  - id: check
    uses: assert
    with: { that: "\${{ params.fail == false }}", message: the run was asked to fail after its change }
`,
  );
  env = writeEnvironment({
    name: "authorization",
    http: { allow: [`${sinkUrl}/`] },
    service: { runbooksDir: runbooks, approvals: { required: "all", approvers: 2 } },
  });
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const p = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  child = spawnService({
    name: `authorization-${p}`,
    configFile: env.file,
    mode: "all",
    logFile: join(env.dir, "service.log"),
    auditJsonl: join(env.dir, "audit.jsonl"),
    port: p,
  });
  url = `http://127.0.0.1:${p}`;
  await until(
    "the service to be ready",
    async () => ((await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200 ? true : undefined),
    60_000,
  );
}, 120_000);

afterAll(async () => {
  await child?.stop(5_000);
  await new Promise((r) => sink?.close(r));
  if (tried > 0) {
    addFigures(
      { authorizationCases: tried, authorizationBypasses: bypasses },
      `authorization: ${tried} cases (endpoints × roles, run commands × caller × requester × state) against a real process; ${bypasses} bypass(es)${bypassed.length ? `: ${bypassed.join("; ")}` : ""}`,
    );
  }
});

describe("the authorization table against a real service process (approvals all, 2 approvers)", () => {
  it("every authenticated operation answers each role as the table says, and 401 without a token", async () => {
    const dry = await send(env.tokens.operator, "POST", "/v1/runbooks/authz-touch/runs", {
      dryRun: true,
      params: { key: "endpoints" },
    });
    const ctx: TableContext = {
      runId: dry.body.id,
      runbook: "authz-touch",
      changeStep: "touch",
      params: { key: "endpoints" },
    };
    await settled(ctx.runId);
    const wrong: string[] = [];
    for (const e of ENDPOINTS) {
      for (const role of [...ROLES, undefined]) {
        const res = await send(
          role ? env.tokens[role] : undefined,
          e.method,
          e.path(ctx),
          e.body?.(ctx),
          e.raw !== undefined ? { text: e.raw, contentType: e.contentType! } : undefined,
        );
        tried++;
        const through = res.status !== 401 && res.status !== 403;
        const allowed = role !== undefined && e.allowed.includes(role);
        if (through && !allowed) {
          bypasses++;
          bypassed.push(`${e.method} ${e.template} as ${role ?? "no token"}: ${res.status}`);
        }
        if (through !== allowed || (role === undefined && res.status !== 401)) {
          wrong.push(`${e.method} ${e.template} as ${role ?? "no token"}: ${res.status}`);
        }
      }
    }
    // Nothing the endpoint pass started is left parked (a real start waits for approval).
    const runs = (await send(env.tokens.viewer, "GET", "/v1/runs?limit=100")).body.items as Array<{
      id: string;
    }>;
    for (const r of runs) await release(r.id);
    expect(wrong).toEqual([]);
  }, 120_000);

  for (const requester of REQUESTERS) {
    it(`every run command × caller × run state, on runs requested by ${requester}: the table's answer, and no change without two other approvers`, async () => {
      mismatches.length = 0;
      const cases = commandCases().filter((c) => c.requester === requester);
      const groups = new Map<string, CommandCase[]>();
      for (const c of cases) {
        const k = `${c.state} ${c.command}`;
        groups.set(k, [...(groups.get(k) ?? []), c]);
      }
      for (const group of groups.values()) {
        // Refusals leave the run as it was, so it serves the next caller; an answer that changed
        // it (2xx) means a fresh run in the same state for whoever comes next.
        let run: TableRun | undefined;
        for (const c of group) {
          run ??= await runIn(c.state, requester);
          if (!(await sendCase(c, run))) run = undefined;
        }
        if (run) await release(run.id);
      }
      expect(bypassed).toEqual([]);
      expect(mismatches).toEqual([]);
      expect(cases.length).toBe(7 * 7 * CALLERS.length);
    }, 600_000);
  }
});
