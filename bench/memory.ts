// Memory of the service after many runs: API and worker in one process (the default `npm start`),
// on real Redis with the fsync'd audit JSONL. Warm-up runs first, then the heap after a full GC and
// the RSS are read before and after N more runs (each POSTed over HTTP and driven to `succeeded`
// by the worker). Bounded means the growth per 1,000 runs stays small (goal: heap < 20 MiB).
// Run: node --expose-gc --import tsx bench/memory.ts [--runs 1000] [redis-url]
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { sha256Hex } from "../src/api/auth.js";
import { configSchema } from "../src/config/schema.js";
import { MemoryLogger } from "../src/engine/ports/logger.js";
import { buildService } from "../src/main.js";
import { port } from "../sandbox/topology.js";
import { flag } from "./kafka-java.js";

const RUNS = flag("runs", 1_000);
const WARMUP = 200;
const url = process.argv.find((a) => a.startsWith("redis")) ?? `redis://127.0.0.1:${port(16379)}`;
const MiB = 1024 * 1024;

const RUNBOOK = `apiVersion: switchover/v1
kind: Runbook
metadata: { name: mem }
params:
  n: { type: number, default: 0 }
steps:
  - id: one
    uses: assert
    with: { that: true, message: never fails }
  - id: two
    uses: assert
    with: { that: true, message: never fails }
`;

function snapshot(): { heap: number; rss: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with node --expose-gc");
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed / MiB, rss: m.rss / MiB };
}

async function main(): Promise<void> {
  const prefix = `sobench:mem:${randomUUID().slice(0, 8)}`;
  const dir = mkdtempSync(join(tmpdir(), "so-mem-"));
  writeFileSync(join(dir, "mem.yaml"), RUNBOOK);
  const token = `so_bench_${randomBytes(16).toString("hex")}`;
  const config = configSchema.parse({
    apiVersion: "switchover/v1",
    kind: "Environment",
    redis: { url, prefix },
    service: {
      auth: { tokens: [{ name: "bench", sha256: sha256Hex(token), roles: ["operator"] }] },
      runbooksDir: dir,
    },
  });
  const svc = await buildService({
    config,
    mode: "all",
    logger: MemoryLogger.silent(),
    auditJsonlPath: join(dir, "audit.jsonl"),
    readinessChecks: [],
  });
  const server = svc.app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const redis = new Redis(url);

  /** POSTs n runs (20 at a time) and waits until the worker has finished every one. */
  async function runs(n: number): Promise<void> {
    const ids: string[] = [];
    for (let i = 0; i < n; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(20, n - i) }, async (_, j) => {
          const res = await fetch(`${base}/v1/runbooks/mem/runs`, {
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: JSON.stringify({ params: { n: i + j } }),
          });
          if (res.status !== 202) throw new Error(`POST answered ${res.status}`);
          return ((await res.json()) as { id: string }).id;
        }),
      );
      ids.push(...batch);
    }
    const deadline = Date.now() + 600_000;
    for (const id of ids) {
      for (;;) {
        const run = await svc.engine.get(id);
        if (run?.state === "succeeded") break;
        if (run?.state === "failed" || run?.state === "cancelled") throw new Error(`run ${id} ${run.state}`);
        if (Date.now() > deadline) throw new Error(`run ${id} did not finish`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  try {
    await runs(WARMUP);
    const before = snapshot();
    const t0 = performance.now();
    await runs(RUNS);
    const secs = (performance.now() - t0) / 1000;
    const after = snapshot();
    const f = (n: number) => `${n.toFixed(1)} MiB`;
    const sign = (n: number) => `${n >= 0 ? "+" : "−"}${f(Math.abs(n))}`;
    console.log(
      `memory: API + worker in one process, ${RUNS} runs after ${WARMUP} warm-up (${secs.toFixed(1)} s)`,
    );
    console.log(`  heap used ${f(before.heap)} → ${f(after.heap)} (${sign(after.heap - before.heap)})`);
    console.log(`  RSS ${f(before.rss)} → ${f(after.rss)} (${sign(after.rss - before.rss)})`);
    const growth = ((after.heap - before.heap) / RUNS) * 1000;
    console.log(
      `  heap growth per 1,000 runs ${f(growth)}   goal < 20 MiB: ${growth < 20 ? "met" : "NOT met"}`,
    );
    console.log(
      `BENCH_RESULT ${JSON.stringify({ heapBefore: [before.heap], heapAfter: [after.heap], rssBefore: [before.rss], rssAfter: [after.rss], heapGrowthPer1000: [growth], secs: [secs] })}`,
    );
  } finally {
    server.close();
    await svc.close(0);
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1_000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
