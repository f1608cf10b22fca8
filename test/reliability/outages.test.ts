// Outages against the real sandbox, with the worker as a child process: the DNS server (BIND) down
// while a run repoints a record → the step fails within its timeout with a precise error, and a
// revert restores the Kafka change the run made before it, from the recorded before-state; Redis
// (AOF) restarted while a run is in flight → the run still ends succeeded with no audit entry lost.
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Admin } from "kafkajs";
import { primaryCname } from "../../sandbox/drill/sandbox-control.js";
import { kafkaFor, repoRoot, sandboxCli, unique } from "../integration/sandbox.js";
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
let worker: ServiceChild;
let admin: Admin;
const topics: string[] = [];

async function minIsr(topic: string): Promise<string | undefined> {
  const res = await admin.describeConfigs({
    resources: [{ type: 2, name: topic, configNames: ["min.insync.replicas"] }],
    includeSynonyms: false,
  });
  return res.resources[0]?.configEntries[0]?.configValue;
}

async function newTopic(): Promise<string> {
  const topic = unique("stretch-out-");
  topics.push(topic);
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
  return topic;
}

async function finished(id: string, timeoutMs = 120_000) {
  return until(
    `run ${id} to finish`,
    async () => {
      const run = await api.service.engine.get(id);
      return run && ["succeeded", "failed", "cancelled"].includes(run.state) ? run : undefined;
    },
    timeoutMs,
    200,
  );
}

beforeAll(async () => {
  // The suite's own runbook beside the repository's stretched-dc-loss.
  const runbooksDir = mkdtempSync(join(tmpdir(), "so-rel-runbooks-"));
  copyFileSync(
    join(import.meta.dirname, "runbooks", "rel-dns-down.yaml"),
    join(runbooksDir, "rel-dns-down.yaml"),
  );
  copyFileSync(
    join(repoRoot, "runbooks", "stretched-dc-loss.yaml"),
    join(runbooksDir, "stretched-dc-loss.yaml"),
  );
  env = writeEnvironment({ name: "outage", service: { runbooksDir } });
  api = await startApi(env);
  worker = spawnService({
    name: "worker",
    configFile: env.file,
    mode: "worker",
    logFile: join(env.dir, "worker.log"),
    auditJsonl: join(env.dir, "audit-worker.jsonl"),
    env: { SWITCHOVER_FAULT_TRACE: join(env.dir, "trace.jsonl") },
  });
  admin = kafkaFor("stretch", { retries: 10 }).admin();
  await admin.connect();
}, 120_000);

afterAll(async () => {
  await sandboxCli("start", "bind").catch(() => "");
  await sandboxCli("start", "redis").catch(() => "");
  await worker?.stop(5_000);
  await api?.close();
  await admin?.deleteTopics({ topics }).catch(() => undefined);
  await admin?.disconnect();
});

describe("outages", () => {
  it("DNS server down: the DNS step fails within its timeout with a precise error; revert restores the Kafka change from the recorded before-state", async () => {
    const topic = await newTopic();
    const dnsBefore = await primaryCname();
    await sandboxCli("stop", "bind");
    addFigures({ faultsInjected: 1 });
    let runId = "";
    try {
      const t0 = Date.now();
      const started = await api.call(env.tokens.admin, "POST", "/v1/runbooks/rel-dns-down/runs", {
        params: { topic },
        dryRun: false,
        reason: "reliability: DNS down",
      });
      expect(started.status, JSON.stringify(started.body)).toBe(202);
      runId = (started.body as { id: string }).id;
      const run = await finished(runId);
      const ms = Date.now() - t0;
      expect(run.state).toBe("failed");
      const step = run.steps.find((s) => s.id === "repoint")!;
      expect(step.state).toBe("failed");
      // Precise: names the step or the server, and what went wrong; bounded by the step's 8 s
      // timeout plus the run's own work, not by a resolver's default minutes.
      expect(step.error?.message ?? "").toMatch(
        /timed out|ECONNREFUSED|unreachable|no answer|did not answer/i,
      );
      expect(ms).toBeLessThan(60_000);
      expect(await minIsr(topic)).toBe("2");
    } finally {
      await sandboxCli("start", "bind");
    }
    expect(await primaryCname()).toBe(dnsBefore);
    const revert = await api.call(env.tokens.admin, "POST", `/v1/runs/${runId}/revert`, {
      dryRun: false,
      reason: "reliability: undo after DNS outage",
    });
    expect(revert.status, JSON.stringify(revert.body)).toBe(202);
    const reverted = await finished((revert.body as { id: string }).id);
    expect(reverted.state, JSON.stringify(reverted.error)).toBe("succeeded");
    expect(await minIsr(topic)).toBe("3");
  }, 240_000);

  it("Redis restarted while a run is in flight: the run resumes and ends succeeded, no audit entry lost", async () => {
    const topic = await newTopic();
    const started = await api.call(env.tokens.admin, "POST", "/v1/runbooks/stretched-dc-loss/runs", {
      params: { topics: topic, canaryTopic: topic, minIsr: 2 },
      dryRun: false,
      reason: "reliability: Redis restart",
    });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const runId = (started.body as { id: string }).id;
    // Restart as soon as the worker is inside the run (it has planned its first step).
    await until(
      "the worker inside the run",
      async () => ((await api.service.engine.get(runId))?.steps[0]?.state !== "pending" ? true : undefined),
      60_000,
      50,
    );
    await sandboxCli("stop", "redis");
    await sandboxCli("start", "redis");
    addFigures({ faultsInjected: 1 });
    const run = await finished(runId, 180_000);
    expect(run.state, JSON.stringify(run.error)).toBe("succeeded");
    expect(await minIsr(topic)).toBe("2");
    const audit = await checkRunAudit(api.service.deps.audit, run, env.dir);
    addFigures(
      { auditEntriesLost: audit.lost.length, runsExecutedTwice: audit.repeated.length > 0 ? 1 : 0 },
      `outages: Redis restarted mid-run → ${run.state}, ${audit.lost.length} audit entries lost`,
    );
    expect(audit.lost).toEqual([]);
    expect(audit.repeated).toEqual([]);
    expect(audit.chainOk, audit.chainReason).toBe(true);
  }, 300_000);
});
