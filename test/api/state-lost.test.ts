// A Redis that lost data is detected, never silently written on: each way Redis loses what the
// fsync'd audit file proves was acknowledged (FLUSHALL, a restart without persistence, a rollback to
// an older AOF, a fork) puts the service in `state-lost` — /readyz 503 with the reason, run commands
// refused with problem type state-lost, switchover_state_lost 1, one error log line — until an admin
// restores the chain from the file, which continues it at the next seq, never at 1.
// Each scenario runs on a redis-server of its own (random port 26400-26999), never the sandbox's.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON the contract check has validated */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/audit-log.js";
import { MemoryLogger } from "../../src/engine/ports/logger.js";
import { startOwnRedis } from "../lib/own-redis.js";
import type { OwnRedis } from "../lib/own-redis.js";
import { call } from "./contract.js";
import { eventually, startHarness } from "./harness.js";
import type { Harness, HarnessOptions } from "./harness.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface Setup {
  redis: OwnRedis;
  jsonl: string;
  h: Harness;
  logger: MemoryLogger;
}

async function setup(appendonly: boolean): Promise<Setup> {
  const redis = await startOwnRedis({ appendonly });
  cleanups.push(() => redis.close());
  const dir = mkdtempSync(join(tmpdir(), "so-state-lost-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const jsonl = join(dir, "audit.jsonl");
  const logger = new MemoryLogger();
  const h = await harness({ redisUrl: redis.url, auditJsonlPath: jsonl, logger });
  return { redis, jsonl, h, logger };
}

async function harness(opts: HarnessOptions): Promise<Harness> {
  const h = await startHarness(opts);
  cleanups.push(() => h.close());
  return h;
}

/** A real run of touch-dc1, to its end: audit entries the caller was told were saved. */
async function realRun(h: Harness, key: string): Promise<string> {
  const started = await call(h.service.app, "POST", "/v1/runbooks/touch-dc1/runs", {
    token: h.tokens.operator,
    body: { params: { key }, dryRun: false },
  });
  expect(started.status, started.text).toBe(202);
  const id = started.body.id as string;
  await eventually(async () => {
    const res = await call(h.service.app, "GET", `/v1/runs/${id}`, { token: h.tokens.viewer });
    return res.body.state === "succeeded" ? true : undefined;
  }, 20_000);
  return id;
}

function fileSeqs(jsonl: string): number[] {
  return readFileSync(jsonl, "utf8")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => (JSON.parse(l) as { seq: number }).seq);
}

async function expectStateLost(h: Harness, condition: string, logger?: MemoryLogger): Promise<void> {
  const ready = await eventually(async () => {
    const res = await call(h.service.app, "GET", "/readyz");
    return res.status === 503 ? res : undefined;
  }, 5_000);
  expect(ready.body.checks.state.ok).toBe(false);
  expect(ready.body.checks.state.error).toContain(`state-lost (${condition})`);

  for (const dryRun of [false, true]) {
    const refused = await call(h.service.app, "POST", "/v1/runbooks/touch-dc1/runs", {
      token: h.tokens.operator,
      body: { params: { key: "refused" }, dryRun },
    });
    expect(refused.status, refused.text).toBe(503);
    expect(refused.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(refused.body.type).toBe("urn:switchover:problem:state-lost");
    expect(refused.body.code).toBe("STATE_LOST");
    expect(refused.body.detail).toContain(condition);
    expect(refused.body.details).toMatchObject({ condition });
  }
  expect(await h.touches("refused")).toBe(0);
  // Every other command that records a change: refused before the run is even looked up.
  const someRun = "00000000-0000-4000-8000-000000000000";
  const commands: Array<[string, string, Record<string, unknown>?]> = [
    ["approver", `/v1/runs/${someRun}/approve`],
    ["approver", `/v1/runs/${someRun}/reject`],
    ["operator", `/v1/runs/${someRun}/cancel`],
    ["operator", `/v1/runs/${someRun}/retry`, { reason: "state-lost test" }],
    ["operator", `/v1/runs/${someRun}/steps/touch/skip`, { reason: "state-lost test" }],
    ["operator", `/v1/runs/${someRun}/revert`],
  ];
  for (const [who, path, body] of commands) {
    const res = await call(h.service.app, "POST", path, {
      token: h.tokens[who as "approver" | "operator"],
      ...(body ? { body } : {}),
    });
    expect({ path, status: res.status, type: res.body.type as unknown }).toEqual({
      path,
      status: 503,
      type: "urn:switchover:problem:state-lost",
    });
  }
  const schedule = await call(h.service.app, "POST", "/v1/schedules", {
    token: h.tokens.admin,
    body: { id: "while-lost", runbook: "touch-dc1", cron: "0 3 1 1 *" },
  });
  expect(schedule.status).toBe(503);
  expect(schedule.body.type).toBe("urn:switchover:problem:state-lost");
  expect(await h.redis.keys(`${h.prefix}:schedule*`)).toEqual([]);

  const verify = await call(h.service.app, "GET", "/v1/audit/verify", { token: h.tokens.viewer });
  expect(verify.status).toBe(200);
  expect(verify.body.ok).toBe(false);
  expect(verify.body.stateLost).toMatchObject({ condition });

  const metrics = await call(h.service.app, "GET", "/metrics");
  expect(metrics.text).toMatch(/^switchover_state_lost 1$/m);
  if (logger) {
    const errors = logger.entries.filter((e) => e.level === "error" && e.msg.includes("state-lost"));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.fields).toMatchObject({ condition });
  }
}

/** Restores as admin and checks the chain continues at the file's head + 1 and the service acts again. */
async function restoreAndContinue(h: Harness, jsonl: string, condition: string): Promise<void> {
  const denied = await call(h.service.app, "POST", "/v1/audit/restore", { token: h.tokens.operator });
  expect(denied.status).toBe(403);
  const fileHead = Math.max(...fileSeqs(jsonl));
  const restored = await call(h.service.app, "POST", "/v1/audit/restore", { token: h.tokens.admin });
  expect(restored.status, restored.text).toBe(200);
  expect(restored.body).toMatchObject({ condition, head: fileHead, entry: { seq: fileHead + 1 } });

  const entry = await call(h.service.app, "GET", `/v1/audit?afterSeq=${fileHead}`, {
    token: h.tokens.viewer,
  });
  expect(entry.body.items[0]).toMatchObject({ seq: fileHead + 1, action: "audit.restored", actor: "admin" });
  expect(entry.body.items[0].data).toMatchObject({ condition });

  const verify = await call(h.service.app, "GET", "/v1/audit/verify", { token: h.tokens.viewer });
  expect(verify.body).toMatchObject({ ok: true, checked: fileHead + 1 });
  // Readiness answers are cached for a second.
  await eventually(async () =>
    (await call(h.service.app, "GET", "/readyz")).status === 200 ? true : undefined,
  );
  expect((await call(h.service.app, "GET", "/metrics")).text).toMatch(/^switchover_state_lost 0$/m);

  await realRun(h, "after-restore");
  expect(Math.min(...fileSeqs(jsonl).filter((s) => s > fileHead + 1))).toBe(fileHead + 2);
  expect((await call(h.service.app, "GET", "/v1/audit/verify", { token: h.tokens.viewer })).body.ok).toBe(
    true,
  );
}

describe("state-lost: a Redis that lost data is detected and refused until restored", () => {
  it("when Redis is flushed (FLUSHALL), then the lost keyspace is detected, run commands are refused, and a restore continues the chain", async () => {
    const { redis, jsonl, h, logger } = await setup(true);
    await realRun(h, "before");
    const client = new Redis(redis.url);
    await client.flushall();
    client.disconnect();

    await expectStateLost(h, "keyspace-lost", logger);
    await restoreAndContinue(h, jsonl, "keyspace-lost");
  });

  it("when Redis restarts without persistence, then both the running service and a service started afterwards detect it", async () => {
    const { redis, jsonl, h } = await setup(false);
    await realRun(h, "before");
    await redis.kill();
    await redis.start();
    await expectStateLost(h, "keyspace-lost");

    // A process started now on the same audit file knows at start-up, before any request.
    const logger = new MemoryLogger();
    const again = await harness({
      redisUrl: redis.url,
      auditJsonlPath: jsonl,
      prefix: h.prefix,
      tokens: h.tokens,
      logger,
    });
    await expectStateLost(again, "keyspace-lost", logger);
    await restoreAndContinue(again, jsonl, "keyspace-lost");
  });

  it("when Redis comes back from an older AOF, then the head behind the file and a fork written on it are detected, and restore puts the lost entries back", async () => {
    const { redis, jsonl, h } = await setup(true);
    await realRun(h, "one");
    const copy = redis.snapshot();
    const lostRun = await realRun(h, "two");
    await redis.rollBackTo(copy);
    await expectStateLost(h, "head-behind");

    // A writer that never saw the lost entries (no file) writes on the rolled-back chain: a fork.
    const stale = new Redis(redis.url);
    const other = new AuditLog(stale, { prefix: h.prefix });
    await other.append({ actor: "elsewhere", action: "written.after.rollback" });
    await other.close();
    stale.disconnect();
    const verify = await call(h.service.app, "GET", "/v1/audit/verify", { token: h.tokens.viewer });
    expect(verify.body.stateLost).toMatchObject({ condition: "head-behind" });

    const fileHead = Math.max(...fileSeqs(jsonl));
    const restored = await call(h.service.app, "POST", "/v1/audit/restore", { token: h.tokens.admin });
    expect(restored.status, restored.text).toBe(200);
    expect(restored.body).toMatchObject({ head: fileHead, entry: { seq: fileHead + 1 } });
    expect(restored.body.displaced).toBeGreaterThan(0);
    const lost = await call(h.service.app, "GET", `/v1/audit?runId=${lostRun}`, { token: h.tokens.viewer });
    const items = lost.body.items as Array<{ action: string; data: { to?: string } }>;
    expect(items.some((e) => e.action === "run.transition" && e.data.to === "succeeded")).toBe(true);
    const ok = await call(h.service.app, "GET", "/v1/audit/verify", { token: h.tokens.viewer });
    expect(ok.body).toMatchObject({ ok: true, checked: fileHead + 1 });
  });

  it("when a service starts against a forked chain (same seq, another hash), then it starts in state-lost (fork)", async () => {
    const { redis, jsonl, h } = await setup(true);
    await realRun(h, "one");
    const copy = redis.snapshot();
    await realRun(h, "two");
    await h.service.close(0);
    await redis.rollBackTo(copy);
    const stale = new Redis(redis.url);
    const other = new AuditLog(stale, { prefix: h.prefix });
    for (let i = 0; i < 40; i++) await other.append({ actor: "elsewhere", action: "written.after.rollback" });
    await other.close();
    stale.disconnect();

    const again = await harness({
      redisUrl: redis.url,
      auditJsonlPath: jsonl,
      prefix: h.prefix,
      tokens: h.tokens,
    });
    await expectStateLost(again, "fork");
  });

  it("when an operator uses the CLI, then audit verify names the condition (exit 1) and audit restore by an admin continues the chain (exit 0)", async () => {
    const { redis, jsonl, h } = await setup(true);
    await realRun(h, "cli");
    const client = new Redis(redis.url);
    await client.flushall();
    client.disconnect();

    const server = h.service.app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );
    const home = mkdtempSync(join(tmpdir(), "so-cli-state-"));
    cleanups.push(() => rmSync(home, { recursive: true, force: true }));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cli = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
        execFile(
          process.execPath,
          [resolve(import.meta.dirname, "../../bin/switchover.js"), ...args],
          {
            env: {
              PATH: process.env.PATH ?? "",
              HOME: home,
              SWITCHOVER_CLI_CONFIG: join(home, "config.yaml"),
            },
          },
          (err, stdout, stderr) =>
            done({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }),
        ),
      );
    for (const who of ["viewer", "admin"] as const) {
      const file = join(home, `${who}.token`);
      writeFileSync(file, `${h.tokens[who]}\n`, { mode: 0o600 });
      expect((await cli(["context", "set", who, "--url", base, "--token-file", file])).code).toBe(0);
    }

    const verify = await cli(["--context", "viewer", "audit", "verify"]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/^STATE LOST \(keyspace-lost\): /m);
    expect(verify.stdout).toContain("switchover audit restore");
    expect((await cli(["--context", "viewer", "audit", "restore"])).code).toBe(4);

    const fileHead = Math.max(...fileSeqs(jsonl));
    const restore = await cli(["--context", "admin", "audit", "restore"]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toContain(
      `audit chain restored (keyspace-lost): ${fileHead} entries written back, head ${fileHead}; the restore is entry ${fileHead + 1}`,
    );
    const again = await cli(["--context", "viewer", "audit", "verify"]);
    expect(again.stdout).toMatch(new RegExp(`^audit chain intact: ${fileHead + 1} entries checked`, "m"));
  });

  it("when Redis rolls back while a real run is mid-step, then the step in hand may finish but no later step applies", async () => {
    const redis = await startOwnRedis({ appendonly: true });
    cleanups.push(() => redis.close());
    const dir = mkdtempSync(join(tmpdir(), "so-state-lost-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const h = await harness({
      redisUrl: redis.url,
      auditJsonlPath: join(dir, "audit.jsonl"),
      runbooks: {
        "three-touches": `
apiVersion: switchover/v1
kind: Runbook
metadata: { name: three-touches }
steps:
  - { id: first, uses: test.touch, with: { cluster: dc1, key: first } }
  - { id: second, uses: test.touch, with: { cluster: dc1, key: second, holdMs: 4000 } }
  - { id: third, uses: test.touch, with: { cluster: dc1, key: third } }
`,
      },
    });
    const started = await call(h.service.app, "POST", "/v1/runbooks/three-touches/runs", {
      token: h.tokens.admin,
      body: { dryRun: false },
    });
    expect(started.status, started.text).toBe(202);
    const id = started.body.id as string;
    await eventually(async () => {
      const run = await call(h.service.app, "GET", `/v1/runs/${id}`, { token: h.tokens.viewer });
      return run.body.steps[1].state === "applying" ? true : undefined;
    }, 20_000);
    // While the second step holds: an acknowledged entry after the snapshot, then the rollback loses it.
    const copy = redis.snapshot();
    const schedule = await call(h.service.app, "POST", "/v1/schedules", {
      token: h.tokens.admin,
      body: { id: "acknowledged-then-lost", runbook: "touch-dc1", cron: "0 3 1 1 *" },
    });
    expect(schedule.status).toBe(201);
    await redis.rollBackTo(copy);

    await expectStateLost(h, "head-behind");
    await eventually(async () => ((await h.touches("second")) === 1 ? true : undefined), 15_000);
    await new Promise((r) => setTimeout(r, 4_000));
    expect(await h.touches("third")).toBe(0);
  });
});
