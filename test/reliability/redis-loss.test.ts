// Redis loses data under a real service process (node src/main.ts, API and worker): FLUSHALL, a
// restart without persistence, a restart from an older AOF. Each time the service must notice
// before acting on the lost store (/readyz 503 state-lost, a real run refused), and after an admin's
// restore every audit entry it acknowledged (each one is in the fsync'd file before the answer) is
// back in Redis's chain, which verifies. Figures: scenarios, losses detected, acknowledged entries lost.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-explicit-any -- response bodies are JSON read field by field */
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Redis } from "ioredis";
import { parse, stringify } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { startOwnRedis } from "../lib/own-redis.js";
import type { OwnRedis } from "../lib/own-redis.js";
import { writeEnvironment } from "./lib/environment.js";
import { callApi } from "./lib/api-process.js";
import { addFigures } from "./lib/figures.js";
import { spawnService, until } from "./lib/processes.js";
import type { ServiceChild } from "./lib/processes.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

interface Scenario {
  name: string;
  appendonly: boolean;
  /** Makes Redis lose data; may take a copy first via `before`. */
  before?: (redis: OwnRedis) => string;
  lose: (redis: OwnRedis, copy: string | undefined) => Promise<void>;
}

const scenarios: Scenario[] = [
  {
    name: "FLUSHALL",
    appendonly: true,
    async lose(redis) {
      const c = new Redis(redis.url);
      await c.flushall();
      c.disconnect();
    },
  },
  {
    name: "restart without persistence",
    appendonly: false,
    async lose(redis) {
      await redis.kill();
      await redis.start();
    },
  },
  {
    name: "restart from an older AOF",
    appendonly: true,
    before: (redis) => redis.snapshot(),
    lose: (redis, copy) => redis.rollBackTo(copy!),
  },
];

interface Api {
  call(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

function api(url: string): Api {
  return {
    call: (token, method, path, body) => callApi(url, token, method, path, body),
  };
}

function fileEntries(path: string): Array<{ seq: number; hash: string }> {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as { seq: number; hash: string });
}

describe("Redis loses data under a running service", () => {
  for (const s of scenarios) {
    it(`${s.name}: detected before anything acts on it; after restore no acknowledged audit entry is lost`, async () => {
      const redis = await startOwnRedis({ appendonly: s.appendonly });
      cleanups.push(() => redis.close());
      const env = writeEnvironment({ name: `redis-loss-${s.name.split(" ")[0]!.toLowerCase()}` });
      // The suite's environment, on this scenario's own Redis.
      const doc = parse(readFileSync(env.file, "utf8")) as { redis: Record<string, unknown> };
      doc.redis = { ...doc.redis, url: redis.url };
      const file = join(env.dir, "switchover-own-redis.yaml");
      writeFileSync(file, stringify(doc), { mode: 0o600 });
      const port = await freePort();
      const auditJsonl = join(env.dir, "audit.jsonl");
      const child: ServiceChild = spawnService({
        name: `redis-loss-${port}`,
        configFile: file,
        mode: "all",
        logFile: join(env.dir, "service.log"),
        auditJsonl,
        port,
      });
      cleanups.push(() => child.stop(5_000));
      const url = `http://127.0.0.1:${port}`;
      const so = api(url);
      const ready = async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status;
      await until(
        "the service to be ready",
        async () => ((await ready()) === 200 ? true : undefined),
        60_000,
      );

      // Acknowledged audit entries: each 200 is answered after its entry is fsync'd to the file.
      const admin = env.tokens.admin;
      const ack = async (n: number, tag: string) => {
        for (let i = 0; i < n; i++) {
          const res = await so.call(admin, "POST", "/v1/schedules", {
            id: `loss-${tag}-${i}`,
            runbook: "mm2-failover",
            cron: "0 3 1 1 *",
          });
          expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
        }
      };
      await ack(5, "a");
      const copy = s.before?.(redis);
      await ack(5, "b");
      const acknowledged = fileEntries(auditJsonl);
      expect(acknowledged.length).toBeGreaterThanOrEqual(10);

      await s.lose(redis, copy);
      addFigures({ faultsInjected: 1, redisLossScenarios: 1 });

      // Detected: not ready with the reason, and a real run is refused before it touches anything.
      const detected = await until(
        "state-lost on /readyz",
        async () => {
          const res = await fetch(`${url}/readyz`);
          const body = (await res.json()) as { checks?: { state?: { error?: string } } };
          return res.status === 503 && body.checks?.state?.error?.startsWith("state-lost (")
            ? body
            : undefined;
        },
        15_000,
      ).catch(() => undefined);
      const refused = await so.call(env.tokens.operator, "POST", "/v1/runbooks/mm2-failover/runs", {
        dryRun: false,
      });
      const caught = detected !== undefined && refused.status === 503 && refused.body.code === "STATE_LOST";
      expect(detected?.checks?.state?.error).toMatch(/^state-lost \(/);
      expect(refused.body.type).toBe("urn:switchover:problem:state-lost");

      // Restore, then every acknowledged entry must be in the chain with the same hash.
      const restored = await so.call(admin, "POST", "/v1/audit/restore");
      expect(restored.status, JSON.stringify(restored.body)).toBe(200);
      const fileHead = Math.max(...acknowledged.map((e) => e.seq));
      expect(restored.body.entry.seq).toBe(fileHead + 1);
      const chain = new Map<number, string>();
      for (let after = 0; ;) {
        const page = await so.call(env.tokens.viewer, "GET", `/v1/audit?afterSeq=${after}&limit=1000`);
        for (const e of page.body.items as Array<{ seq: number; hash: string }>) chain.set(e.seq, e.hash);
        if (page.body.nextAfterSeq === null) break;
        after = page.body.nextAfterSeq as number;
      }
      const lost = acknowledged.filter((e) => chain.get(e.seq) !== e.hash).length;
      const verify = await so.call(env.tokens.viewer, "GET", "/v1/audit/verify");
      expect(verify.body.ok).toBe(true);
      addFigures(
        { redisLossDetected: caught ? 1 : 0, redisLossEntriesLost: lost },
        `Redis loss (${s.name}): ${caught ? `detected as ${String(detected?.checks?.state?.error).split(":")[0]}` : "NOT detected"}; ${acknowledged.length} acknowledged entries, ${lost} lost after restore; chain continues at ${fileHead + 1}`,
      );
      expect(lost).toBe(0);
      expect(caught).toBe(true);
    });
  }
});
