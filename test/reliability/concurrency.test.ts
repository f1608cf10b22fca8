// Concurrency across processes: two API processes and three workers (child processes) on one
// Redis. 100 concurrent real-run requests for one target (split over both APIs) make exactly one
// run; the worker driving it is SIGKILLed inside its apply and another finishes it; nothing runs
// twice (audit: every transition once, one step.applied per step), and no target lock is left
// behind: a second real run on the same target is accepted and finishes.
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kafkaFor, unique } from "../integration/sandbox.js";
import { startApi } from "./lib/api-process.js";
import type { ApiHandle } from "./lib/api-process.js";
import { checkRunAudit } from "./lib/audit-check.js";
import { writeEnvironment } from "./lib/environment.js";
import type { SuiteEnvironment } from "./lib/environment.js";
import { addFigures } from "./lib/figures.js";
import { spawnService, until } from "./lib/processes.js";
import type { ServiceChild } from "./lib/processes.js";

let env: SuiteEnvironment;
let api: ApiHandle;
const children: ServiceChild[] = [];
const apiUrls: string[] = [];
let redis: Redis;
const topic = unique("stretch-conc-");

beforeAll(async () => {
  env = writeEnvironment({ name: "conc" });
  api = await startApi(env, "api-local");
  redis = new Redis(env.config.redis.url);
  const trace = join(env.dir, "trace.jsonl");
  for (let i = 1; i <= 2; i++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    children.push(
      spawnService({
        name: `api${i}`,
        configFile: env.file,
        mode: "api",
        port,
        logFile: join(env.dir, `api${i}.log`),
        auditJsonl: join(env.dir, `audit-api${i}.jsonl`),
      }),
    );
    apiUrls.push(`http://127.0.0.1:${port}`);
  }
  for (let i = 1; i <= 3; i++) {
    children.push(
      spawnService({
        name: `worker${i}`,
        configFile: env.file,
        mode: "worker",
        logFile: join(env.dir, `worker${i}.log`),
        auditJsonl: join(env.dir, `audit-worker${i}.jsonl`),
        // Whichever worker drives the run dies inside its apply (once: the trace is shared).
        env: { SWITCHOVER_FAULT_KILL_AT: "lower-min-isr:mid-apply:1", SWITCHOVER_FAULT_TRACE: trace },
      }),
    );
  }
  for (const url of apiUrls) {
    await until(
      `${url} ready`,
      async () => ((await fetch(`${url}/healthz`)).ok ? true : undefined),
      90_000,
      300,
    );
  }
  const admin = kafkaFor("stretch", { retries: 10 }).admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      {
        topic,
        numPartitions: 1,
        replicationFactor: 4,
        configEntries: [{ name: "min.insync.replicas", value: "3" }],
      },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
}, 180_000);

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop(5_000)));
  await api?.close();
  const admin = kafkaFor("stretch", { retries: 10 }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  redis?.disconnect();
});

async function post(url: string, body: unknown): Promise<{ status: number; id?: string }> {
  const res = await fetch(`${url}/v1/runbooks/stretched-dc-loss/runs`, {
    method: "POST",
    headers: { authorization: `Bearer ${env.tokens.admin}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const json = (await res.json()) as { id?: string };
  return { status: res.status, ...(json.id ? { id: json.id } : {}) };
}

async function finished(id: string): Promise<string> {
  return until(
    `run ${id} to finish`,
    async () => {
      const run = await api.service.engine.get(id);
      return run && ["succeeded", "failed", "cancelled"].includes(run.state) ? run.state : undefined;
    },
    180_000,
    300,
  );
}

describe("two API processes, three workers, one Redis", () => {
  it("100 concurrent real-run requests for one target make exactly one run, driven to success once despite a worker killed mid-apply, leaving no lock", async () => {
    const body = {
      params: { topics: topic, canaryTopic: topic, minIsr: 2 },
      dryRun: false,
      reason: "reliability: concurrency",
    };
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => post(apiUrls[i % 2]!, body)));
    const accepted = answers.filter((a) => a.status === 202 || a.status === 201);
    const conflicts = answers.filter((a) => a.status === 409);
    expect(accepted.length, JSON.stringify(answers.map((a) => a.status))).toBe(1);
    expect(conflicts.length).toBe(99);
    const runId = accepted[0]!.id!;

    expect(await finished(runId)).toBe("succeeded");
    const killed = children.filter((c) => c.name.startsWith("worker") && !c.alive());
    expect(killed.length, "exactly one worker died at the fault point").toBe(1);
    expect((await killed[0]!.exited).signal).toBe("SIGKILL");

    const run = (await api.service.engine.get(runId))!;
    const audit = await checkRunAudit(api.service.deps.audit, run, env.dir);
    addFigures(
      {
        faultsInjected: 1,
        runsExecutedTwice: audit.repeated.length > 0 ? 1 : 0,
        auditEntriesLost: audit.lost.length,
      },
      `concurrency: 100 concurrent starts over 2 API processes → ${accepted.length} run, ${conflicts.length}×409; 3 workers, 1 killed mid-apply`,
    );
    expect(audit.lost).toEqual([]);
    expect(audit.repeated).toEqual([]);
    expect(audit.chainOk, audit.chainReason).toBe(true);

    // Only this one run exists for the runbook, and its target lock is gone.
    const all = await api.service.engine.list({ limit: 1_000 });
    expect(
      all.filter((r) => r.runbook.metadata.name === "stretched-dc-loss" && !r.dryRun).map((r) => r.id),
    ).toEqual([runId]);
    const locks = await redis.keys(`${env.prefix}:lock:target:*`);
    expect(locks).toEqual([]);

    // The target is free again: a second real run is accepted and finishes.
    const again = await post(apiUrls[1]!, { ...body, reason: "reliability: after the first" });
    expect(again.status).toBe(202);
    expect(await finished(again.id!)).toBe("succeeded");
    expect(await redis.keys(`${env.prefix}:lock:target:*`)).toEqual([]);
  }, 400_000);
});
