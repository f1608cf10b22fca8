// Benchmark: set min.insync.replicas on N topics (default 1,000, the issue's size) with
// kafka.setTopicConfig (describe-merge-write in batched round trips, broker-validated, proven after)
// against a loop of the official `kafka-configs --alter` (kafka.admin.ConfigCommand, one JVM per
// topic as the script runs it) and against one bare AlterConfigs round trip as the physical floor.
// Usage: npx tsx bench/kafka-min-isr.ts [--topics 1000] [--cli-topics N (default: all)] [--repeat 3]
import { randomBytes } from "node:crypto";
import { createKafkaAdapter } from "../src/adapters/kafka/kafka-adapter.js";
import { loadConfig } from "../src/config/load.js";
import { systemClock } from "../src/engine/ports/clock.js";
import { MemoryLogger } from "../src/engine/ports/logger.js";
import type { StepContext } from "../src/steps/step-adapters.js";
import { targetsFromConfig } from "../src/engine/target-catalog.js";
import { setTopicConfigStep } from "../src/steps/kafka/set-topic-config.js";
import { flag, fmt, java, median, sandboxDir } from "./kafka-java.js";
import { KafkaTooling } from "../sandbox/lib/kafka-tooling.js";

const TOPICS = flag("topics", 1_000);
const CLI_TOPICS = Math.min(flag("cli-topics", TOPICS), TOPICS);
const CLUSTER = "dc1";
/** Timed repetitions of ours and of the floor (setup once). */
const REPEAT = flag("repeat", 3);

async function main(): Promise<void> {
  const config = loadConfig(`${sandboxDir}/switchover.yaml`);
  const run = randomBytes(3).toString("hex");
  const prefix = `bench-minisr-${run}-`;
  const topics = Array.from({ length: TOPICS }, (_, i) => `${prefix}${String(i).padStart(4, "0")}`);
  const kafka = createKafkaAdapter(config);
  const client = kafka.cluster(CLUSTER);
  const tooling = new KafkaTooling(CLUSTER, config.clusters[CLUSTER]!);
  const admin = await tooling.admin();
  const bootstrap = config.clusters[CLUSTER]!.bootstrapServers[0]!;
  console.log(`set min.insync.replicas on ${TOPICS} topics of ${CLUSTER}`);
  try {
    for (let i = 0; i < topics.length; i += 100) {
      await admin.createTopics({
        waitForLeaders: false,
        topics: topics.slice(i, i + 100).map((topic) => ({
          topic,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: "retention.ms", value: "3600000" }],
        })),
      });
    }
    for (;;) {
      const known = new Set(await client.listTopics());
      if (topics.every((t) => known.has(t))) break;
      await new Promise((r) => setTimeout(r, 500));
    }

    // Ours: plan (selection by pattern, describe, broker validation) + apply (describe-merge-write)
    // + verify, exactly what a real run does.
    const ctx = {
      runId: "bench",
      stepId: "min-isr",
      attempt: 1,
      dryRun: false,
      logger: MemoryLogger.silent(),
      signal: AbortSignal.timeout(600_000),
      clock: systemClock,
      targets: targetsFromConfig(config),
      scope: { params: {}, steps: {}, run: { id: "bench", dryRun: false, runbook: "bench" } },
      adapters: { kafka },
    } as unknown as StepContext;
    const input = setTopicConfigStep.input(targetsFromConfig(config)).parse({
      cluster: CLUSTER,
      topics: { pattern: `${prefix}.*` },
      set: { "min.insync.replicas": "2" },
    });
    // Floor: one AlterConfigs request carrying every topic (no reads, no validation, no proof). It
    // also puts the value back to 1, so each repetition of ours has all TOPICS changes to make.
    const floorOnce = async () => {
      const t1 = performance.now();
      await admin.alterConfigs({
        validateOnly: false,
        resources: topics.map((name) => ({
          type: 2,
          name,
          configEntries: [
            { name: "min.insync.replicas", value: "1" },
            { name: "retention.ms", value: "3600000" },
          ],
        })),
      });
      return performance.now() - t1;
    };
    const oursRuns: number[] = [];
    const floorRuns: number[] = [];
    for (let r = 0; r < REPEAT; r++) {
      floorRuns.push(await floorOnce());
      const t0 = performance.now();
      const plan = await setTopicConfigStep.plan(ctx, input);
      await setTopicConfigStep.apply(ctx, plan, input);
      await setTopicConfigStep.verify(ctx, input, plan);
      oursRuns.push(performance.now() - t0);
      if (plan.changes.length !== TOPICS)
        throw new Error(`planned ${plan.changes.length} changes, expected ${TOPICS}`);
    }
    const ours = median(oursRuns);
    const floor = median(floorRuns);

    // The official CLI, one invocation per topic as an operator's loop runs it.
    const cliRuns: number[] = [];
    for (const topic of topics.slice(0, CLI_TOPICS)) {
      const t2 = performance.now();
      await java("kafka.admin.ConfigCommand", [
        "--bootstrap-server",
        bootstrap,
        "--entity-type",
        "topics",
        "--entity-name",
        topic,
        "--alter",
        "--add-config",
        "min.insync.replicas=2",
      ]);
      cliRuns.push(performance.now() - t2);
    }
    const cliMeasured = cliRuns.reduce((a, b) => a + b, 0);
    const cli = median(cliRuns) * TOPICS;
    const check = await client.effectiveTopicConfig([topics[0]!], ["min.insync.replicas"]);
    if (check.get(topics[0]!)?.["min.insync.replicas"] !== "2")
      throw new Error("ConfigCommand did not apply");

    console.log(`switchover kafka.setTopicConfig (plan+apply+verify): ${fmt(ours)}`);
    console.log(
      `kafka-configs --alter loop: ${fmt(cli)}${CLI_TOPICS < TOPICS ? ` (median invocation × ${TOPICS}; ${CLI_TOPICS} invocations took ${fmt(cliMeasured)})` : ""}`,
    );
    console.log(`one AlterConfigs round trip (floor): ${fmt(floor)}`);
    console.log(
      `ratio vs CLI loop: ${(cli / ours).toFixed(1)}× (goal ≥ 50×); ours / floor: ${(ours / floor).toFixed(1)}×`,
    );
    // For bench/run.ts: every repetition (CLI: ms per invocation), one JSON line.
    console.log(`BENCH_RESULT ${JSON.stringify({ ours: oursRuns, floor: floorRuns, cliPerTopic: cliRuns })}`);
  } finally {
    const existing = new Set(await client.listTopics());
    const mine = topics.filter((t) => existing.has(t));
    for (let i = 0; i < mine.length; i += 200) {
      await admin
        .deleteTopics({ topics: mine.slice(i, i + 200) })
        .catch((e: unknown) => console.error("cleanup failed:", e instanceof Error ? e.message : e));
    }
    await tooling.close();
    await kafka.close();
  }
}

await main();
