// Benchmark: verify translated offsets for G groups × P partitions (default 100 × 500, the issue's
// size) with kafka.verifyTranslatedOffsets (one read of the checkpoints topic for all groups) against
// MirrorMaker's own RemoteClusterUtils.translateOffsets called once per group (a tiny Java class
// compiled here). Synthetic checkpoints under a private alias keep the sandbox's MM2 untouched.
// Usage: npx tsx bench/kafka-verify-offsets.ts [--groups 100] [--partitions 500]
import { randomBytes } from "node:crypto";
import { createKafkaAdapter } from "../src/adapters/kafka/kafka-adapter.js";
import { checkpointsTopic } from "../src/kafka/mm2-records.js";
import { loadConfig } from "../src/config/load.js";
import { systemClock } from "../src/engine/ports/clock.js";
import { MemoryLogger } from "../src/engine/ports/logger.js";
import type { StepContext } from "../src/steps/step-adapters.js";
import { targetsFromConfig } from "../src/engine/target-catalog.js";
import { verifyTranslatedOffsetsStep } from "../src/steps/kafka/verify-translated-offsets.js";
import { compileJava, flag, fmt, java, median, outDir, sandboxDir } from "./kafka-java.js";
import { planPhase } from "../src/engine/step-phases.js";
import { KafkaTooling } from "../sandbox/lib/kafka-tooling.js";

const GROUPS = flag("groups", 100);
const PARTITIONS = flag("partitions", 500);
/** Timed repetitions of each side (setup once); figures are the median with min and max. */
const REPEAT = flag("repeat", 3);

const JAVA = `
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.mirror.RemoteClusterUtils;

public class TranslateOffsetsBench {
  public static void main(String[] a) throws Exception {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", a[0]);
    String alias = a[1];
    List<String> groups = Arrays.asList(a[2].split(","));
    int rounds = Integer.parseInt(a[3]);
    for (int r = 0; r < rounds; r++) {
      long t0 = System.nanoTime();
      long partitions = 0;
      for (String g : groups) {
        Map<TopicPartition, OffsetAndMetadata> m = RemoteClusterUtils.translateOffsets(props, alias, g, Duration.ofMinutes(5));
        partitions += m.size();
      }
      System.out.println(((System.nanoTime() - t0) / 1_000_000) + " " + partitions);
    }
  }
}
`;

function str(s: string): Buffer {
  const b = Buffer.from(s);
  const len = Buffer.alloc(2);
  len.writeInt16BE(b.length);
  return Buffer.concat([len, b]);
}
function checkpointRecord(group: string, topic: string, partition: number, up: bigint, down: bigint) {
  const p = Buffer.alloc(4);
  p.writeInt32BE(partition);
  const v = Buffer.alloc(18);
  v.writeInt16BE(0, 0);
  v.writeBigInt64BE(up, 2);
  v.writeBigInt64BE(down, 10);
  return { key: Buffer.concat([str(group), str(topic), p]), value: Buffer.concat([v, str("")]) };
}

