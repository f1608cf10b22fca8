// Benchmark: a full mm2-failover drill through the real service (its own process, API and worker,
// Redis, audit JSONL), 20 topics × 6 partitions and 10 consumer groups: dc1 is killed and the
// failover runs as on-call would start it. Figures: the run's total time (created → finished) and
// the orchestrator's own share of it — queue pickup, persistence, audit, events: everything that is
// not inside a step's plan/apply/verify call, read from the run record (created/started/finished
// and each step's timings). Goal: < 5 % of the total.
//
// The runbook is runbooks/mm2-failover.yaml with one change made here, not in the product: its
// single `group` becomes a `groups` list (the steps already take lists), so one run moves all ten
// groups. The consumer fleet is this process: a webhook controller whose resume starts one real
// consumer per group on the cluster it is told, so the resume step's member check is real.
// Between rounds (not timed): consumers stopped, dc1 started, the CNAME and MM2 put back.
// Usage: npx tsx bench/mm2-drill.ts [--rounds 2] [--topics 20] [--partitions 6] [--groups 10]
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync, readFileSync, writeFileSync, createWriteStream } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import type { Consumer } from "kafkajs";
import { parse, stringify } from "yaml";
import { ClusterClient } from "../src/adapters/kafka/cluster-client.js";
import { loadConfig } from "../src/config/load.js";
import { configSchema } from "../src/config/schema.js";
import { SwitchoverApi } from "../sandbox/drill/api-client.js";
import {
  connectorStates,
  primaryCname,
  restorePrimaryCname,
  resumePausedConnectors,
  sandboxCli,
} from "../sandbox/drill/sandbox-control.js";
import { flag, fmt, median, outDir, repoRoot, sandboxDir } from "./kafka-java.js";
import { orchestratorShare } from "./run-share.js";
import type { RecordedRun } from "./run-share.js";
import { sleep, until } from "../sandbox/lib/until.js";
import { KafkaTooling } from "../sandbox/lib/kafka-tooling.js";

const ROUNDS = flag("rounds", 2);
const TOPICS = flag("topics", 20);
const PARTITIONS = flag("partitions", 6);
const GROUPS = flag("groups", 10);
const RECORDS_PER_PARTITION = 20;
/** mm2-failover with `groups` (string[]) where it has `group`; everything else as shipped. */
export function multiGroupRunbook(text: string): string {
  const single = /groups: \["\$\{\{ params\.group \}\}"\]/g;
  const n = text.match(single)?.length ?? 0;
  if (n < 4) throw new Error(`mm2-failover.yaml: expected the group in at least 4 steps, found ${n}`);
  const out = text
    .replace(single, 'groups: "${{ params.groups }}"')
    .replace(
      /^( {2}group: .*)$/m,
      '$1\n  groups: { type: "string[]", default: [], description: the consumer groups to move }',
    );
  if (!out.includes("params.groups")) throw new Error("mm2-failover.yaml: groups not substituted");
  return out;
}

/** The consumer fleet: pause stops every consumer; resume starts one per group where it is told. */
class Fleet {
  consumers: Consumer[] = [];
  constructor(private readonly topicsOf: (group: string) => string[]) {}
  async stop(): Promise<void> {
    const all = this.consumers;
    this.consumers = [];
    await Promise.all(all.map((c) => c.disconnect().catch(() => undefined)));
  }
  async start(bootstrapServers: string[], groups: string[]): Promise<void> {
    const kafka = new Kafka({
      clientId: "bench-drill-app",
      brokers: bootstrapServers,
      logLevel: logLevel.NOTHING,
    });
    await Promise.all(
      groups.map(async (groupId) => {
        const c = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
        this.consumers.push(c);
        await c.connect();
        await c.subscribe({ topics: this.topicsOf(groupId), fromBeginning: false });
        await c.run({ eachMessage: async () => undefined });
      }),
    );
  }
  listen(): Promise<{ url: string; close: () => void }> {
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const msg = (body ? JSON.parse(body) : {}) as { bootstrapServers?: string[]; groups?: string[] };
        if (req.url === "/pause") void this.stop();
        else if (req.url === "/resume")
          void this.start(msg.bootstrapServers ?? [], msg.groups ?? []).catch((e: unknown) =>
            console.error("fleet resume failed:", e),
          );
        res.writeHead(req.url === "/pause" || req.url === "/resume" ? 200 : 404).end();
      });
    });
    return new Promise((resolve) =>
      server.listen(0, "127.0.0.1", () =>
        resolve({
          url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          close: () => server.close(),
        }),
      ),
    );
  }
}

interface Service {
  api: SwitchoverApi;
  stop(): Promise<void>;
}

