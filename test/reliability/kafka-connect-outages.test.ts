// Outages of the things steps act on, with the worker as a child process: dc1's Kafka broker
// stopped (SIGKILL) or frozen (SIGSTOP) while a step is about to change it → the step fails within
// its timeout with an error naming the cluster and the refused broker or the timeout that ran out,
// and a revert (once the broker is back) restores the configs the run had changed, checked on the
// real topics; the Connect REST API of dc2 behind a proxy that delays its answers → a step reading
// it fails after the configured Connect timeout with an error saying so, or, when slow but within
// it, succeeds: no wait is unbounded.
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Admin } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configFile, pidFile, sandboxPaths } from "../../sandbox/lib/paths.js";
import { kafkaFor, sandboxCli, unique } from "../integration/sandbox.js";
import { startApi } from "./lib/api-process.js";
import type { ApiHandle } from "./lib/api-process.js";
import { DelayProxy } from "./lib/delay-proxy.js";
import { writeEnvironment } from "./lib/environment.js";
import type { SuiteEnvironment } from "./lib/environment.js";
import { addFigures } from "./lib/figures.js";
import { spawnService, until } from "./lib/processes.js";
import type { ServiceChild } from "./lib/processes.js";
import { parse } from "yaml";

const CONNECT_TIMEOUT_MS = 2_000;

let env: SuiteEnvironment;
let api: ApiHandle;
let worker: ServiceChild;
let admin: Admin;
let proxy: DelayProxy;
let trace: string;
const topics: string[] = [];
let frozenBroker: number | undefined;

/** Creates two topics and starts rel-kafka-down on them; resolves once the worker stalled in "cap". */
async function kafkaRun(
  stall: number,
): Promise<{ runId: string; first: string; second: string; before: Record<string, string | undefined> }> {
  const first = unique("kdown-a-");
  const second = unique("kdown-b-");
  topics.push(first, second);
  await admin.createTopics({
    topics: [first, second].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })),
    waitForLeaders: true,
  });
  const before = {
    retention: await configOf(first, "retention.ms"),
    maxBytes: await configOf(second, "max.message.bytes"),
  };
  const runId = await start("rel-kafka-down", {
    params: { first, second },
    dryRun: false,
    reason: "reliability: Kafka broker lost mid-step",
  });
  // The worker stops itself right before the second step's apply (its plan read the topic).
  await until(
    "the worker inside the second step",
    () =>
      existsSync(trace) && readFileSync(trace, "utf8").split('"stopped"').length - 1 >= stall
        ? true
        : undefined,
    60_000,
  );
  return { runId, first, second, before };
}

/** Reverts the failed run (broker back) and checks both topics' configs are as before the run. */
async function revertAndCheck(
  runId: string,
  first: string,
  second: string,
  before: Record<string, string | undefined>,
): Promise<void> {
  const revert = await api.call(env.tokens.admin, "POST", `/v1/runs/${runId}/revert`, {
    dryRun: false,
    reason: "reliability: undo after Kafka outage",
  });
  expect(revert.status, JSON.stringify(revert.body)).toBe(202);
  const reverted = await finished((revert.body as { id: string }).id, 120_000);
  expect(reverted.state, JSON.stringify(reverted.error)).toBe("succeeded");
  expect(await configOf(first, "retention.ms")).toBe(before.retention);
  expect(await configOf(second, "max.message.bytes")).toBe(before.maxBytes);
}

async function configOf(topic: string, name: string): Promise<string | undefined> {
  const res = await admin.describeConfigs({
    resources: [{ type: 2, name: topic, configNames: [name] }],
    includeSynonyms: false,
  });
  return res.resources[0]?.configEntries[0]?.configValue;
}

async function finished(id: string, timeoutMs = 90_000) {
  return until(
    `run ${id} to finish`,
    async () => {
      const run = await api.service.engine.get(id);
      return run && ["succeeded", "failed", "cancelled"].includes(run.state) ? run : undefined;
    },
    timeoutMs,
    100,
  );
}

