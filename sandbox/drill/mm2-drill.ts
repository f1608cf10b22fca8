// The replicated-cluster drill behind `npm run demo` and the e2e tests: demo apps on a fresh topic and
// group, a dry-run failover printed as a plan, dc1 killed, the real mm2-failover followed live, dc1
// restarted, mm2-failback, and the invariants computed from the apps' ledgers and dc2's log.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ClusterClient } from "../../src/adapters/kafka/cluster-client.js";
import { changeText } from "../../src/api/render/change-text.js";
import type { ChangeLike } from "../../src/api/render/change-text.js";
import { loadConfig } from "../../src/config/load.js";
import { demoApps } from "../environment.js";
import { configFile, sandboxPaths } from "../lib/paths.js";
import type { LiveEvent, RunSummary, SwitchoverApi } from "./api-client.js";
import { startApp } from "./demo-apps.js";
import type { DemoApp, LedgerEntry } from "./demo-apps.js";
import {
  connectorStates,
  pauseConnector,
  primaryCname,
  restorePrimaryCname,
  resumePausedConnectors,
  sandboxCli,
} from "./sandbox-control.js";
import { sleep, until } from "../lib/until.js";
import { KafkaTooling } from "../lib/kafka-tooling.js";

export interface Mm2DrillOptions {
  api: SwitchoverApi;
  naming: "identity" | "prefixed";
  /** Where ledgers and app logs go. */
  dir: string;
  say: (line: string) => void;
  /** Messages per second from the producer. */
  rate?: number;
  /** Print the dry-run plan and the reports (the demo); tests keep them in the result. */
  verbose?: boolean;
  /**
   * Stop MM2's source connector this long before killing dc1, so the orders acknowledged meanwhile
   * are stranded on dc1 (replication lag at the moment of failure). 0 = no lag injected.
   */
  strandForMs?: number;
  /** ungraceful (default): dc1 is killed; graceful: a planned switchover with dc1 alive. */
  mode?: "ungraceful" | "graceful";
  /**
   * Lose these sandbox targets (`sandbox stop`, SIGKILL) in the middle of the failover, once its
   * step `afterStep` has succeeded (`dc1` with the Redis HA option takes switchover's own Redis
   * primary down too); they are started again before the failback.
   */
  midRunLoss?: { afterStep: string; targets: string[] };
}

export interface StateSnapshot {
  dnsTarget: string;
  connectors: Record<string, string>;
  consumerCluster: string;
  /** Dynamic config overrides of the drill's topic on dc1 and of its replica on dc2. */
  topicConfigs: Record<string, Record<string, string>>;
}

/** Records acknowledged on dc1 and never replicated, per partition (what failback must report). */
export interface StrandedRange {
  topic: string;
  partition: number;
  fromOffset: number;
  toOffset: number;
  count: number;
}

export interface Mm2DrillResult {
  naming: "identity" | "prefixed";
  mode: "ungraceful" | "graceful";
  topic: string;
  group: string;
  failoverRun: RunSummary;
  failbackRun: RunSummary;
  planText: string;
  reports: { failover: string; failback: string };
  /** The dry-run's and the real run's estimates (verify-offsets outputs). */
  predicted: {
    dryRunReprocess: number | null;
    dryRunRpo: number | null;
    reprocess: number | null;
    rpoAgeMs: number | null;
  };
  ackedOnDc1: number;
  replicatedBeforeFailure: number;
  strandedActual: number;
  strandedReported: number | null;
  /** The test's own ranges (from the producer's ledger) and failback's kafka.checkReplication's. */
  strandedRanges: StrandedRange[];
  strandedReportedRanges: StrandedRange[] | null;
  /**
   * The RPO bound check (dc1 lost): the failover said the newest replicated record was rpoAgeMs old
   * when it measured (at verifyAt); every record actually lost was acknowledged after that point.
   */
  rpo: { verifyAt: number | null; rpoAgeMs: number | null; oldestStrandedAckAt: number | null };
  missingAfterFailover: number[];
  duplicatesAfterFailover: number;
  missingAfterFailback: number[];
  ackedOnDc2: number;
  before: StateSnapshot;
  after: StateSnapshot;
  timings: { failoverMs: number; failbackMs: number; outageToConsumingMs: number; totalMs: number };
}

function outputsOf(run: RunSummary, step: string): Record<string, unknown> {
  return run.steps.find((s) => s.id === step)?.outputs ?? {};
}

