// Crash at every point: the mm2-failover and stretched-dc-loss runbooks run for real against the
// sandbox while their worker is SIGKILLed at every step boundary and inside every apply (the fault
// hook, src/queue/fault-injection.ts); each time a second worker process resumes the run. Then:
// the run succeeded, the world is exactly as one uninterrupted run leaves it, the audit holds every
// transition once and one step.applied per step, and the chain verifies.
import { createServer } from "node:http";
import type { Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { once } from "node:events";
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import type { Consumer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectorStates,
  primaryCname,
  restorePrimaryCname,
  resumePausedConnectors,
} from "../../sandbox/drill/sandbox-control.js";
import { mm2Flows } from "../../sandbox/topology.js";
import { kafkaFor, unique } from "../integration/sandbox.js";
import { startApi } from "./lib/api-process.js";
import type { ApiHandle } from "./lib/api-process.js";
import { checkRunAudit } from "./lib/audit-check.js";
import { killPointsFor, runCrashChain } from "./lib/crash-chain.js";
import type { ChainResult } from "./lib/crash-chain.js";
import { writeEnvironment } from "./lib/environment.js";
import type { SuiteEnvironment } from "./lib/environment.js";
import { addFigures } from "./lib/figures.js";
import { scanForSecrets } from "./lib/secret-scan.js";
import { until } from "./lib/processes.js";

const FLEET_SECRET = `fleet-${unique("")}${unique("")}`;
process.env.REL_FLEET_TOKEN = FLEET_SECRET;

/** The consumer fleet's control endpoint: counts calls, and on resume joins the group on dc2. */
class FleetControl {
  server: Server = createServer((req, res) => void this.handle(req.url ?? "", req.headers, res));
  calls: string[] = [];
  badAuth = 0;
  consumer: Consumer | undefined;
  constructor(
    private readonly topic: () => string,
    private readonly group: () => string,
  ) {}
  async start(): Promise<string> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  private async handle(
    url: string,
    headers: Record<string, string | string[] | undefined>,
    res: ServerResponse,
  ): Promise<void> {
    if (headers["x-fleet-token"] !== FLEET_SECRET) {
      this.badAuth += 1;
      res.writeHead(401).end();
      return;
    }
    this.calls.push(url);
    if (url === "/resume" && !this.consumer) {
      const c = kafkaFor("dc2").consumer({ groupId: this.group(), sessionTimeout: 10_000 });
      this.consumer = c;
      await c.connect();
      await c.subscribe({ topic: this.topic() });
      // Offsets stay where the runbook put them: this member reads but never commits.
      void c.run({ autoCommit: false, eachMessage: async () => undefined });
    }
    res.writeHead(204).end();
  }
  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
    this.server.closeAllConnections();
    this.server.close();
  }
}

const flow = mm2Flows.find((f) => f.id === "dc1-to-dc2")!;
let topic = "";
let group = "";
const fleet = new FleetControl(
  () => topic,
  () => group,
);
let env: SuiteEnvironment;
let api: ApiHandle;

beforeAll(async () => {
  const base = await fleet.start();
  env = writeEnvironment({
    name: "crash",
    fleets: { "rel-fleet": { pause: `${base}/pause`, resume: `${base}/resume`, cluster: "dc1", groups: [] } },
    fleetHeaderEnv: "REL_FLEET_TOKEN",
  });
  env.secrets.push(FLEET_SECRET);
  api = await startApi(env);
}, 60_000);

afterAll(async () => {
  await api?.close();
  await fleet.stop();
  await restorePrimaryCname(env.config).catch(() => false);
  await resumePausedConnectors().catch(() => []);
});

function record(label: string, chain: ChainResult, lost: number, twice: number): void {
  addFigures(
    {
      killPointsSurvived: new Set(chain.killedAt).size,
      faultsInjected: chain.killedAt.length,
      runsExecutedTwice: twice,
      auditEntriesLost: lost,
    },
    `${label}: ${chain.killedAt.length} kills, ${chain.workers} worker processes, ${(chain.ms / 1000).toFixed(0)} s` +
      (chain.passed.length ? `; passed without a kill: ${chain.passed.join(", ")}` : ""),
  );
}

