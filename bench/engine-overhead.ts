// Engine overhead per step: a 50-step runbook of no-op steps, run for real (plan → apply → verify,
// every transition persisted) on the real Redis run store. Prints the median of several runs with
// min/max. Goal: < 2 ms per step. Run: npx tsx bench/engine-overhead.ts [redis-url]
import { randomUUID } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { Redis } from "ioredis";
import { z } from "zod";
import { RedisRunStore } from "../src/adapters/redis/run-store.js";
import { RunEngine } from "../src/engine/engine.js";
import type { AuditSink } from "../src/engine/ports/audit-sink.js";
import { systemClock } from "../src/engine/ports/clock.js";
import { MemoryLogger } from "../src/engine/ports/logger.js";
import type { RunStore } from "../src/engine/ports/run-store.js";
import type { RunRecord } from "../src/engine/run-record.js";
import { parseRunbookOrThrow } from "../src/engine/runbook/parse-runbook.js";
import { defineStep } from "../src/engine/step-contract.js";
import type { StepPlan } from "../src/engine/step-contract.js";
import { emptyTargets } from "../src/engine/target-catalog.js";
import { createStepRegistry } from "../src/steps/registry.js";

const STEPS = 50;
const RUNS = 9;
const WARMUP = 2;
const url = process.argv[2] ?? "redis://127.0.0.1:6379";

const noop = defineStep<{ n: number }>({
  kind: "bench.noop",
  description: "does nothing, so only the engine is measured",
  adapters: [],
  input: () => z.strictObject({ n: z.number() }),
  async plan(_ctx, input): Promise<StepPlan> {
    return { changes: [], outputs: { n: input.n + 1 } };
  },
  async apply() {
    return null;
  },
  async verify() {},
});

/** Counts events instead of keeping them: the audit sink's own cost is not the engine's. */
class CountingAudit implements AuditSink {
  count = 0;
  async append(): Promise<void> {
    this.count++;
  }
}

/** Compare-and-set on version, no copies: isolates the engine from serialisation and I/O. */
class ReferenceStore implements RunStore {
  private readonly runs = new Map<string, RunRecord>();
  async create(run: RunRecord): Promise<RunRecord> {
    const stored = { ...run, version: 1 };
    this.runs.set(run.id, stored);
    return stored;
  }
  async get(id: string): Promise<RunRecord | undefined> {
    return this.runs.get(id);
  }
  async save(run: RunRecord): Promise<RunRecord> {
    if (this.runs.get(run.id)?.version !== run.version) throw new Error("conflict");
    const stored = { ...run, version: run.version + 1 };
    this.runs.set(run.id, stored);
    return stored;
  }
  async list(): Promise<RunRecord[]> {
    return [...this.runs.values()];
  }
}

const steps = Array.from(
  { length: STEPS },
  (_, i) =>
    `  - id: s${i}\n    uses: bench.noop\n    with: { n: ${i === 0 ? 0 : `"\${{ steps.s${i - 1}.outputs.n }}"`} }\n`,
).join("");
const yaml = `apiVersion: switchover/v1\nkind: Runbook\nmetadata: { name: bench }\nsteps:\n${steps}`;

async function main(): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  const prefix = `so-bench-${randomUUID()}`;
  const store = new RedisRunStore(redis, { prefix });
  const registry = createStepRegistry([noop]);
  const audit = new CountingAudit();
  const engine = new RunEngine({
    store,
    clock: systemClock,
    audit,
    logger: MemoryLogger.silent(),
    catalog: registry,
    targets: emptyTargets,
    adapters: {},
  });
  const runbook = parseRunbookOrThrow(yaml, { catalog: registry, targets: emptyTargets });

  // Redis round trip on its own, to show how much of the per-step figure is the network.
  const pings: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    await redis.ping();
    pings.push(performance.now() - t);
  }

  const perStep: number[] = [];
  const cpuPerStep: number[] = [];
  let saves = 0;
  try {
    for (let r = 0; r < WARMUP + RUNS; r++) {
      const created = await engine.createRun({ runbook, dryRun: false });
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const run = await engine.execute(created.id);
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      if (run.state !== "succeeded")
        throw new Error(`bench run ended ${run.state}: ${JSON.stringify(run.error)}`);
      saves = run.version - 1;
      if (r >= WARMUP) {
        perStep.push(ms / STEPS);
        cpuPerStep.push((cpu.user + cpu.system) / 1000 / STEPS);
      }
    }
  } finally {
    await store.clear();
    await redis.quit();
  }

  // The same runbook on a store that only keeps references: the engine's own cost, no serialising.
  const memEngine = new RunEngine({
    store: new ReferenceStore(),
    clock: systemClock,
    audit,
    logger: MemoryLogger.silent(),
    catalog: registry,
    targets: emptyTargets,
    adapters: {},
  });
  const memPerStep: number[] = [];
  for (let r = 0; r < WARMUP + RUNS; r++) {
    const created = await memEngine.createRun({ runbook, dryRun: false });
    const t0 = performance.now();
    await memEngine.execute(created.id);
    if (r >= WARMUP) memPerStep.push((performance.now() - t0) / STEPS);
  }

  const sorted = [...perStep].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const fmt = (n: number): string => n.toFixed(3);
  const ping = [...pings].sort((a, b) => a - b)[Math.floor(pings.length / 2)]!;
  console.log(`engine overhead: ${STEPS}-step runbook of no-op steps, real run, RedisRunStore at ${url}`);
  console.log(
    `  runs: ${RUNS} (after ${WARMUP} warm-up), persisted saves per run: ${saves} (${fmt(saves / STEPS)} per step)`,
  );
  console.log(
    `  wall time per step: median ${fmt(median)} ms, min ${fmt(sorted[0]!)} ms, max ${fmt(sorted[sorted.length - 1]!)} ms`,
  );
  const cpuSorted = [...cpuPerStep].sort((a, b) => a - b);
  console.log(
    `  process CPU per step (engine + client, excludes waiting on Redis): median ${fmt(cpuSorted[Math.floor(cpuSorted.length / 2)]!)} ms`,
  );
  const memSorted = [...memPerStep].sort((a, b) => a - b);
  console.log(
    `  same runbook, store keeping references only (engine alone): median ${fmt(memSorted[Math.floor(memSorted.length / 2)]!)} ms per step`,
  );
  console.log(
    `  redis PING round trip (median): ${fmt(ping)} ms; load average: ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs`,
  );
  console.log(`  goal < 2 ms per step: ${median < 2 ? "met" : "NOT met"}`);
  // For bench/run.ts: every run's figures, one JSON line.
  console.log(`BENCH_RESULT ${JSON.stringify({ perStep, cpuPerStep, memPerStep, ping: [ping] })}`);
  if (median >= 2) process.exitCode = 1;
}

await main();
