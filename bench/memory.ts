// Memory of the service after many runs, API and worker measured separately: each runs in its own
// process as deployed with SWITCHOVER_MODE=api and SWITCHOVER_MODE=worker (same Redis prefix and
// queue), on real Redis with the fsync'd audit JSONL. Runs are POSTed over HTTP to the API and
// driven to `succeeded` by the worker; warm-up runs first, then each process's heap after a full GC
// and its RSS are read before and after N more runs. Bounded means the heap grows by less than
// 20 MiB per 1,000 runs in each process.
// Run: node --expose-gc --import tsx bench/memory.ts [--runs 1000] [redis-url]
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { sha256Hex } from "../src/api/auth.js";
import { configSchema } from "../src/config/schema.js";
import { MemoryLogger } from "../src/engine/ports/logger.js";
import { buildService } from "../src/main.js";
import { port } from "../sandbox/topology.js";
import { flag } from "./kafka-java.js";

const RUNS = flag("runs", 1_000);
const WARMUP = flag("warmup", 200);
const GOAL_MIB = 20;
const url = process.argv.find((a) => a.startsWith("redis")) ?? `redis://127.0.0.1:${port(16379)}`;
const MiB = 1024 * 1024;
const roleArg = process.argv.indexOf("--role");
const role = roleArg >= 0 ? (process.argv[roleArg + 1] as "api" | "worker") : undefined;

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

interface Snapshot {
  heap: number;
  rss: number;
}
type ToChild = { type: "snapshot" } | { type: "stop" };
type FromChild = { type: "ready"; port: number } | ({ type: "snapshot" } & Snapshot);

function snapshot(): Snapshot {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with node --expose-gc");
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed / MiB, rss: m.rss / MiB };
}

/** A child process: one service role; answers snapshot requests over IPC. */
async function child(mode: "api" | "worker"): Promise<void> {
  const env = JSON.parse(process.env.BENCH_MEMORY_ENV!) as { prefix: string; sha256: string; dir: string };
  const config = configSchema.parse({
    apiVersion: "switchover/v1",
    kind: "Environment",
    redis: { url, prefix: env.prefix },
    service: {
      auth: { tokens: [{ name: "bench", sha256: env.sha256, roles: ["operator"] }] },
      runbooksDir: env.dir,
    },
  });
  const svc = await buildService({
    config,
    mode,
    logger: MemoryLogger.silent(),
    auditJsonlPath: join(env.dir, `audit-${mode}.jsonl`),
    readinessChecks: [],
  });
  const server = svc.app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const send = (m: FromChild) => process.send!(m);
  process.on("message", (m: ToChild) => {
    if (m.type === "snapshot") send({ type: "snapshot", ...snapshot() });
    else {
      server.close();
      void svc.close(0).then(() => process.exit(0));
    }
  });
  send({ type: "ready", port: (server.address() as AddressInfo).port });
}

class Role {
  private waiting: ((m: FromChild) => void)[] = [];
  private constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    proc.on("message", (m: FromChild) => this.waiting.shift()?.(m));
  }
  static async start(name: "api" | "worker", env: string): Promise<{ role: Role; port: number }> {
    const proc = fork(fileURLToPath(import.meta.url), ["--role", name, url], {
      execArgv: ["--expose-gc", "--import", "tsx"],
      env: { ...process.env, BENCH_MEMORY_ENV: env },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const role = new Role(name, proc);
    const ready = await role.next(60_000);
    if (ready.type !== "ready") throw new Error(`${name} did not start`);
    return { role, port: ready.port };
  }
  next(timeoutMs = 30_000): Promise<FromChild> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no answer`)), timeoutMs);
      this.waiting.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.proc.once("exit", (code) => reject(new Error(`${this.name} exited (${code})`)));
    });
  }
  async snapshot(): Promise<Snapshot> {
    this.proc.send({ type: "snapshot" } satisfies ToChild);
    const m = await this.next();
    if (m.type !== "snapshot") throw new Error("unexpected answer");
    return { heap: m.heap, rss: m.rss };
  }
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once("exit", r));
    this.proc.send({ type: "stop" } satisfies ToChild);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (this.proc.exitCode === null) this.proc.kill("SIGKILL");
  }
}

async function main(): Promise<void> {
  const prefix = `sobench:mem:${randomUUID().slice(0, 8)}`;
  const dir = mkdtempSync(join(tmpdir(), "so-mem-"));
  writeFileSync(join(dir, "mem.yaml"), RUNBOOK);
  const token = `so_bench_${randomBytes(16).toString("hex")}`;
  const env = JSON.stringify({ prefix, sha256: sha256Hex(token), dir });
  const roles: Role[] = [];
  const redis = new Redis(url);
  try {
    const api = await Role.start("api", env);
    roles.push(api.role);
    const worker = await Role.start("worker", env);
    roles.push(worker.role);
    const base = `http://127.0.0.1:${api.port}`;
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };

    /** POSTs n runs (20 at a time) and waits (GET, as a client) until the worker finished each. */
    const runs = async (n: number): Promise<void> => {
      const ids: string[] = [];
      for (let i = 0; i < n; i += 20) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(20, n - i) }, async (_, j) => {
            const res = await fetch(`${base}/v1/runbooks/mem/runs`, {
              method: "POST",
              headers,
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
          const res = await fetch(`${base}/v1/runs/${id}`, { headers });
          const run = (await res.json()) as { state?: string };
          if (run.state === "succeeded") break;
          if (run.state === "failed" || run.state === "cancelled") throw new Error(`run ${id} ${run.state}`);
          if (Date.now() > deadline) throw new Error(`run ${id} did not finish`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };

    await runs(WARMUP);
    const before = [await api.role.snapshot(), await worker.role.snapshot()];
    const t0 = performance.now();
    await runs(RUNS);
    const secs = (performance.now() - t0) / 1000;
    const after = [await api.role.snapshot(), await worker.role.snapshot()];
    const f = (n: number) => `${n.toFixed(1)} MiB`;
    const sign = (n: number) => `${n >= 0 ? "+" : "−"}${f(Math.abs(n))}`;
    console.log(
      `memory: API and worker in separate processes, ${RUNS} runs after ${WARMUP} warm-up (${secs.toFixed(1)} s)`,
    );
    const result: Record<string, number[]> = { secs: [secs] };
    ["api", "worker"].forEach((name, k) => {
      const b = before[k]!;
      const a = after[k]!;
      const growth = ((a.heap - b.heap) / RUNS) * 1000;
      console.log(
        `  ${name.padEnd(6)} heap ${f(b.heap)} → ${f(a.heap)} (${sign(a.heap - b.heap)}), RSS ${f(b.rss)} → ${f(a.rss)} (${sign(a.rss - b.rss)}); heap growth per 1,000 runs ${f(growth)}, goal < ${GOAL_MIB} MiB: ${growth < GOAL_MIB ? "met" : "NOT met"}`,
      );
      Object.assign(result, {
        [`${name}HeapBefore`]: [b.heap],
        [`${name}HeapAfter`]: [a.heap],
        [`${name}RssBefore`]: [b.rss],
        [`${name}RssAfter`]: [a.rss],
        [`${name}HeapGrowthPer1000`]: [growth],
      });
    });
    console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
  } finally {
    for (const r of roles.reverse()) await r.stop();
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

if (role) await child(role);
else await main();