async function expectAudit(label: string, chain: ChainResult): Promise<void> {
  const run = (await api.service.engine.get(chain.runId))!;
  const audit = await checkRunAudit(api.service.deps.audit, run, env.dir);
  record(label, chain, audit.lost.length, audit.repeated.length > 0 ? 1 : 0);
  expect(audit.lost, "audit entries the record implies but the log lacks").toEqual([]);
  expect(audit.repeated, "transitions or applies recorded more than once").toEqual([]);
  expect(audit.notInJsonl, "entries missing from every process's JSONL copy").toEqual([]);
  expect(audit.chainOk, audit.chainReason).toBe(true);
}

describe("crash at every point", () => {
  it("mm2-failover survives a SIGKILL at every step boundary and inside every apply", async () => {
    const dc1 = kafkaFor("dc1").admin();
    const dc2 = kafkaFor("dc2").admin();
    await Promise.all([dc1.connect(), dc2.connect()]);
    try {
      topic = unique("orders.rel-");
      group = unique("orders-rel-");
      await dc1.createTopics({
        topics: [{ topic, numPartitions: 2, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      const producer = kafkaFor("dc1").producer();
      await producer.connect();
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ id: i }) })),
      });
      await producer.disconnect();
      await until(
        "topic mirrored to dc2",
        async () => ((await dc2.listTopics()).includes(topic) ? true : undefined),
        90_000,
        1_000,
      );
      const highs = await dc1.fetchTopicOffsets(topic);
      // The group consumed 30 of 40: a committed position MM2 translates (checkpoints every second).
      await dc1.setOffsets({
        groupId: group,
        topic,
        partitions: highs.map((p) => ({
          partition: p.partition,
          offset: String(Math.max(0, Number(p.high) - 5)),
        })),
      });
      const params = { flow: flow.id, group, fleet: "rel-fleet", mode: "ungraceful" };
      await until(
        "a dry-run that sees translated offsets for the group",
        async () => {
          const r = await api.call(env.tokens.admin, "POST", "/v1/runbooks/mm2-failover/runs", {
            params,
            dryRun: true,
          });
          // Driven here (the API process's engine): the chain's workers start only for the real run.
          const done = await api.service.engine.execute((r.body as { id: string }).id);
          return done.state === "succeeded" ? done : undefined;
        },
        150_000,
        2_000,
      );
      expect(await primaryCname()).toBe("dc1-kafka.dr.test");

      const steps = [
        "check-replication",
        "verify-offsets",
        "pause-consumers",
        "fence-replication",
        "apply-offsets",
        "repoint-dns",
        "resume-consumers",
      ];
      const points = killPointsFor(steps, {
        "pause-consumers": 1,
        "fence-replication": 2,
        "apply-offsets": 1,
        "repoint-dns": 2,
        "resume-consumers": 1,
      });
      const chain = await runCrashChain({
        env,
        api,
        runbook: "mm2-failover",
        params,
        points,
        timeoutMs: 420_000,
        label: "mm2",
        extraEnv: { REL_FLEET_TOKEN: FLEET_SECRET },
      });
      expect(chain.state).toBe("succeeded");
      const run = (await api.service.engine.get(chain.runId))!;
      // The world: DNS on dc2, the flow fenced, the group's dc2 offsets exactly the translated ones,
      // the fleet paused and resumed (webhook calls are idempotent; a resumed apply may repeat one).
      expect(await primaryCname()).toBe("dc2-kafka.dr.test");
      expect((await connectorStates())[flow.connectors.source]).toBe("PAUSED");
      const offsetsStep = run.steps.find((s) => s.id === "apply-offsets")!;
      const committed = await dc2.fetchOffsets({ groupId: group, topics: [topic] });
      const want = new Map<number, number>();
      for (const c of offsetsStep.plan!.changes)
        want.set(Number(c.resource.split("/").pop()), c.to as number);
      for (const p of committed[0]!.partitions) {
        if (want.has(p.partition))
          expect(Number(p.offset), `partition ${p.partition}`).toBe(want.get(p.partition));
      }
      expect(fleet.calls.filter((c) => c === "/pause").length).toBeGreaterThanOrEqual(1);
      expect(fleet.calls.filter((c) => c === "/resume").length).toBeGreaterThanOrEqual(1);
      expect(fleet.badAuth).toBe(0);
      await expectAudit("mm2-failover", chain);
      expect(chain.killedAt.length).toBeGreaterThanOrEqual(30);
    } finally {
      await fleet.consumer?.disconnect().catch(() => undefined);
      fleet.consumer = undefined;
      await restorePrimaryCname(env.config).catch(() => false);
      await resumePausedConnectors().catch(() => []);
      await dc1.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await Promise.all([dc1.disconnect(), dc2.disconnect()]);
    }
  }, 600_000);

  it("stretched-dc-loss survives a SIGKILL at every step boundary and inside every apply", async () => {
    const admin = kafkaFor("stretch", { retries: 10 }).admin();
    await admin.connect();
    const name = unique("stretch-rel-");
    try {
      await admin.createTopics({
        topics: [
          {
            topic: name,
            numPartitions: 2,
            replicationFactor: 4,
            configEntries: [{ name: "min.insync.replicas", value: "3" }],
          },
        ],
        waitForLeaders: true,
      });
      const params = { topics: name, canaryTopic: name, minIsr: 2 };
      const points = killPointsFor(["lower-min-isr", "writable"], { "lower-min-isr": 2 });
      const chain = await runCrashChain({
        env,
        api,
        runbook: "stretched-dc-loss",
        params,
        points,
        timeoutMs: 300_000,
        label: "stretch",
      });
      expect(chain.state).toBe("succeeded");
      const configs = await admin.describeConfigs({
        resources: [{ type: 2, name, configNames: ["min.insync.replicas"] }],
        includeSynonyms: false,
      });
      expect(configs.resources[0]!.configEntries[0]!.configValue).toBe("2");
      await expectAudit("stretched-dc-loss", chain);
      expect(chain.killedAt.length).toBeGreaterThanOrEqual(10);
    } finally {
      await admin.deleteTopics({ topics: [name] }).catch(() => undefined);
      await admin.disconnect();
    }
  }, 400_000);

  it("no secret (API tokens, fleet webhook header, TSIG key) is in any log, audit copy, trace, response, report or Redis value these runs wrote", async () => {
    const runs = await api.service.engine.list({ limit: 100 });
    expect(runs.length).toBeGreaterThan(0);
    for (const r of runs) {
      for (const accept of ["application/json", "text/plain", "text/html"]) {
        const res = await fetch(`${api.url}/v1/runs/${r.id}/report`, {
          headers: { authorization: `Bearer ${env.tokens.viewer}`, accept },
        });
        const text = await res.text();
        expect(res.status, text.slice(0, 200)).toBe(200);
        appendFileSync(join(env.dir, "api-responses.log"), text);
      }
      await api.call(env.tokens.viewer, "GET", `/v1/runs/${r.id}`);
    }
    await api.call(env.tokens.admin, "GET", "/v1/audit?limit=1000");
    // The fleet got its header (so the secret was really used) …
    expect(fleet.calls.length).toBeGreaterThan(0);
    const redis = new Redis(env.config.redis.url);
    try {
      const scan = await scanForSecrets(env.dir, redis, env.prefix, env.secrets);
      addFigures(
        {},
        `secret scan: ${scan.files} files (${(scan.bytes / 1e6).toFixed(1)} MB), ${scan.keys} Redis keys, ${env.secrets.length} secrets: ${scan.leaks.length} leaks`,
      );
      // … and it is nowhere else.
      expect(scan.files).toBeGreaterThan(5);
      expect(scan.leaks).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});