/** The service as deployed (`src/main.ts`, API and worker in one process) on a derived environment. */
async function startService(dir: string, fleetUrl: string, groups: string[]): Promise<Service> {
  const token = randomBytes(24).toString("hex");
  const base = parse(readFileSync(join(sandboxDir, "switchover.yaml"), "utf8")) as Record<
    string,
    Record<string, unknown>
  >;
  const runbooks = join(dir, "runbooks");
  mkdirSync(runbooks, { recursive: true });
  writeFileSync(
    join(runbooks, "mm2-failover.yaml"),
    multiGroupRunbook(readFileSync(join(repoRoot, "runbooks", "mm2-failover.yaml"), "utf8")),
  );
  const doc = {
    ...base,
    redis: { ...base.redis, prefix: `sobench-drill-${randomBytes(3).toString("hex")}` },
    consumers: {
      ...base.consumers,
      "bench-app": {
        kind: "webhook",
        cluster: "dc1",
        groups,
        pause: { url: `${fleetUrl}/pause`, method: "POST" },
        resume: { url: `${fleetUrl}/resume`, method: "POST" },
      },
    },
    service: {
      ...base.service,
      auth: {
        tokens: [
          { name: "bench", sha256: createHash("sha256").update(token).digest("hex"), roles: ["admin"] },
        ],
      },
      // The benchmark measures the engine's share of a drill, not how fast a second person answers.
      approvals: { required: "none" },
      runbooksDir: runbooks,
    },
  };
  configSchema.parse(doc);
  const file = join(dir, "switchover.yaml");
  writeFileSync(file, stringify(doc), { mode: 0o600 });
  const log = createWriteStream(join(dir, "service.log"));
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const port = (probe.address() as AddressInfo).port;
  probe.close();
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "src", "main.ts")], {
    cwd: repoRoot,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      SWITCHOVER_CONFIG: file,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      SWITCHOVER_AUDIT_JSONL: join(dir, "audit.jsonl"),
    },
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const url = `http://127.0.0.1:${port}`;
  await until("switchover ready", 90_000, async () =>
    (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3_000) })).ok ? true : undefined,
  );
  return {
    api: new SwitchoverApi(url, token),
    async stop() {
      if (child.exitCode !== null || child.pid === undefined) return;
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(-child.pid, "SIGTERM");
      await Promise.race([exited, sleep(20_000)]);
      if (child.exitCode === null) process.kill(-child.pid, "SIGKILL");
    },
  };
}

