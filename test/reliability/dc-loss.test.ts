// A whole datacenter goes away under a real service process whose Redis is the sandbox's HA option
// (primary dc1, replica dc2, Sentinels in dc1, dc2, dc3): `stop dc1` SIGKILLs dc1's brokers, its
// Connect worker, its Redis primary and its Sentinel at once. The service must come back on the
// promoted replica by itself, keep every audit entry it acknowledged before the loss, and then stay
// ready (/readyz 200) for as long as dc1 is gone: a lost Kafka cluster is target health, reported on
// /healthz, never a reason to take the API out of service. Figures: the Sentinel failover among the
// Redis-loss scenarios, acknowledged entries lost, readiness probes during the DC loss.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-explicit-any -- response bodies are JSON read field by field */
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Redis } from "ioredis";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentMaster } from "../../sandbox/components/redis-ha.js";
import { HOST, redisHa, redisHaUrl } from "../../sandbox/topology.js";
import { sandboxCli } from "../integration/sandbox.js";
import { callApi as callRaw } from "./lib/api-process.js";
import { writeEnvironment } from "./lib/environment.js";
import type { SuiteEnvironment } from "./lib/environment.js";
import { addFigures } from "./lib/figures.js";
import { spawnService, until } from "./lib/processes.js";
import type { ServiceChild } from "./lib/processes.js";

const DC1 = ["dc1"];
let lost = false;
let child: ServiceChild | undefined;
let env: SuiteEnvironment;
let url: string;

const callApi = (token: string, ...rest: [string, string, unknown?]) =>
  callRaw(url, token, ...rest) as Promise<{ status: number; body: any }>;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const p = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return p;
}

async function readyz(): Promise<{ status: number; body: any } | undefined> {
  const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3_000) }).catch(() => undefined);
  return res ? { status: res.status, body: await res.json().catch(() => undefined) } : undefined;
}

function fileEntries(path: string): Array<{ seq: number; hash: string }> {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as { seq: number; hash: string });
}

/** Puts the Redis primary in dc1 (a fresh sandbox has it there; an earlier failover may have moved it). */
async function primaryInDc1(): Promise<void> {
  const dc1 = redisHa.nodes.find((n) => n.datacenter === "dc1")!;
  await until(
    "the Redis primary in dc1",
    async () => {
      if ((await currentMaster())?.port === dc1.port) return true;
      const sentinel = new Redis({ host: HOST, port: redisHa.sentinels[2]!.port, lazyConnect: true });
      // Refused (NOGOODSLAVE) until the other node has synced: asked again until it moves.
      await sentinel.call("SENTINEL", "FAILOVER", redisHa.master).catch(() => undefined);
      sentinel.disconnect();
      return undefined;
    },
    90_000,
    2_000,
  );
  // A forced failover leaves the old primary a primary until Sentinel's next look at it (about
  // 10 s), then it resyncs from scratch: until dc2 is an online replica again, dc2 holds none of
  // what is written now, and losing dc1 would lose it all (seen: keyspace-lost). The scenario is
  // a healthy pair losing a DC, so wait for the replica to be in sync first.
  const dc2 = redisHa.nodes.find((n) => n.datacenter === "dc2")!;
  await until(
    "dc2's Redis to be an online replica of dc1",
    async () => {
      const c = new Redis({ host: HOST, port: dc2.port, lazyConnect: true });
      try {
        const info = await c.info("replication");
        return /role:slave/.test(info) &&
          new RegExp(`master_port:${dc1.port}\\b`).test(info) &&
          /master_link_status:up/.test(info)
          ? true
          : undefined;
      } finally {
        c.disconnect();
      }
    },
    90_000,
    500,
  );
}

beforeAll(async () => {
  await sandboxCli("up", "redis-ha", "--timeout", "60");
  await primaryInDc1();
  env = writeEnvironment({ name: "dc-loss" });
  const doc = parse(readFileSync(env.file, "utf8")) as { redis: Record<string, unknown> };
  doc.redis = { ...doc.redis, url: redisHaUrl() };
  const file = join(env.dir, "switchover-redis-ha.yaml");
  writeFileSync(file, stringify(doc), { mode: 0o600 });
  const p = await freePort();
  child = spawnService({
    name: `dc-loss-${p}`,
    configFile: file,
    mode: "all",
    logFile: join(env.dir, "service.log"),
    auditJsonl: join(env.dir, "audit.jsonl"),
    port: p,
  });
  url = `http://127.0.0.1:${p}`;
  await until(
    "the service to be ready",
    async () => ((await readyz())?.status === 200 ? true : undefined),
    60_000,
  );
}, 240_000);

afterAll(async () => {
  await child?.stop(5_000);
  // dc1 comes back: brokers (reseeded), Connect, and its Redis and Sentinel as replica and watcher.
  if (lost) await sandboxCli("start", ...DC1);
}, 300_000);

