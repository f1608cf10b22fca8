// Workers on one Redis: a run delivered to two workers is executed once (side effects counted in
// Redis); a worker killed mid-step (SIGKILL, a real child process) has its run picked up and resumed
// by another; SIGTERM parks an in-flight run instead of dropping it.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON the contract check has validated */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import request from "supertest";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryLogger } from "../../src/engine/ports/logger.js";
import { buildService } from "../../src/main.js";
import type { Service } from "../../src/main.js";
import { call } from "./contract.js";
import { eventually, startHarness, touchStep } from "./harness.js";
import type { Harness } from "./harness.js";

const ROOT = resolve(import.meta.dirname, "../..");
let h: Harness;
const extra: Service[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  // The API alone: workers are started by each test.
  h = await startHarness({ mode: "api" });
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  for (const s of extra) await s.close(0);
  await h?.close();
});

async function inProcessWorker(): Promise<Service> {
  const s = await buildService({
    config: h.config,
    mode: "worker",
    logger: MemoryLogger.silent(),
    extraSteps: [touchStep(h.redis, h.prefix)],
    readinessChecks: [],
  });
  await s.worker!.ready();
  extra.push(s);
  return s;
}

/** A worker in its own process, started the way operators start one: tsx src/main.ts. */
function childWorker(): { child: ChildProcess; output: () => string } {
  const dir = mkdtempSync(join(tmpdir(), "so-worker-"));
  const configFile = join(dir, "switchover.yaml");
  writeFileSync(configFile, stringify(h.config));
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      SWITCHOVER_CONFIG: configFile,
      SWITCHOVER_MODE: "worker",
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      SWITCHOVER_AUDIT_JSONL: join(dir, "audit.jsonl"),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  children.push(child);
  return { child, output: () => out };
}

async function runState(
  id: string,
): Promise<{ state: string; steps: { id: string; state: string; attempt: number }[] }> {
  const res = await call(h.service.app, "GET", `/v1/runs/${id}`, { token: h.tokens.viewer });
  return res.body as { state: string; steps: { id: string; state: string; attempt: number }[] };
}

describe("workers", () => {
  it("when a process runs the worker only, then it serves probes and metrics but not the API", async () => {
    const w = await inProcessWorker();
    expect((await call(w.app, "GET", "/healthz")).status).toBe(200);
    expect((await call(w.app, "GET", "/metrics")).text).toContain("switchover_queue_pickup_seconds");
    const api = await request(w.app).get("/v1/runs").set("Authorization", `Bearer ${h.tokens.viewer}`);
    expect(api.status).toBe(404);
    expect(api.headers["content-type"]).toMatch(/^application\/problem\+json/);
    await w.close(0);
  });

  it("when two workers get the same run (duplicate deliveries), then it is executed once", async () => {
    const [w1, w2] = [await inProcessWorker(), await inProcessWorker()];
    const res = await call(h.service.app, "POST", "/v1/runbooks/hold/runs", {
      token: h.tokens.operator,
      body: { params: { key: "twice", holdMs: 600 }, dryRun: false },
    });
    const id = res.body.id as string;
    // Deliver the same run four more times, as duplicate enqueues from several API instances would.
    for (let i = 0; i < 4; i++) await h.service.queue.enqueueRun(id, `dup${i}`);
    await eventually(async () => ((await runState(id)).state === "succeeded" ? true : undefined), 20_000);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await h.touches("twice")).toBe(1);
    const log = await h.redis.lrange(`${h.prefix}:touch-log`, 0, -1);
    expect(log.filter((l) => l === `twice:${id}`)).toHaveLength(1);
    await w1.close(0);
    await w2.close(0);
  });

  it("when the worker driving a run is killed (SIGKILL), then another worker resumes the run from its step", async () => {
    const { child, output } = childWorker();
    const res = await call(h.service.app, "POST", "/v1/runbooks/sleepy-wait/runs", {
      token: h.tokens.operator,
      body: { params: { for: "4s" }, dryRun: false },
    });
    const id = res.body.id as string;
    await eventually(
      async () => ((await runState(id)).steps[0]!.state === "applying" ? true : undefined),
      20_000,
      `child worker to start the wait\n${output()}`,
    );
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    expect((await runState(id)).state).toBe("running");
    await inProcessWorker();
    const done = await eventually(
      async () => {
        const r = await runState(id);
        return r.state === "succeeded" || r.state === "failed" ? r : undefined;
      },
      30_000,
      "the resumed run to finish",
    );
    expect(done.state).toBe("succeeded");
    const audit = await call(h.service.app, "GET", `/v1/audit?runId=${id}&action=step.applied`, {
      token: h.tokens.viewer,
    });
    // The killed worker never finished the wait; the resumed one applied it exactly once.
    const applied = (audit.body.items as { stepId?: string }[]).filter((e) => e.stepId === "pause");
    expect(applied).toHaveLength(1);
    const step = (await runState(id)).steps[0]!;
    expect(step.attempt).toBeGreaterThanOrEqual(1);
  });

  it("when a queued run's job is lost, then a worker's reconciler enqueues it again and it runs", async () => {
    for (const s of extra.splice(0)) await s.close(0);
    const res = await call(h.service.app, "POST", "/v1/runbooks/touch-dc1/runs", {
      token: h.tokens.operator,
      body: { params: { key: "lost-job" }, dryRun: false },
    });
    const id = res.body.id as string;
    // No worker is running; lose the job the API enqueued.
    const job = await h.service.queue.queue.getJob(`${id}.1`);
    await job!.remove();
    expect((await runState(id)).state).toBe("queued");
    await inProcessWorker();
    const done = await eventually(
      async () => ((await runState(id)).state === "succeeded" ? true : undefined),
      20_000,
      "the reconciled run to finish",
    );
    expect(done).toBe(true);
    expect(await h.touches("lost-job")).toBe(1);
  });

  it("when a worker gets SIGTERM mid-run, then it parks the run within the grace period and exits; another finishes it", async () => {
    for (const s of extra.splice(0)) await s.close(0);
    const { child, output } = childWorker();
    const res = await call(h.service.app, "POST", "/v1/runbooks/sleepy-wait/runs", {
      token: h.tokens.operator,
      body: { params: { for: "8s" }, dryRun: false },
    });
    const id = res.body.id as string;
    await eventually(
      async () => ((await runState(id)).steps[0]!.state === "applying" ? true : undefined),
      20_000,
      `child worker to start the wait\n${output()}`,
    );
    const t0 = Date.now();
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    expect(code, output()).toBe(0);
    // Grace is 2 s in the test config: parked well before the 8 s wait would have ended.
    expect(Date.now() - t0).toBeLessThan(6_000);
    expect(output()).toContain("parking the run");
    await inProcessWorker();
    const done = await eventually(
      async () => {
        const r = await runState(id);
        return r.state === "succeeded" || r.state === "failed" ? r : undefined;
      },
      30_000,
      "the parked run to finish",
    );
    expect(done.state).toBe("succeeded");
  });
});
