// End to end over the service's HTTP API, the stretched cluster losing dc1: with dc1's brokers
// stopped, acks=all writes to RF 4 / min-ISR 3 topics fail; stretched-dc-loss (both actions: lower
// min-ISR, or also reassign onto the surviving brokers) makes them writable again; once dc1 is back,
// the failback (stretched-failback; for reassign, the run's revert first) leaves topic configs,
// replica placement, preferred leaders and DNS exactly as they were before the loss.
// Each case works on its own topics (the runbooks' topics param), never the shared stretch-* ones.
// They are not deleted afterwards: see kafka-stretch-steps.test.ts (Kafka 4.3 and a min-ISR change
// on a partition whose ELR held the stopped brokers).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Admin, Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunSummary } from "../../sandbox/drill/api-client.js";
import { primaryCname } from "../../sandbox/drill/sandbox-control.js";
import { startService } from "../../sandbox/drill/service-process.js";
import type { RunningService } from "../../sandbox/drill/service-process.js";
import { sandboxPaths } from "../../sandbox/lib/paths.js";
import { port } from "../../sandbox/topology.js";
import { errorTypes, eventually, kafkaFor, produceOnce, sandboxCli, unique } from "./sandbox.js";

const dir = join(sandboxPaths().state, "drill", `e2e-stretch-${Date.now().toString(36)}`);
/** The consistency-first overrides, plus one the runbooks never touch (kept byte-for-byte). */
const OVERRIDES = [
  { name: "min.insync.replicas", value: "3" },
  { name: "retention.ms", value: "604800123" },
];

let service: RunningService;
let stretch: Kafka;
let admin: Admin;
let dc1Stopped = false;

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  service = await startService(dir, port(18091));
  // Connection retries stay on: clients bootstrap from every broker and must skip the dead dc1 ones.
  stretch = kafkaFor("stretch", { retries: 10 });
  admin = stretch.admin();
  await admin.connect();
}, 120_000);

afterAll(async () => {
  if (dc1Stopped) await startDc1().catch(() => undefined);
  await admin?.disconnect();
  await service?.stop();
});

async function startDc1(): Promise<void> {
  await sandboxCli("start", "stretch/dc1");
  await eventually(
    "all four brokers registered again",
    async () => ((await admin.describeCluster()).brokers.length === 4 ? true : undefined),
    120_000,
    1_000,
  );
  dc1Stopped = false;
}

interface Snapshot {
  /** Every dynamic override per topic, as the broker describes it. */
  configs: Record<string, [string, string][]>;
  /** topic → partition → replicas, in order (the first is the preferred leader). */
  placement: Record<string, Record<string, number[]>>;
  leaders: Record<string, Record<string, number>>;
  dns: string;
}

async function snapshot(topics: string[]): Promise<Snapshot> {
  const described = await admin.describeConfigs({
    resources: topics.map((name) => ({ type: 2, name })),
    includeSynonyms: false,
  });
  const configs: Snapshot["configs"] = {};
  for (const r of described.resources) {
    configs[r.resourceName] = r.configEntries
      .filter((e) => Number(e.configSource) === 1)
      .map((e): [string, string] => [e.configName, e.configValue])
      .sort((a, b) => a[0].localeCompare(b[0]));
  }
  const placement: Snapshot["placement"] = {};
  const leaders: Snapshot["leaders"] = {};
  for (const t of (await admin.fetchTopicMetadata({ topics })).topics) {
    placement[t.name] = {};
    leaders[t.name] = {};
    for (const p of t.partitions) {
      placement[t.name]![String(p.partitionId)] = [...p.replicas];
      leaders[t.name]![String(p.partitionId)] = p.leader;
    }
  }
  return { configs, placement, leaders, dns: await primaryCname() };
}

/** Every leader on its preferred replica (the first of its replicas). */
function preferredEverywhere(s: Snapshot): boolean {
  return Object.entries(s.placement).every(([t, parts]) =>
    Object.entries(parts).every(([p, replicas]) => s.leaders[t]![p] === replicas[0]),
  );
}

/** What differs between two snapshots, one line per difference (empty: identical). */
function diff(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  const walk = (path: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const k of [...keys].sort())
        walk(`${path}.${k}`, (a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]);
      return;
    }
    out.push(`${path}: ${JSON.stringify(a)} → ${JSON.stringify(b)}`);
  };
  walk("", before, after);
  return out;
}