describe("losing a datacenter that holds switchover's Redis primary", () => {
  it("Sentinel promotes the replica, no acknowledged audit entry is lost, and /readyz stays 200 while dc1 is gone", async () => {
    const admin = env.tokens.admin;
    // Acknowledged entries: each 2xx is answered after its entry is fsync'd and, with a replica,
    // acknowledged by it (WAIT).
    for (let i = 0; i < 5; i++) {
      const res = await callApi(admin, "POST", "/v1/schedules", {
        id: `dc-loss-${i}`,
        runbook: "mm2-failover",
        cron: "0 3 1 1 *",
      });
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    }
    const acknowledged = fileEntries(join(env.dir, "audit.jsonl"));
    expect(acknowledged.length).toBeGreaterThanOrEqual(5);

    const killedAt = Date.now();
    lost = true;
    await sandboxCli("stop", ...DC1);
    addFigures({ faultsInjected: 1, redisLossScenarios: 1 });

    // Sentinel promotes dc2's replica; the service reconnects through Sentinel by itself.
    const dc2 = redisHa.nodes.find((n) => n.datacenter === "dc2")!;
    await until(
      "Sentinel to promote dc2's replica",
      async () => ((await currentMaster())?.port === dc2.port ? true : undefined),
      60_000,
      500,
    );
    const back = await until(
      "/readyz 200 on the promoted replica",
      async () => {
        const r = await readyz();
        return r?.status === 200
          ? r
          : r?.body?.checks?.state?.error?.startsWith("state-lost")
            ? r
            : undefined;
      },
      60_000,
      250,
    );
    const unavailableMs = Date.now() - killedAt;
    const stateLost = back.status !== 200;
    if (stateLost) {
      // Only a run start waits for the replica (WAIT); other entries are fsync'd to the file before
      // their answer, and one the replica had not received yet when its primary died is missing
      // from the promoted replica (seen under load: head-behind). That must be detected (this
      // branch) and restored from the file; the count below is after recovery. Readiness then
      // clears on the next probe.
      const restored = await callApi(admin, "POST", "/v1/audit/restore");
      expect(restored.status, JSON.stringify(restored.body)).toBe(200);
      await until(
        "/readyz 200 after the restore",
        async () => ((await readyz())?.status === 200 ? true : undefined),
        15_000,
        250,
      );
    }

    // Every acknowledged entry is in the chain the promoted replica holds, with the same hash.
    const chain = new Map<number, string>();
    for (let after = 0; ;) {
      const page = await callApi(env.tokens.viewer, "GET", `/v1/audit?afterSeq=${after}&limit=1000`);
      for (const e of page.body.items as Array<{ seq: number; hash: string }>) chain.set(e.seq, e.hash);
      if (page.body.nextAfterSeq === null) break;
      after = page.body.nextAfterSeq as number;
    }
    const entriesLost = acknowledged.filter((e) => chain.get(e.seq) !== e.hash).length;
    const verify = await callApi(env.tokens.viewer, "GET", "/v1/audit/verify");

    // dc1's Kafka is still gone: readiness stays 200, and /healthz names the cluster unreachable.
    const probes: number[] = [];
    for (let i = 0; i < 20; i++) {
      probes.push((await readyz())?.status ?? 0);
      await new Promise((r) => setTimeout(r, 500));
    }
    const ready = probes.filter((s) => s === 200).length;
    const health = await until(
      "/healthz to report dc1 unreachable",
      async () => {
        const res = await fetch(`${url}/healthz`);
        const body = (await res.json()) as any;
        return body.targets?.["kafka:dc1"]?.ok === false ? { status: res.status, body } : undefined;
      },
      30_000,
      500,
    );
    // A write after the loss continues the chain on the new primary.
    const after = await callApi(admin, "POST", "/v1/schedules", {
      id: "dc-loss-after",
      runbook: "mm2-failover",
      cron: "0 3 1 1 *",
    });

    addFigures(
      {
        redisLossDetected: stateLost ? 1 : 0,
        sentinelFailovers: 1,
        sentinelFailoversIntact: !stateLost && entriesLost === 0 ? 1 : 0,
        redisLossEntriesLost: entriesLost,
        dcLossReadinessProbes: probes.length,
        dcLossReadinessOk: ready,
      },
      `DC loss (dc1 with its Redis primary and Sentinel): promoted dc2's replica; API back in ${(unavailableMs / 1000).toFixed(1)} s` +
        ` (${stateLost ? "state-lost detected, restored" : "chain intact, nothing to restore"}); ` +
        `${acknowledged.length} acknowledged entries, ${entriesLost} lost; /readyz 200 on ${ready}/${probes.length} probes while dc1 was down`,
    );
    expect(entriesLost).toBe(0);
    expect(verify.body.ok).toBe(true);
    expect(probes).toEqual(probes.map(() => 200));
    expect(health.status).toBe(200);
    expect(after.status, JSON.stringify(after.body)).toBeLessThan(300);
  }, 240_000);
});