const num = (v: unknown): number | null => (typeof v === "number" ? v : null);

/**
 * Lines for one SSE event: what a person following the run in a terminal wants to see. Transitions
 * as from → to (a skip with its reason, a failure with its error), and under an applied step each
 * change it made as `resource field: from → to` (render/change-text.ts, as the API's text renders).
 */
export function describeEvent(e: LiveEvent, t0: number): string[] {
  const at = `${(((e.data.at ?? Date.now()) - t0) / 1000).toFixed(1).padStart(6)} s`;
  const d = e.data;
  const data = (d.data ?? {}) as { error?: { message?: string }; reason?: string; changes?: unknown };
  if (e.type === "run.transition") return [`${at}  run ${d.from ?? ""} → ${d.to ?? ""}`];
  if (e.type === "step.transition") {
    const why =
      d.to === "skipped"
        ? `: ${data.reason ?? "no reason recorded"}`
        : data.error?.message
          ? `: ${data.error.message}`
          : "";
    return [`${at}  ${(d.stepId ?? "").padEnd(24)} ${d.from ?? ""} → ${d.to ?? ""}${why}`];
  }
  if (e.type === "step.applied") {
    const changes = Array.isArray(data.changes) ? (data.changes as ChangeLike[]) : [];
    return [
      `${at}  ${(d.stepId ?? "").padEnd(24)} applied${changes.length === 0 ? " (no changes)" : ""}`,
      ...changes.map((c) => `${" ".repeat(at.length + 4)}${changeText(c)}`),
    ];
  }
  return [];
}

async function runLive(
  api: SwitchoverApi,
  runbook: string,
  params: Record<string, unknown>,
  say: (l: string) => void,
  reason: string,
  midRun?: { afterStep: string; act: () => void },
): Promise<RunSummary> {
  const started = await api.startRun(runbook, { params, dryRun: false, reason });
  const t0 = Date.now();
  say(`  run ${started.id} (${runbook}, real) — live events:`);
  const follow = api.follow(started.id, (e) => {
    for (const line of describeEvent(e, t0)) say(`    ${line}`);
  });
  // The run parks for approval before its first change; the drill's second person approves it.
  const approve = api.approveWhenParked(started.id, (line) => say(`    ${line}`));
  if (!midRun) {
    await Promise.all([approve, follow]);
    return api.waitFinished(started.id);
  }
  // Losing switchover's own Redis primary may break the event stream and fail a request or two
  // while Sentinel promotes the replica: the drill keeps polling through it.
  follow.catch((err: unknown) =>
    say(`    (event stream ended: ${err instanceof Error ? err.message : String(err)})`),
  );
  approve.catch(() => undefined);
  for (let acted = false; ;) {
    const run = await api.run(started.id).catch(() => undefined);
    if (run && !acted && run.steps.find((s) => s.id === midRun.afterStep)?.state === "succeeded") {
      acted = true;
      midRun.act();
    }
    if (run && ["succeeded", "failed", "cancelled"].includes(run.state)) return run;
    await sleep(250);
  }
}

async function topicIds(client: ClusterClient, topic: string): Promise<Map<number, number>> {
  const ids = new Map<number, number>();
  for (const p of await client.offsets(topic)) {
    let from = p.low;
    while (from < p.high) {
      const records = await client.readPartition(topic, p.partition, from, p.high);
      if (records.length === 0) break;
      for (const r of records) {
        try {
          const id = (JSON.parse(r.value?.toString() ?? "{}") as { id?: unknown }).id;
          if (typeof id === "number") ids.set(id, (ids.get(id) ?? 0) + 1);
        } catch {
          /* canary or foreign record */
        }
      }
      from = records[records.length - 1]!.offset + 1n;
    }
  }
  return ids;
}

function duplicates(entries: LedgerEntry[]): number {
  const seen = new Map<number, number>();
  for (const e of entries) seen.set(e.id, (seen.get(e.id) ?? 0) + 1);
  let extra = 0;
  for (const n of seen.values()) extra += n - 1;
  return extra;
}