async function main(): Promise<void> {
  const config = loadConfig(`${sandboxDir}/switchover.yaml`);
  const run = randomBytes(3).toString("hex");
  const alias = `bench${run}`;
  const topic = `bench-verify-${run}`;
  const ckTopic = checkpointsTopic(alias);
  const groups = Array.from({ length: GROUPS }, (_, i) => `bench-group-${run}-${i}`);
  // A private flow: source dc1 (reachable; the groups have no offsets there), target dc2.
  config.replication[`bench-${run}`] = {
    source: "dc1",
    target: "dc2",
    sourceAlias: alias,
    naming: "identity",
    separator: ".",
    topics: topic,
  };
  const kafka = createKafkaAdapter(config);
  const tooling = new KafkaTooling("dc2", config.clusters.dc2!);
  const admin = await tooling.admin();
  console.log(
    `verify translated offsets: ${GROUPS} groups × ${PARTITIONS} partitions (${GROUPS * PARTITIONS} checkpoints)`,
  );
  try {
    await admin.createTopics({
      topics: [
        { topic, numPartitions: PARTITIONS, replicationFactor: 1 },
        {
          topic: ckTopic,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: "cleanup.policy", value: "compact" }],
        },
      ],
      waitForLeaders: true,
    });
    // One record per partition so every translated offset (1) is within the target log.
    const producer = tooling.kafka.producer({
      allowAutoTopicCreation: false,
      retry: { retries: 10, initialRetryTime: 300 },
    });
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, value: "x" })),
    });
    const batch: { key: Buffer; value: Buffer }[] = [];
    for (const g of groups)
      for (let p = 0; p < PARTITIONS; p++) batch.push(checkpointRecord(g, topic, p, 5n, 1n));
    for (let i = 0; i < batch.length; i += 5_000)
      await producer.send({ topic: ckTopic, messages: batch.slice(i, i + 5_000) });
    await producer.disconnect();

    // Ours: the step's plan, as a dry-run does it (all reads, checks and outputs).
    const ctx = {
      runId: "bench",
      stepId: "verify",
      attempt: 1,
      dryRun: true,
      logger: MemoryLogger.silent(),
      signal: AbortSignal.timeout(600_000),
      clock: systemClock,
      targets: targetsFromConfig(config),
      scope: { params: {}, steps: {}, run: { id: "bench", dryRun: true, runbook: "bench" } },
      adapters: { kafka },
    } as unknown as StepContext;
    const input = verifyTranslatedOffsetsStep
      .input(targetsFromConfig(config))
      .parse({ flow: `bench-${run}`, groups, maxCheckpointAge: "1h" });
    await kafka.cluster("dc1").listTopics(); // connections up before timing, as in a running worker
    const oursRuns: number[] = [];
    let plan = await planPhase(verifyTranslatedOffsetsStep, ctx, input);
    for (let r = 0; r < REPEAT; r++) {
      const t0 = performance.now();
      plan = await planPhase(verifyTranslatedOffsetsStep, ctx, input);
      oursRuns.push(performance.now() - t0);
    }
    const ours = median(oursRuns);
    const translated = plan.outputs.translated as Record<string, Record<string, Record<string, number>>>;
    const ourPartitions = Object.values(translated).reduce(
      (s, t) => s + Object.keys(t[topic] ?? {}).length,
      0,
    );

    console.log(
      `switchover kafka.verifyTranslatedOffsets: ${fmt(ours)} median of ${REPEAT} (${ourPartitions} partitions translated, checkpoints read once)`,
    );
    if (process.argv.includes("--skip-java")) return;
    await compileJava("TranslateOffsetsBench", JAVA);
    const out = await java(
      "TranslateOffsetsBench",
      [config.clusters.dc2!.bootstrapServers[0]!, alias, groups.join(","), String(REPEAT)],
      [outDir],
    );
    const rows = out
      .trim()
      .split("\n")
      .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
    const javaRuns = rows.map(([ms]) => ms);
    const javaMs = median(javaRuns);
    const javaPartitions = rows[0]![1];
    console.log(
      `RemoteClusterUtils.translateOffsets × ${GROUPS}: ${fmt(javaMs)} median of ${REPEAT} (${javaPartitions} partitions; JVM start excluded)`,
    );
    console.log(`ratio: ${(javaMs / ours).toFixed(1)}× (goal ≥ 10×)`);
    // For bench/run.ts: every repetition, one JSON line.
    console.log(`BENCH_RESULT ${JSON.stringify({ ours: oursRuns, java: javaRuns })}`);
    if (ourPartitions !== javaPartitions)
      console.log(`WARNING: partition counts differ (${ourPartitions} vs ${javaPartitions})`);
  } finally {
    await admin
      .deleteTopics({ topics: [topic, ckTopic] })
      .catch((e: unknown) => console.error("cleanup failed", e));
    await tooling.close();
    await kafka.close();
  }
}

await main();
