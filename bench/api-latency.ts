// API latency: POST /v1/runbooks/{name}/runs (dry-runs, so no target lock refuses them) from 50
// concurrent keep-alive clients against the real service on real Redis (audit log with fsync'd
// JSONL included), twice: closed loop (each client as fast as it can: saturation, so latency is
// 50 ÷ throughput) and paced (the 50 clients at a fixed offered rate, open loop, latency counted
// from each request's scheduled time); then queue pickup latency (enqueue → a worker starts the job)
// at a paced rate. Prints the median of several rounds with min/max. Goals: p99 < 25 ms, pickup
// p50 < 50 ms.
// Run: npx tsx bench/api-latency.ts [redis-url]   (default: the sandbox's redis://127.0.0.1:16379)
import { randomBytes, randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import { spawn } from "node:child_process";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { sha256Hex } from "../src/api/auth.js";
import { configSchema } from "../src/config/schema.js";
import { MemoryLogger } from "../src/engine/ports/logger.js";
import { buildService } from "../src/main.js";
import type { Service } from "../src/main.js";
import { port } from "../sandbox/topology.js";

const url = process.argv[2] ?? `redis://127.0.0.1:${port(16379)}`;
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const PER_CLIENT = Number(process.env.BENCH_PER_CLIENT ?? 40);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PICKUP_RUNS = 100;
/** Paced phase: total offered POSTs/s over the same clients, and POSTs per client per round. */
const PACED_RATE = Number(process.env.BENCH_PACED_RATE ?? 250);
const PACED_PER_CLIENT = Number(process.env.BENCH_PACED_PER_CLIENT ?? 20);
const PACED_ROUNDS = Number(process.env.BENCH_PACED_ROUNDS ?? 3);
/** Pacing of the pickup phase: a rate the worker sustains, so pickup is measured, not backlog. */
const PICKUP_GAP_MS = Number(process.env.BENCH_PICKUP_GAP_MS ?? 50);
const PICKUP_ROUNDS = Number(process.env.BENCH_PICKUP_ROUNDS ?? 3);

const RUNBOOK = `apiVersion: switchover/v1
kind: Runbook
metadata: { name: bench }
params:
  n: { type: number, default: 0 }
steps:
  - id: check
    uses: assert
    with: { that: true, message: never fails }
`;

/** Redis server CPU (user + system) so far, ms. */
async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info("cpu");
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, "m").exec(info)?.[1] ?? 0);
  return (field("used_cpu_user") + field("used_cpu_sys")) * 1_000;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]): string =>
  xs.length === 0
    ? "n/a"
    : `${median(xs).toFixed(2)} ms (min ${Math.min(...xs).toFixed(2)}, max ${Math.max(...xs).toFixed(2)})`;

/**
 * The load generator runs in a child process (plain JS, its own event loop and keep-alive agent),
 * so the clients' own HTTP work neither shares the server's event loop nor counts in its CPU time.
 */
const LOAD_JS = `
const http = require("node:http");
const { port, token, clients, perClient, rate } = JSON.parse(process.argv[1]);
const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
function post(body, t0 = performance.now()) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method: "POST", path: "/v1/runbooks/bench/runs", agent,
      headers: { authorization: "Bearer " + token, "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (res) => { res.resume(); res.on("end", () => res.statusCode === 202 ? resolve(performance.now() - t0) : reject(new Error("status " + res.statusCode))); });
    req.on("error", reject);
    req.end(body);
  });
}
(async () => {
  const latencies = [];
  const t0 = performance.now();
  // rate > 0: each client sends on a fixed schedule (rate POSTs/s in all, clients staggered) and a
  // request's latency counts from its scheduled time, so a late response delays the next send
  // without hiding it (no coordinated omission). rate 0: closed loop, each client as fast as it can.
  const interval = rate > 0 ? (clients * 1000) / rate : 0;
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let i = 0; i < perClient; i++) {
      const body = JSON.stringify({ params: { n: c * 1000 + i } });
      if (rate === 0) { latencies.push(await post(body)); continue; }
      const due = t0 + (c * interval) / clients + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      latencies.push(await post(body, due));
    }
  }));
  process.send({ latencies, secs: (performance.now() - t0) / 1000 }, () => process.exit(0));
  agent.destroy();
})().catch((err) => process.send({ error: String(err) }, () => process.exit(1)));
`;