export async function runMm2Drill(opts: Mm2DrillOptions): Promise<Mm2DrillResult> {
  const { api, say } = opts;
  const tStart = Date.now();
  const identity = opts.naming === "identity";
  const mode = opts.mode ?? "ungraceful";
  const graceful = mode === "graceful";
  const base = identity ? "orders" : "payments";
  const suffix = `drill-${Date.now().toString(36)}`;
  const topic = `${base}.${suffix}`;
  const group = `${base}-${suffix}`;
  const remote = identity ? topic : `dc1.${topic}`;
  const flow = identity ? "dc1-to-dc2" : "dc1-to-dc2-prefixed";
  const fleet = identity ? "orders-app" : "payments-app";
  const producers = identity ? "orders-producers" : "payments-producers";
  const consumerPort = identity ? demoApps.ordersConsumerPort : demoApps.paymentsConsumerPort;
  const producerPort = identity ? demoApps.ordersProducerPort : demoApps.paymentsProducerPort;
  const dir = join(opts.dir, `${opts.naming}-${mode}-${suffix}`);
  mkdirSync(dir, { recursive: true });

  const config = loadConfig(configFile(sandboxPaths()));
  const dc1 = new ClusterClient("dc1", config.clusters.dc1!);
  const dc2 = new ClusterClient("dc2", config.clusters.dc2!);
  const dc1Tools = new KafkaTooling("dc1", config.clusters.dc1!);
  const dc2Tools = new KafkaTooling("dc2", config.clusters.dc2!);
  const apps: DemoApp[] = [];
  let dc1Down = false;
  let completed = false;
  try {
    const dnsBefore = await primaryCname();
    if (dnsBefore !== "dc1-kafka.dr.test")
      throw new Error(
        `kafka-primary.dr.test points at ${dnsBefore}, not dc1: a previous drill did not fail back`,
      );
    const connectorsBefore = await connectorStates();
    const topicConfigs = async (): Promise<Record<string, Record<string, string>>> => ({
      [`dc1/${topic}`]: (await dc1.topicOverrides([topic])).get(topic)?.values ?? {},
      [`dc2/${remote}`]: (await dc2.topicOverrides([remote])).get(remote)?.values ?? {},
    });

    say(`topic ${topic} (3 partitions) on dc1, ${opts.naming} naming → ${remote} on dc2; group ${group}`);
    const admin = await dc1Tools.admin();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    await until(`${remote} mirrored to dc2`, 90_000, async () =>
      (await dc2.listTopics()).includes(remote) ? true : undefined,
    );
    if (!identity) {
      // Prefixed naming: dc2's own writes go to its local topic of the same name (dc1's are in
      // dc1.<topic>), which the consumer reads beside the replica once it runs on dc2.
      await (
        await dc2Tools.admin()
      ).createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
    }
    // MM2 copies topic configs every 10 s: give dc2 that long to match dc1, then take the before-state.
    const configsBefore = await until("topic configs mirrored", 15_000, async () => {
      const c = await topicConfigs();
      return JSON.stringify(c[`dc1/${topic}`]) === JSON.stringify(c[`dc2/${remote}`]) ? c : undefined;
    }).catch(() => topicConfigs());

    const consumer = await startApp("order-consumer", dir, consumerPort, { topic, group });
    apps.push(consumer);
    const producer = await startApp("order-producer", dir, producerPort, {
      topic,
      rate: String(opts.rate ?? 20),
    });
    apps.push(producer);
    say(
      `demo apps: order-producer (:${producerPort}, ${opts.rate ?? 20}/s, acks=all) and order-consumer (:${consumerPort}), both via kafka-primary.dr.test`,
    );
    await until("consumer processing on dc1", 60_000, async () =>
      consumer.entries().length >= 50 ? true : undefined,
    );

    const params = { mode, flow, group, fleet, producers };
    // Checkpoints for a new group appear once MM2 refreshed its groups (every 5 s).
    const dry = await until("a dry-run with translated offsets for the group", 120_000, async () => {
      const r = await api.waitFinished((await api.startRun("mm2-failover", { params, dryRun: true })).id);
      if (r.state === "succeeded") return r;
      // Graceful: a dry-run stops no producer, so its "nothing to reprocess" check cannot hold yet;
      // what the loop waits for is the verification of the translated offsets.
      const failed = r.steps.filter((s) => s.state === "failed").map((s) => s.id);
      const verified = r.steps.find((s) => s.id === "verify-offsets")?.state === "succeeded";
      return graceful && verified && failed.every((id) => id === "no-reprocessing") ? r : undefined;
    });
    const planText = await api.runText(dry.id);
    if (opts.verbose) {
      say(`dry-run ${dry.id} — the plan (GET /v1/runs/${dry.id}, Accept: text/plain):`);
      for (const l of planText.trimEnd().split("\n")) say(`  | ${l}`);
    }
    const dryOut = outputsOf(dry, "verify-offsets");

    if (opts.strandForMs && !graceful) {
      const connector = identity ? "mm2-identity-source" : "mm2-prefixed-source";
      say(`replication lag injected: ${connector} paused ${opts.strandForMs / 1000} s before the failure`);
      await pauseConnector(connector);
      await sleep(opts.strandForMs);
    }
    const producedBeforeKill = producer.entries().length;
    const killedAt = Date.now();
    if (graceful) {
      say(
        `planned switchover with dc1 alive after ${producedBeforeKill} acknowledged orders (the runbook stops the producers)`,
      );
    } else {
      say(`stopping dc1 (sandbox stop dc1-kafka: SIGKILL) after ${producedBeforeKill} acknowledged orders`);
      dc1Down = true;
      sandboxCli(["stop", "dc1-kafka"]);
    }

    const tFailover = Date.now();
    let lostMidRun: string[] = [];
    const midRun = opts.midRunLoss;
    const failover = await runLive(
      api,
      "mm2-failover",
      params,
      say,
      `drill: dc1 lost (${opts.naming})`,
      midRun && {
        afterStep: midRun.afterStep,
        act: () => {
          say(
            `    losing ${midRun.targets.join(", ")} mid-run (sandbox stop: SIGKILL), after ${midRun.afterStep}`,
          );
          sandboxCli(["stop", ...midRun.targets]);
          lostMidRun = midRun.targets;
        },
      },
    );
    const failoverMs = Date.now() - tFailover;
    if (failover.state !== "succeeded")
      throw new Error(`failover ${failover.id} ${failover.state}: ${JSON.stringify(failover.error ?? "")}`);
    const foOut = outputsOf(failover, "verify-offsets");

    // What dc1 acknowledged and what reached dc2 before the failure (the flow is paused since).
    const acked1 = producer
      .entries()
      .filter((e) => e.cluster.startsWith("dc1"))
      .map((e) => e.id);
    const onDc2 = await topicIds(dc2, remote);
    const replicated = acked1.filter((id) => onDc2.has(id));
    const stranded = acked1.filter((id) => !onDc2.has(id));
    const strandedEntries = producer.entries().filter((e) => e.cluster.startsWith("dc1") && !onDc2.has(e.id));
    const strandedRanges: StrandedRange[] = [];
    for (const partition of [...new Set(strandedEntries.map((e) => e.partition))].sort((a, b) => a - b)) {
      const offsets = strandedEntries.filter((e) => e.partition === partition).map((e) => Number(e.offset));
      strandedRanges.push({
        topic,
        partition,
        fromOffset: Math.min(...offsets),
        toOffset: Math.max(...offsets),
        count: offsets.length,
      });
    }
    const ackTimes = strandedEntries.map((e) => e.at).filter((t): t is number => typeof t === "number");
    const verifyStep = failover.steps.find((s) => s.id === "verify-offsets");
    const processedIds = () => new Set(consumer.entries().map((e) => e.id));
    await until("consumer on dc2 processed every replicated order", 90_000, async () => {
      const seen = processedIds();
      const waiting = replicated.filter((id) => !seen.has(id));
      if (waiting.length === 0 && consumer.entries().some((e) => e.cluster.startsWith("dc2"))) return true;
      // Said in the timeout's message: which orders are still missing and where the consumer is.
      throw new Error(
        `${waiting.length} of ${replicated.length} replicated orders not processed (first ${waiting.slice(0, 5).join(", ")}); consumer ${JSON.stringify(await consumer.status())}`,
      );
    });
    const outageToConsumingMs = Date.now() - killedAt;
    say(`consumers continue on dc2 (${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill)`);
    // Writes continue on dc2 too: after the kill the producer follows DNS, after a planned
    // switchover the runbook starts it again once DNS names dc2.
    await until("producer writing to dc2", 60_000, async () =>
      producer.entries().some((e) => e.cluster.startsWith("dc2")) ? true : undefined,
    );
    await sleep(3_000);
    const seenAfterFailover = processedIds();
    const missingAfterFailover = replicated.filter((id) => !seenAfterFailover.has(id));

    if (dc1Down) {
      say("restarting dc1 (sandbox start dc1-kafka)");
      sandboxCli(["start", "dc1-kafka"]);
      dc1Down = false;
    }
    if (lostMidRun.length > 0) {
      say(`restarting ${lostMidRun.join(", ")} (sandbox start)`);
      sandboxCli(["start", ...lostMidRun]);
      lostMidRun = [];
    }
    // Failback is planned: stop producing, let consumers drain dc2, then switch.
    await producer.command("stop");
    const acked2 = producer
      .entries()
      .filter((e) => e.cluster.startsWith("dc2"))
      .map((e) => e.id);
    await until("consumer drained dc2", 60_000, async () => {
      const seen = processedIds();
      return acked2.every((id) => seen.has(id)) ? true : undefined;
    });
    const duplicatesAfterFailover = duplicates(consumer.entries());
    const entriesBeforeFailback = consumer.entries().length;

    const tFailback = Date.now();
    const failback = await runLive(
      api,
      "mm2-failback",
      { flow, group, fleet },
      say,
      `drill: dc1 back (${opts.naming})`,
    );
    const failbackMs = Date.now() - tFailback;
    if (failback.state !== "succeeded")
      throw new Error(`failback ${failback.id} ${failback.state}: ${JSON.stringify(failback.error ?? "")}`);
    const strandedOut = outputsOf(failback, "stranded");
    const reportedRanges = Array.isArray(strandedOut.stranded)
      ? (strandedOut.stranded as StrandedRange[]).filter((r) => r.topic === topic)
      : null;

    // Back on dc1 the group resumes from its own committed offsets: the stranded orders come now.
    await until("consumer on dc1 processed the stranded orders", 60_000, async () => {
      const seen = processedIds();
      return acked1.every((id) => seen.has(id)) &&
        consumer
          .entries()
          .slice(entriesBeforeFailback)
          .every((e) => e.cluster.startsWith("dc1"))
        ? true
        : undefined;
    }).catch(() => undefined);
    const seenFinal = processedIds();
    const missingAfterFailback = [...acked1, ...acked2].filter((id) => !seenFinal.has(id));
    const clusterNow = (await consumer.status()).cluster;
    const consumerAfter = typeof clusterNow === "string" ? clusterNow : "";

    const result: Mm2DrillResult = {
      naming: opts.naming,
      mode,
      topic,
      group,
      failoverRun: failover,
      failbackRun: failback,
      planText,
      reports: { failover: await api.reportText(failover.id), failback: await api.reportText(failback.id) },
      predicted: {
        dryRunReprocess: num(dryOut.reprocessWindow),
        dryRunRpo: num(dryOut.rpoMessages),
        reprocess: num(foOut.reprocessWindow),
        rpoAgeMs: num(foOut.rpoAgeMs),
      },
      ackedOnDc1: acked1.length,
      replicatedBeforeFailure: replicated.length,
      strandedActual: stranded.length,
      strandedReported: reportedRanges ? reportedRanges.reduce((n, r) => n + r.count, 0) : null,
      strandedRanges,
      strandedReportedRanges: reportedRanges,
      rpo: {
        verifyAt: verifyStep?.startedAt ?? null,
        rpoAgeMs: num(foOut.rpoAgeMs),
        oldestStrandedAckAt: ackTimes.length ? Math.min(...ackTimes) : null,
      },
      missingAfterFailover,
      duplicatesAfterFailover,
      missingAfterFailback,
      ackedOnDc2: acked2.length,
      before: {
        dnsTarget: dnsBefore,
        connectors: connectorsBefore,
        consumerCluster: "dc1-kafka.dr.test",
        topicConfigs: configsBefore,
      },
      after: {
        dnsTarget: await primaryCname(),
        connectors: await connectorStates(),
        consumerCluster: consumerAfter,
        topicConfigs: await topicConfigs(),
      },
      timings: { failoverMs, failbackMs, outageToConsumingMs, totalMs: Date.now() - tStart },
    };
    completed = true;
    return result;
  } finally {
    // Whatever happened, leave the sandbox running and as it was found.
    if (dc1Down) sandboxCli(["start", "dc1-kafka"], true);
    if (!completed) {
      if (await restorePrimaryCname(config).catch(() => false))
        say("cleanup: kafka-primary.dr.test → dc1 again");
      const resumed = await resumePausedConnectors().catch(() => []);
      if (resumed.length > 0) say(`cleanup: resumed ${resumed.join(", ")}`);
    }
    for (const app of apps.reverse()) await app.stop().catch(() => undefined);
    await dc1Tools.close();
    await dc1.close().catch(() => undefined);
    await dc2Tools.close();
    await dc2.close().catch(() => undefined);
  }
}
