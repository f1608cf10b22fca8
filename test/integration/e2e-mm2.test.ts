// End to end, over the service's HTTP API, with the data read back from Kafka (the demo apps record
// every id they produce and process): the replicated-cluster drill (dc1 killed with replication lag,
// mm2-failover, dc1 back, mm2-failback) with identity and prefixed naming, the planned (graceful)
// switchover with RPO 0, and a drill with MM2 stopped for longer than the checkpoint-age limit. The
// stretched cluster's drill is e2e-stretch.test.ts.
// One service for all of them: its long-lived Kafka clients must follow topics created meanwhile.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterClient } from "../../src/adapters/kafka/cluster-client.js";
import { loadConfig } from "../../src/config/load.js";
import { checkMm2Invariants, failedChecks, predictedReprocess } from "../../sandbox/drill/invariants.js";
import { runMm2Drill } from "../../sandbox/drill/mm2-drill.js";
import type { Mm2DrillResult } from "../../sandbox/drill/mm2-drill.js";
import { startService } from "../../sandbox/drill/service-process.js";
import type { RunningService } from "../../sandbox/drill/service-process.js";
import {
  connectorStates,
  pauseConnector,
  primaryCname,
  resumeConnector,
  sandboxCli,
} from "../../sandbox/drill/sandbox-control.js";
import { configFile, sandboxPaths } from "../../sandbox/lib/paths.js";
import { mm2Flows, port } from "../../sandbox/topology.js";
import { eventually, unique } from "./sandbox.js";
import { KafkaTooling } from "../../sandbox/lib/kafka-tooling.js";

const dir = join(sandboxPaths().state, "drill", `e2e-mm2-${Date.now().toString(36)}`);
let service: RunningService;
const lines: string[] = [];

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  service = await startService(dir, port(18090));
}, 120_000);

afterAll(async () => {
  await service?.stop();
  // A drill that failed midway has restarted dc1 itself; this is the belt to its braces.
  sandboxCli(["start", "dc1"]);
});

function expectDrillHeld(r: Mm2DrillResult): void {
  const checks = checkMm2Invariants(r);
  expect(failedChecks(checks).map((c) => `${c.name}: ${c.detail}`)).toEqual([]);
  expect(r.failoverRun.state).toBe("succeeded");
  expect(r.failbackRun.state).toBe("succeeded");
  expect(r.missingAfterFailover).toEqual([]);
  expect(r.missingAfterFailback).toEqual([]);
  // Exactly the stranded records, by partition and offset range, and the test's own count.
  expect(r.strandedReportedRanges).toEqual(r.strandedRanges);
  expect(r.strandedReported).toBe(r.strandedActual);
  // After failback: DNS, connectors, topic configs and where consumers run equal the before-state.
  expect(r.after).toEqual(r.before);
}

// Prefixed naming: dc1's orders are read on dc2 from dc1.<topic>, dc2's own writes from its local
// <topic>; the consumer reads both there.
describe.each<"identity" | "prefixed">(["identity", "prefixed"])(
  "MM2 failover and failback, dc1 lost, %s naming",
  (naming) => {
    it("loses no replicated order, duplicates within the prediction, RPO bounds the loss, reports stranded orders exactly, restores the before-state", async () => {
      const r = await runMm2Drill({
        api: service.api,
        naming,
        dir,
        say: (l) => lines.push(l),
        strandForMs: 2_000,
      });
      expectDrillHeld(r);
      // The lag injected before the failure stranded orders; failback processes them on dc1.
      expect(r.strandedActual).toBeGreaterThan(0);
      expect(r.duplicatesAfterFailover).toBeLessThanOrEqual(predictedReprocess(r)!);
      // dc1 was gone: the RPO is the age of the newest replicated order, and every lost order was
      // acknowledged after it (1 s for clock granularity).
      expect(r.rpo.rpoAgeMs).not.toBeNull();
      expect(r.rpo.oldestStrandedAckAt!).toBeGreaterThanOrEqual(r.rpo.verifyAt! - r.rpo.rpoAgeMs! - 1_000);
      // The report's RPO is the verification's figure (the one checked above), not apply-offsets'
      // later one; its reprocess window is an upper bound, dc1 being gone.
      const recovery = (await service.api.report(r.failoverRun.id)).recovery as Record<string, unknown>;
      expect(recovery).toMatchObject({
        rpoStepId: "verify-offsets",
        rpoAgeMs: r.rpo.rpoAgeMs,
        reprocessExact: false,
      });
    }, 360_000);
  },
);