async function start(runbook: string, body: Record<string, unknown>): Promise<string> {
  const res = await api.call(env.tokens.admin, "POST", `/v1/runbooks/${runbook}/runs`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return (res.body as { id: string }).id;
}

beforeAll(async () => {
  const runbooksDir = mkdtempSync(join(tmpdir(), "so-rel-runbooks-"));
  for (const f of ["rel-kafka-down.yaml", "rel-connect-slow.yaml"])
    copyFileSync(join(import.meta.dirname, "runbooks", f), join(runbooksDir, f));
  const sandbox = parse(readFileSync(configFile(sandboxPaths()), "utf8")) as {
    connect: Record<string, { url: string }>;
  };
  const upstream = new URL(sandbox.connect["dc2-connect"]!.url);
  proxy = new DelayProxy({ host: upstream.hostname, port: Number(upstream.port) });
  const proxied = await proxy.start();
  env = writeEnvironment({
    name: "target-outage",
    service: { runbooksDir },
    connect: { "dc2-connect": { url: proxied, timeoutMs: CONNECT_TIMEOUT_MS } },
    // The worker is stalled (SIGSTOP) for the seconds it takes to stop a broker: it keeps its run.
    queue: { leaseMs: 60_000, lockDurationMs: 60_000 },
  });
  api = await startApi(env);
  trace = join(env.dir, "trace.jsonl");
  worker = spawnService({
    name: "worker",
    configFile: env.file,
    mode: "worker",
    logFile: join(env.dir, "worker.log"),
    auditJsonl: join(env.dir, "audit-worker.jsonl"),
    // Stalls before the second step's apply of each of the two Kafka runs.
    env: { SWITCHOVER_FAULT_STOP_AT: "cap:before-apply:1,cap:before-apply:2", SWITCHOVER_FAULT_TRACE: trace },
  });
  admin = kafkaFor("dc1", { retries: 10 }).admin();
  await admin.connect();
}, 120_000);

afterAll(async () => {
  if (frozenBroker !== undefined) process.kill(frozenBroker, "SIGCONT");
  await sandboxCli("start", "dc1-kafka").catch(() => "");
  if (worker?.alive()) process.kill(worker.pid, "SIGCONT");
  await worker?.stop(5_000);
  await api?.close();
  await proxy?.stop();
  await admin?.deleteTopics({ topics }).catch(() => undefined);
  await admin?.disconnect();
});

describe("target outages", () => {
  it("Kafka broker stopped while a step runs: it fails within its timeout naming the cluster; revert restores the topic configs", async () => {
    const { runId, first, second, before } = await kafkaRun(1);
    let elapsed = 0;
    let run;
    try {
      await sandboxCli("stop", "dc1-kafka");
      addFigures({ faultsInjected: 1 });
      const t0 = Date.now();
      process.kill(worker.pid, "SIGCONT");
      run = await finished(runId);
      elapsed = Date.now() - t0;
    } finally {
      await sandboxCli("start", "dc1-kafka");
    }
    expect(run.state).toBe("failed");
    expect(run.steps.map((s) => s.state)).toEqual(["succeeded", "failed"]);
    const error = run.steps[1]!.error!;
    // Precise: the cluster, and what ended it: the broker that refused, the connection the kill reset
    // under an in-flight request (kafkajs's message then carries no address), or the step timeout.
    expect(error.message).toMatch(/cluster dc1/);
    expect(error.message).toMatch(/127\.0\.0\.1:\d+|Connection error: read ECONNRESET|timed out after 10s/);
    // Bounded by the step's 10 s timeout (plus the worker's own bookkeeping), not kafkajs defaults.
    expect(elapsed).toBeLessThan(20_000);
    addFigures({}, `target outages: dc1 broker stopped mid-step → failed in ${elapsed} ms: ${error.message}`);
    await revertAndCheck(runId, first, second, before);
  }, 300_000);

  it("Kafka broker frozen (SIGSTOP: connections open, no answers) while a step runs: the step timeout ends it, naming cluster and timeout", async () => {
    const { runId, first, second, before } = await kafkaRun(2);
    const broker = Number(readFileSync(pidFile(sandboxPaths(), "dc1-kafka"), "utf8").trim());
    let elapsed = 0;
    let run;
    try {
      process.kill(broker, "SIGSTOP");
      frozenBroker = broker;
      addFigures({ faultsInjected: 1 });
      const t0 = Date.now();
      process.kill(worker.pid, "SIGCONT");
      run = await finished(runId);
      elapsed = Date.now() - t0;
    } finally {
      process.kill(broker, "SIGCONT");
      frozenBroker = undefined;
    }
    expect(run.state).toBe("failed");
    expect(run.steps.map((s) => s.state)).toEqual(["succeeded", "failed"]);
    const error = run.steps[1]!.error!;
    expect(error.message).toMatch(/cluster dc1/);
    expect(error.message).toMatch(/timed out|timeout/i);
    expect(elapsed).toBeLessThan(20_000);
    addFigures({}, `target outages: dc1 broker frozen mid-step → failed in ${elapsed} ms: ${error.message}`);
    await revertAndCheck(runId, first, second, before);
  }, 300_000);

  it("Connect REST API slower than its timeout: the step fails after the configured wait, saying so", async () => {
    proxy.delayMs = 60_000;
    addFigures({ faultsInjected: 1 });
    const t0 = Date.now();
    const run = await finished(
      await start("rel-connect-slow", { dryRun: true, reason: "reliability: slow Connect" }),
    );
    const elapsed = Date.now() - t0;
    expect(run.state).toBe("failed");
    const error = run.steps[0]!.error!;
    expect(error.message).toMatch(
      new RegExp(
        `Connect worker dc2-connect: GET /connectors/[^ ]+ no answer from http://127\\.0\\.0\\.1:\\d+ within ${CONNECT_TIMEOUT_MS} ms`,
      ),
    );
    // One Connect timeout (and the run's own work), far below the proxy's delay.
    expect(elapsed).toBeLessThan(15_000);
    addFigures(
      {},
      `target outages: Connect answering after 60 s → failed in ${elapsed} ms: ${error.message}`,
    );
  }, 120_000);

  it("Connect REST API slow but within its timeout: the step succeeds", async () => {
    proxy.delayMs = 400;
    proxy.seen = 0;
    addFigures({ faultsInjected: 1 });
    const t0 = Date.now();
    const run = await finished(
      await start("rel-connect-slow", { dryRun: true, reason: "reliability: slow Connect" }),
    );
    const elapsed = Date.now() - t0;
    expect(run.state, JSON.stringify(run.error)).toBe("succeeded");
    // Every connector of the flow was read through the slow proxy.
    expect(proxy.seen).toBeGreaterThanOrEqual(3);
    expect(elapsed).toBeGreaterThanOrEqual(3 * 400);
  }, 120_000);
});