async function main(): Promise<void> {
  const id = randomBytes(3).toString("hex");
  const dir = join(outDir, `drill-${id}`);
  mkdirSync(dir, { recursive: true });
  const config = loadConfig(join(sandboxDir, "switchover.yaml"));
  const dc1 = new ClusterClient("dc1", config.clusters.dc1!);
  const dc2 = new ClusterClient("dc2", config.clusters.dc2!);
  const dc1Tools = new KafkaTooling("dc1", config.clusters.dc1!);
  const dc2Tools = new KafkaTooling("dc2", config.clusters.dc2!);
  const topics = Array.from({ length: TOPICS }, (_, i) => `orders.bench-${id}-${String(i).padStart(2, "0")}`);
  // Group k reads its share of the topics (two each for 20 topics and 10 groups).
  const topicsOf = (group: string): string[] => {
    const k = Number(group.slice(group.lastIndexOf("g") + 1));
    return topics.filter((_, i) => i % GROUPS === k);
  };
  const fleet = new Fleet(topicsOf);
  const hook = await fleet.listen();
  let svc: Service | undefined;
  let dc1Down = false;
  const rows: ReturnType<typeof orchestratorShare>[] = [];
  const t0 = performance.now();
  const phase = (what: string) => console.log(`  ${((performance.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  try {
    if ((await primaryCname()) !== "dc1-kafka.dr.test")
      throw new Error("kafka-primary.dr.test does not point at dc1: a drill did not fail back");
    const admin = await dc1Tools.admin();
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })),
      waitForLeaders: true,
    });
    const producer = await dc1Tools.producer();
    // One topic at a time: MM2's source task keeps at most 10 offset syncs in flight and drops the
    // rest until a partition's next record, and without a sync a committed offset has no checkpoint.
    for (const topic of topics) {
      await until("records produced on dc1", 60_000, async () => {
        await producer.send({
          topic,
          messages: Array.from({ length: PARTITIONS * RECORDS_PER_PARTITION }, (_, k) => ({
            partition: k % PARTITIONS,
            value: `bench ${k}`,
          })),
        });
        return true;
      });
      await sleep(300);
    }
    await until("topics mirrored to dc2", 120_000, async () => {
      const there = new Set(await dc2.listTopics());
      return topics.every((t) => there.has(t)) ? true : undefined;
    });
    phase(`${TOPICS} topics × ${PARTITIONS} partitions on dc1, mirrored to dc2`);
    console.log(
      `mm2-failover drill: ${TOPICS} topics × ${PARTITIONS} partitions, ${GROUPS} groups, ${ROUNDS} round(s)`,
    );

    // Every round's groups committed up front, so MM2 discovers them in one refresh: each on dc1 at
    // the end of its topics, as caught-up consumers are. (MM2's source task replaces an offset sync
    // it could not send yet with a newer one, so after a burst only the partition's last offset is
    // sure to translate: an offset inside it may never be.)
    const groupsOf = (round: number) =>
      Array.from({ length: GROUPS }, (_, k) => `bench-drill-${id}-r${round}-g${k}`);
    // In parallel: each setOffsets joins the group once (seconds on a loaded machine).
    const allGroups = Array.from({ length: ROUNDS }, (_, r) => groupsOf(r)).flat();
    await Promise.all(
      allGroups.map(async (group) => {
        for (const topic of topicsOf(group)) {
          const ends = await dc1.offsets(topic);
          await admin.setOffsets({
            groupId: group,
            topic,
            partitions: ends.map((p) => ({ partition: p.partition, offset: String(p.high) })),
          });
        }
      }),
    );
    svc = await startService(dir, hook.url, []);
    phase("service started, groups committed on dc1");

    for (let round = 0; round < ROUNDS; round++) {
      const groups = groupsOf(round);
      const params = { mode: "ungraceful", flow: "dc1-to-dc2", group: groups[0], groups, fleet: "bench-app" };
      // MM2 checkpoints a new group once it refreshed its groups (every 5 s): wait as the drills do.
      await until("a dry-run with translated offsets for every group", 180_000, async () => {
        const r = await svc!.api.waitFinished(
          (await svc!.api.startRun("mm2-failover", { params, dryRun: true })).id,
        );
        return r.state === "succeeded" ? r : undefined;
      });
      phase(`round ${round + 1}: checkpoints for ${GROUPS} groups; stopping dc1`);
      dc1Down = true;
      sandboxCli(["stop", "dc1-kafka"]);
      const started = await svc.api.startRun("mm2-failover", {
        params,
        dryRun: false,
        reason: `bench: mm2-failover drill round ${round + 1}`,
      });
      const done = await svc.api.waitFinished(started.id, 300_000);
      if (done.state !== "succeeded")
        throw new Error(`failover ${done.id} ${done.state}: ${JSON.stringify(done.error ?? "")}`);
      const record = (await svc.api.run(started.id)) as unknown as RecordedRun;
      const share = orchestratorShare(record);
      rows.push(share);
      console.log(
        `  round ${round + 1}: total ${fmt(share.totalMs)}, inside steps ${fmt(share.stepMs)}, orchestrator ${fmt(share.orchestratorMs)} (${share.sharePct.toFixed(2)} %; queue pickup ${share.pickupMs} ms)${share.repeated.length ? `; repeated: ${share.repeated.join(", ")}` : ""}`,
      );

      // Back to the before-state for the next round or the next user of the sandbox (not timed).
      await fleet.stop();
      sandboxCli(["start", "dc1-kafka"]);
      dc1Down = false;
      await restorePrimaryCname(config);
      await resumePausedConnectors();
      await until("MM2 connectors running", 300_000, async () => {
        // The fence's pause can reach the tasks only once dc1 is back, after a first resume.
        await resumePausedConnectors();
        const s = await connectorStates();
        return Object.values(s).every((v) => v === "RUNNING") ? true : undefined;
      });
      phase(`round ${round + 1}: dc1 back, CNAME on dc1, MM2 running`);
    }
    const pick = (k: "totalMs" | "orchestratorMs" | "sharePct" | "pickupMs" | "stepMs") =>
      rows.map((r) => r[k]);
    console.log(
      `mm2-failover total ${fmt(median(pick("totalMs")))}, orchestrator ${fmt(median(pick("orchestratorMs")))} = ${median(pick("sharePct")).toFixed(2)} % (goal < 5 %)`,
    );
    console.log(
      `BENCH_RESULT ${JSON.stringify({ totalMs: pick("totalMs"), stepMs: pick("stepMs"), orchestratorMs: pick("orchestratorMs"), sharePct: pick("sharePct"), pickupMs: pick("pickupMs") })}`,
    );
  } finally {
    await fleet.stop();
    hook.close();
    await svc?.stop();
    if (dc1Down) sandboxCli(["start", "dc1-kafka"], true);
    await restorePrimaryCname(config).catch(() => false);
    await resumePausedConnectors().catch(() => []);
    const admin = await dc1Tools.admin().catch(() => undefined);
    await admin?.deleteTopics({ topics }).catch(() => undefined);
    // The mirrored copies too (the source is gone, so MM2 does not bring them back).
    const admin2 = await dc2Tools.admin().catch(() => undefined);
    await admin2?.deleteTopics({ topics }).catch(() => undefined);
    await dc1Tools.close();
    await dc1.close().catch(() => undefined);
    await dc2Tools.close();
    await dc2.close().catch(() => undefined);
  }
}

if (process.argv[1]?.endsWith("mm2-drill.ts")) await main();