describe("MM2 planned switchover (graceful) and failback, identity naming", () => {
  it("stops producers, switches once replication and checkpoints caught up: zero missing, zero duplicates, RPO 0", async () => {
    const r = await runMm2Drill({
      api: service.api,
      naming: "identity",
      mode: "graceful",
      dir,
      say: (l) => lines.push(l),
    });
    expectDrillHeld(r);
    expect(r.mode).toBe("graceful");
    const ran = Object.fromEntries(r.failoverRun.steps.map((s) => [s.id, s.state]));
    expect(ran).toMatchObject({
      "stop-producers": "succeeded",
      "replication-caught-up": "succeeded",
      "checkpoints-caught-up": "succeeded",
      "no-reprocessing": "succeeded",
      "resume-producers": "succeeded",
    });
    // RPO 0: everything acknowledged on dc1 was on dc2 at the switch, and nothing was processed twice.
    expect(r.strandedActual).toBe(0);
    expect(r.replicatedBeforeFailure).toBe(r.ackedOnDc1);
    expect(r.missingAfterFailover).toEqual([]);
    expect(r.duplicatesAfterFailover).toBe(0);
    // Writes resumed on dc2 (the runbook started the producers again) and were consumed there.
    expect(r.ackedOnDc2).toBeGreaterThan(0);
    const recovery = (await service.api.report(r.failoverRun.id)).recovery as Record<string, unknown>;
    expect(recovery).toMatchObject({
      rpoMessages: 0,
      rpoStepId: "checkpoints-caught-up",
      reprocessWindow: 0,
      reprocessExact: true,
    });
  }, 360_000);
});

describe("injected fault: MM2 stopped longer than the checkpoint-age limit", () => {
  it("fails at verification before anything changed, and says why", async () => {
    const config = loadConfig(configFile(sandboxPaths()));
    const dc1 = new ClusterClient("dc1", config.clusters.dc1!);
    const dc2 = new ClusterClient("dc2", config.clusters.dc2!);
    const dc1Tools = new KafkaTooling("dc1", config.clusters.dc1!);
    const flow = mm2Flows.find((f) => f.id === "dc1-to-dc2")!;
    const connectors: string[] = Object.values(flow.connectors as Record<string, string>);
    const topic = unique("orders.fault-");
    const group = unique("orders-fault-");
    try {
      const admin = await dc1Tools.admin();
      await admin.createTopics({
        topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
        waitForLeaders: true,
      });
      const producer = await dc1Tools.producer();
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 20 }, (_, i) => ({ value: `o${i}` })),
      });
      await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: "10" }] });
      // MM2 refreshes groups every 5 s: wait until a dry-run translates the group's offsets.
      await eventually(
        "a dry-run with checkpoints for the group",
        async () => {
          const dry = await service.api.waitFinished(
            (await service.api.startRun("mm2-failover", { params: { group }, dryRun: true })).id,
          );
          return dry.state === "succeeded" ? true : undefined;
        },
        120_000,
        2_000,
      );
      const before = {
        dns: await primaryCname(),
        dc2Offsets: [...((await dc2.groupOffsets(group, undefined)).get(topic) ?? [])],
        configs: (await dc2.topicOverrides([topic])).get(topic)?.values,
      };

      for (const c of connectors) await pauseConnector(c);
      const pausedStates = await eventually(
        "connectors paused",
        async () => {
          const s = await connectorStates();
          return connectors.every((c) => s[c] === "PAUSED") ? s : undefined;
        },
        60_000,
      );
      // Longer than the limit the run is given (maxCheckpointAge 8s).
      await new Promise((r) => setTimeout(r, 10_000));
      const run = await service.api.waitFinished(
        (
          await service.api.startRun("mm2-failover", {
            params: { mode: "ungraceful", group, maxCheckpointAge: "8s" },
            dryRun: false,
            reason: "e2e: injected MM2 outage",
          })
        ).id,
      );
      expect(run.state).toBe("failed");
      const failed = run.steps.filter((s) => s.state === "failed").map((s) => s.id);
      expect(failed).toEqual(["check-replication"]);
      expect(JSON.stringify(run.error)).toMatch(/newest heartbeat is [\d.]+ s old \(limit 8s\)/);
      // Nothing after the verification ran: every step that changes something is still pending.
      for (const s of run.steps.slice(1)) expect([s.id, s.state]).toEqual([s.id, "pending"]);
      expect({
        dns: await primaryCname(),
        dc2Offsets: [...((await dc2.groupOffsets(group, undefined)).get(topic) ?? [])],
        configs: (await dc2.topicOverrides([topic])).get(topic)?.values,
      }).toEqual(before);
      expect(await connectorStates()).toEqual(pausedStates);
    } finally {
      for (const c of connectors) await resumeConnector(c).catch(() => undefined);
      const admin = await dc1Tools.admin().catch(() => undefined);
      await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await dc1Tools.close();
      await dc1.close();
      await dc2.close();
    }
  }, 240_000);
});
