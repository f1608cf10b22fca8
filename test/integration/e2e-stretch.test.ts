// End to end, over the service's HTTP API: the stretched cluster loses dc1 (brokers 1 and 2 killed),
// stretched-dc-loss restores acks=all writability in both modes (lowerMinIsr, reassign), and after
// dc1 returns stretched-failback (or revert, then stretched-failback for leadership) puts topic
// configs, replica placement and preferred leaders back exactly as they were.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterClient } from "../../src/adapters/kafka/cluster-client.js";
import { loadConfig } from "../../src/config/load.js";
import type { RunSummary } from "../../sandbox/drill/api-client.js";
import { startService } from "../../sandbox/drill/service-process.js";
import type { RunningService } from "../../sandbox/drill/service-process.js";
import { sandboxCli } from "../../sandbox/drill/sandbox-control.js";
import { configFile, sandboxPaths } from "../../sandbox/lib/paths.js";
import { port, stretchTopics } from "../../sandbox/topology.js";

const dir = join(sandboxPaths().state, "drill", `e2e-stretch-${Date.now().toString(36)}`);
const topics = stretchTopics.map((t) => t.name);
let service: RunningService;
let stretch: ClusterClient;

interface StretchState {
  configs: Record<string, Record<string, string>>;
  placement: Record<string, number[][]>;
  leaders: Record<string, number[]>;
}

async function snapshot(): Promise<StretchState> {
  const states = await stretch.topicStates(topics);
  const overrides = await stretch.topicOverrides(topics);
  const out: StretchState = { configs: {}, placement: {}, leaders: {} };
  for (const t of states.sort((a, b) => a.topic.localeCompare(b.topic))) {
    const parts = [...t.partitions].sort((a, b) => a.partition - b.partition);
    out.configs[t.topic] = overrides.get(t.topic)?.values ?? {};
    out.placement[t.topic] = parts.map((p) => p.replicas);
    out.leaders[t.topic] = parts.map((p) => p.leader);
  }
  return out;
}

async function real(runbook: string, params: Record<string, unknown>): Promise<RunSummary> {
  const run = await service.api.startRun(runbook, {
    params,
    dryRun: false,
    reason: "e2e: stretched dc1 lost",
  });
  return service.api.waitFinished(run.id);
}

function expectSucceeded(run: RunSummary): void {
  expect(run.state, JSON.stringify(run.error ?? run.steps.filter((s) => s.error))).toBe("succeeded");
}

let before: StretchState;

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  stretch = new ClusterClient("stretch", loadConfig(configFile(sandboxPaths())).clusters.stretch!);
  service = await startService(dir, port(18091));
  // The before-state: healthy, consistency-first min-ISR, leadership on the preferred replicas.
  expectSucceeded(await real("stretched-failback", {}));
  before = await snapshot();
  for (const t of topics) {
    expect(before.configs[t]!["min.insync.replicas"]).toBe("3");
    expect(before.leaders[t]).toEqual(before.placement[t]!.map((r) => r[0]));
  }
}, 300_000);

afterAll(async () => {
  sandboxCli(["start", "stretch/dc1"]);
  await service?.stop();
  await stretch?.close();
});

describe("stretched cluster, dc1 lost", () => {
  it("lowerMinIsr: writable again with dc1 down; stretched-failback restores configs, placement and leaders exactly", async () => {
    sandboxCli(["stop", "stretch/dc1"]);
    try {
      const loss = await real("stretched-dc-loss", { action: "lowerMinIsr" });
      expectSucceeded(loss);
      expect(loss.steps.find((s) => s.id === "writable")!.state).toBe("succeeded");
      expect(loss.steps.find((s) => s.id === "reassign")!.state).toBe("skipped");
      const during = await snapshot();
      for (const t of topics) expect(during.configs[t]!["min.insync.replicas"]).toBe("2");
      expect(during.placement).toEqual(before.placement);
    } finally {
      sandboxCli(["start", "stretch/dc1"]);
    }
    expectSucceeded(await real("stretched-failback", {}));
    expect(await snapshot()).toEqual(before);
  }, 420_000);

  it("reassign: writable on dc2 replicas only; revert puts placement and configs back, stretched-failback the leaders", async () => {
    sandboxCli(["stop", "stretch/dc1"]);
    let loss: RunSummary;
    try {
      loss = await real("stretched-dc-loss", { action: "reassign" });
      expectSucceeded(loss);
      const during = await snapshot();
      // Every replica on the surviving rack (brokers 3 and 4), two per partition.
      for (const t of topics)
        for (const replicas of during.placement[t]!) expect([...replicas].sort()).toEqual([3, 4]);
    } finally {
      sandboxCli(["start", "stretch/dc1"]);
    }
    const revert = await service.api.waitFinished(
      (await service.api.revert(loss.id, "e2e: dc1 is back", false)).id,
    );
    expectSucceeded(revert);
    const reverted = await snapshot();
    expect(reverted.placement).toEqual(before.placement);
    expect(reverted.configs).toEqual(before.configs);
    expectSucceeded(await real("stretched-failback", {}));
    expect(await snapshot()).toEqual(before);
  }, 600_000);
});
