// Profiles the POST /v1/runbooks/{name}/runs path by its Redis traffic: runs a few POSTs (dry-run,
// real run with Idempotency-Key, idempotent replay) against the real service on a Redis and lists,
// per request, the commands the API sent (MONITOR; commands run inside Lua scripts are marked and
// not counted as round trips). Use a scratch Redis: MONITOR slows a shared one for everybody.
// Run: npx tsx bench/post-roundtrips.ts redis://127.0.0.1:<scratch port>
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { sha256Hex } from "../src/api/auth.js";
import { configSchema } from "../src/config/schema.js";
import { MemoryLogger } from "../src/engine/ports/logger.js";
import { buildService } from "../src/main.js";

const arg = process.argv[2];
if (!arg) throw new Error("usage: npx tsx bench/post-roundtrips.ts <scratch redis url>");
const url: string = arg;

const RUNBOOK = `apiVersion: switchover/v1
kind: Runbook
metadata: { name: bench }
params:
  n: { type: number, default: 0 }
steps:
  - id: touch
    uses: kafka.setTopicConfig
    with: { cluster: dc1, topics: { names: [bench] }, set: { retention.ms: "1000" } }
`;

async function main(): Promise<void> {
  const prefix = `sobench:${randomUUID().slice(0, 8)}`;
  const dir = mkdtempSync(join(tmpdir(), "so-rt-"));
  writeFileSync(join(dir, "bench.yaml"), RUNBOOK);
  const token = `so_bench_${randomBytes(16).toString("hex")}`;
  const config = configSchema.parse({
    apiVersion: "switchover/v1",
    kind: "Environment",
    redis: { url, prefix },
    clusters: { dc1: { bootstrapServers: ["127.0.0.1:1"] } },
    service: {
      auth: { tokens: [{ name: "bench", sha256: sha256Hex(token), roles: ["admin"] }] },
      runbooksDir: dir,
    },
  });
  const api = await buildService({
    config,
    mode: "api",
    logger: MemoryLogger.silent(),
    auditJsonlPath: join(dir, "audit.jsonl"),
    readinessChecks: [],
  });
  const server = api.app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const port = (server.address() as AddressInfo).port;
  const monitor = new Redis(url);
  const lines: string[] = [];
  const mon = await monitor.monitor();
  mon.on("monitor", (_time: string, args: string[], source: string) => {
    lines.push(`${source.includes("lua") ? "    (lua) " : ""}${args.slice(0, 3).join(" ").slice(0, 110)}`);
  });
  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/runbooks/bench/runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
    return res.status;
  };
  try {
    await post({ dryRun: true }); // warm-up: script loading, BullMQ's first calls
    await new Promise((r) => setTimeout(r, 200));
    const cases: Array<[string, unknown, Record<string, string>]> = [
      ["dry-run", { dryRun: true }, {}],
      ["real run + Idempotency-Key", { dryRun: false }, { "idempotency-key": "k1" }],
      ["idempotent replay", { dryRun: false }, { "idempotency-key": "k1" }],
      ["real run, target locked (409)", { dryRun: false }, {}],
    ];
    for (const [name, body, headers] of cases) {
      lines.length = 0;
      const status = await post(body, headers);
      await new Promise((r) => setTimeout(r, 200));
      const trips = lines.filter((l) => !l.startsWith(" "));
      console.log(
        `\n${name}: HTTP ${status}, ${trips.length} round trips (${lines.length} commands incl. Lua)`,
      );
      for (const l of lines) console.log(`  ${l}`);
    }
  } finally {
    monitor.disconnect();
    server.close();
    await api.close(0);
    const redis = new Redis(url);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