function loadRound(
  port: number,
  token: string,
  clients: number,
  perClient: number,
  rate = 0,
): Promise<{ latencies: number[]; secs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["-e", LOAD_JS, JSON.stringify({ port, token, clients, perClient, rate })],
      {
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      },
    );
    child.once("message", (m: { latencies?: number[]; secs?: number; error?: string }) => {
      if (m.error) reject(new Error(m.error));
      else resolve({ latencies: m.latencies!, secs: m.secs! });
    });
    child.once("error", reject);
  });
}

/** One POST …/runs; resolves with its latency and the created run's id (202 only). */
function post(agent: Agent, port: number, token: string, body: string): Promise<{ ms: number; id: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/v1/runbooks/bench/runs",
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () =>
          res.statusCode === 202
            ? resolve({ ms: performance.now() - t0, id: (JSON.parse(text) as { id: string }).id })
            : reject(new Error(`status ${res.statusCode}: ${text.slice(0, 200)}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const prefix = `sobench:${randomUUID().slice(0, 8)}`;
  const dir = mkdtempSync(join(tmpdir(), "so-bench-"));
  writeFileSync(join(dir, "bench.yaml"), RUNBOOK);
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
  const logger = MemoryLogger.silent();
  const jsonl = process.env.BENCH_NO_JSONL ? {} : { auditJsonlPath: join(dir, "audit.jsonl") };
  const api = await buildService({ config, mode: "api", logger, ...jsonl, readinessChecks: [] });
  const server: Server = api.app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const port = (server.address() as AddressInfo).port;
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const redis = new Redis(url);
  let services: Service[] = [api];
  const result: Record<string, Record<string, number[]>> = {};
  try {
    console.log(
      `api-latency: node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}, redis ${url}`,
    );
    // Warm-up: JIT, connections, first-parse costs.
    await Promise.all(
      Array.from({ length: CLIENTS }, (_, i) =>
        post(agent, port, token, JSON.stringify({ params: { n: i } })),
      ),
    );

    const p50s: number[] = [];
    const p99s: number[] = [];
    const rates: number[] = [];
    const cpuPerPost: number[] = [];
    const redisCpuPerPost: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // CPU per POST: what bounds throughput (and so latency at a fixed concurrency) whatever else
      // runs on the machine. The API process's own CPU; Redis's is the whole server's (shared).
      const cpu0 = process.cpuUsage();
      const redisCpu0 = await redisCpuMs(redis);
      const { latencies, secs } = await loadRound(port, token, CLIENTS, PER_CLIENT);
      const cpu = process.cpuUsage(cpu0);
      const redisCpu = (await redisCpuMs(redis)) - redisCpu0;
      latencies.sort((a, b) => a - b);
      p50s.push(pct(latencies, 50));
      p99s.push(pct(latencies, 99));
      rates.push(latencies.length / secs);
      cpuPerPost.push((cpu.user + cpu.system) / 1_000 / latencies.length);
      redisCpuPerPost.push(redisCpu / latencies.length);
      console.log(
        `  round ${round + 1}: ${latencies.length} POSTs, p50 ${pct(latencies, 50).toFixed(2)} ms, p99 ${pct(latencies, 99).toFixed(2)} ms, ${(latencies.length / secs).toFixed(0)} req/s, API CPU ${cpuPerPost.at(-1)!.toFixed(3)} ms/POST, Redis CPU ${redisCpuPerPost.at(-1)!.toFixed(3)} ms/POST, load ${loadavg()[0]!.toFixed(1)}`,
      );
    }
    if (ROUNDS > 0) {
      console.log(
        `POST /v1/runbooks/{name}/runs, ${CLIENTS} concurrent clients, ${ROUNDS} rounds of ${CLIENTS * PER_CLIENT}:`,
      );
      console.log(`  p50 ${fmt(p50s)}`);
      console.log(`  p99 ${fmt(p99s)}   goal < 25 ms: ${median(p99s) < 25 ? "met" : "NOT met"}`);
      console.log(`  throughput ${median(rates).toFixed(0)} req/s (median)`);
      console.log(`  API process CPU per POST ${fmt(cpuPerPost)}`);
      console.log(`  Redis CPU per POST ${fmt(redisCpuPerPost)} (whole server: includes other clients)`);
      result.post = { p50: p50s, p99: p99s, rate: rates, cpuPerPost, redisCpuPerPost };
    }

    // The same 50 clients at a paced offered load (open loop): latency when the service is not
    // saturated, i.e. what one on-call engineer's POST sees while 49 others are in flight.
    const pacedP50: number[] = [];
    const pacedP99: number[] = [];
    for (let round = 0; round < PACED_ROUNDS; round++) {
      const { latencies } = await loadRound(port, token, CLIENTS, PACED_PER_CLIENT, PACED_RATE);
      latencies.sort((a, b) => a - b);
      pacedP50.push(pct(latencies, 50));
      pacedP99.push(pct(latencies, 99));
      console.log(
        `  paced round ${round + 1}: ${latencies.length} POSTs at ${PACED_RATE}/s, p50 ${pct(latencies, 50).toFixed(2)} ms, p99 ${pct(latencies, 99).toFixed(2)} ms, load ${loadavg()[0]!.toFixed(1)}`,
      );
    }
    if (PACED_ROUNDS > 0) {
      console.log(`POST …/runs, ${CLIENTS} clients paced at ${PACED_RATE} POSTs/s in all (open loop):`);
      console.log(`  p50 ${fmt(pacedP50)}`);
      console.log(`  p99 ${fmt(pacedP99)}   goal < 25 ms: ${median(pacedP99) < 25 ? "met" : "NOT met"}`);
      result.paced = { p50: pacedP50, p99: pacedP99, rate: [PACED_RATE] };
    }

    // Queue pickup: drain the backlog first, then paced POSTs with one worker process-equivalent.
    await api.queue.queue.drain(true);
    const worker = await buildService({
      config,
      mode: "worker",
      logger,
      auditJsonlPath: join(dir, "audit.jsonl"),
      readinessChecks: [],
    });
    services = [api, worker];
    await worker.worker!.ready();
    const pickupP50: number[] = [];
    const pickupP99: number[] = [];
    for (let round = 0; round < PICKUP_ROUNDS; round++) {
      const ids: string[] = [];
      for (let i = 0; i < PICKUP_RUNS; i++) {
        const { id } = await post(agent, port, token, JSON.stringify({ params: { n: i } }));
        ids.push(id);
        await new Promise((r) => setTimeout(r, PICKUP_GAP_MS));
      }
      // Wait for every job to have been taken, then read enqueue and start times from BullMQ.
      const pickups: number[] = [];
      for (const id of ids) {
        for (;;) {
          const job = await api.queue.queue.getJob(`${id}.1`);
          if (job?.processedOn) {
            pickups.push(job.processedOn - job.timestamp);
            break;
          }
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      pickups.sort((a, b) => a - b);
      pickupP50.push(pct(pickups, 50));
      pickupP99.push(pct(pickups, 99));
      console.log(
        `  pickup round ${round + 1}: ${pickups.length} jobs, p50 ${pct(pickups, 50)} ms, p99 ${pct(pickups, 99)} ms`,
      );
    }
    console.log(
      `queue pickup (enqueue → worker start), ${PICKUP_RUNS} paced runs × ${PICKUP_ROUNDS} rounds:`,
    );
    console.log(`  p50 ${fmt(pickupP50)}   goal < 50 ms: ${median(pickupP50) < 50 ? "met" : "NOT met"}`);
    console.log(`  p99 ${fmt(pickupP99)}`);
    if (PICKUP_ROUNDS > 0) result.pickup = { p50: pickupP50, p99: pickupP99 };
    // For bench/run.ts: every round's figures, one JSON line.
    console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
  } finally {
    agent.destroy();
    server.close();
    for (const s of services.reverse()) await s.close(0);
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