async function runReal(runbook: string, params: Record<string, unknown>, reason: string) {
  const started = await service.api.startRun(runbook, { params, dryRun: false, reason });
  return service.api.waitFinished(started.id, 420_000);
}

const states = (run: RunSummary) => Object.fromEntries(run.steps.map((s) => [s.id, s.state]));

describe.each<"lowerMinIsr" | "reassign">(["lowerMinIsr", "reassign"])(
  "stretched cluster loses dc1, stretched-dc-loss action %s",
  (action) => {
    it("restores acks=all writability; after failback configs, placement, leaders and DNS equal the before-state", async () => {
      const base = unique(`e2e-stretch-${action === "reassign" ? "move" : "isr"}-`);
      const topics = [`${base}-a`, `${base}-b`];
      const params = { topics: `${base}-.*`, canaryTopic: topics[0] };
      await admin.createTopics({
        topics: topics.map((topic) => ({
          topic,
          numPartitions: 3,
          replicationFactor: 4,
          configEntries: OVERRIDES,
        })),
        waitForLeaders: true,
      });
      const before = await eventually(
        "every new partition led by its preferred replica",
        async () => {
          const s = await snapshot(topics);
          return preferredEverywhere(s) ? s : undefined;
        },
        30_000,
      );
      expect(before.configs[topics[0]!]).toEqual([
        ["min.insync.replicas", "3"],
        ["retention.ms", "604800123"],
      ]);
      for (const t of topics) {
        await eventually(
          `${t} writable with acks=all while both DCs are up`,
          async () => ((await produceOnce(stretch, t, 3)) === undefined ? true : undefined),
          30_000,
        );
      }

      dc1Stopped = true;
      await sandboxCli("stop", "stretch/dc1");
      // Consistency first: once dc1's brokers are fenced, acks=all writes are refused.
      for (const t of topics) {
        await eventually(
          `acks=all to ${t} refused with NOT_ENOUGH_REPLICAS`,
          async () =>
            errorTypes(await produceOnce(stretch, t)).some((e) => e.startsWith("NOT_ENOUGH_REPLICAS"))
              ? true
              : undefined,
          60_000,
          1_000,
        );
      }

      const loss = await runReal(
        "stretched-dc-loss",
        { ...params, action, minIsr: 2, replicationFactor: 2 },
        `e2e: stretch dc1 lost (${action})`,
      );
      expect(loss.state, JSON.stringify(loss.error ?? loss.steps)).toBe("succeeded");
      expect(states(loss)).toEqual({
        "lower-min-isr": "succeeded",
        reassign: action === "reassign" ? "succeeded" : "skipped",
        writable: "succeeded",
      });
      // Our own check, beside the runbook's canary: acks=all writes to every topic succeed now.
      for (const t of topics) expect(await produceOnce(stretch, t, 5), t).toBeUndefined();
      const during = await snapshot(topics);
      for (const t of topics) {
        expect(during.configs[t]).toEqual([
          ["min.insync.replicas", "2"],
          ["retention.ms", "604800123"],
        ]);
        for (const replicas of Object.values(during.placement[t]!)) {
          if (action === "reassign") expect([...replicas].sort()).toEqual([3, 4]);
          else expect(replicas).toHaveLength(4);
        }
      }

      await startDc1();
      if (action === "reassign") {
        // The run's revert puts back the recorded placement and min-ISR.
        const started = await service.api.revert(loss.id, "e2e: stretch dc1 back", false);
        const reverted = await service.api.waitFinished(started.id, 420_000);
        expect(reverted.state, JSON.stringify(reverted.error ?? reverted.steps)).toBe("succeeded");
      }
      const failback = await runReal(
        "stretched-failback",
        { ...params, minIsr: 3 },
        `e2e: stretch dc1 back (${action})`,
      );
      expect(failback.state, JSON.stringify(failback.error ?? failback.steps)).toBe("succeeded");
      expect(await produceOnce(stretch, topics[1]!, 5)).toBeUndefined();

      const after = await snapshot(topics);
      expect(diff(before, after)).toEqual([]);
      expect(after).toEqual(before);
    }, 600_000);
  },
);
