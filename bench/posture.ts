// Benchmark: DR posture (GET /v1/posture?cluster=…, the PostureService behind it) for a cluster with
// 2,000 topics. Creates the topics on the sandbox's dc2 in one CreateTopics batch, times the full
// report (brokers, DescribeQuorum, metadata and two configs of every topic, assessment) cold and
// warm, against the bare metadata + DescribeConfigs round trips it cannot avoid (the floor), then
// deletes them. Goal: under 3 s.
// Usage: npx tsx bench/posture.ts [--topics 2000] [--rounds 5] [--cluster dc2]
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { createKafkaAdapter } from "../src/adapters/kafka/kafka-adapter.js";
import { loadConfig } from "../src/config/load.js";
import { PostureService } from "../src/posture/posture-service.js";
import { KafkaTooling } from "../sandbox/lib/kafka-tooling.js";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
function text(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

const TOPICS = flag("topics", 2_000);
const ROUNDS = flag("rounds", 5);
const CLUSTER = text("cluster", "dc2");
const GOAL_MS = 3_000;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number): string => `${x.toFixed(0)} ms`;

async function main(): Promise<void> {
  const dir = process.env.SWITCHOVER_SANDBOX_DIR ?? resolve(import.meta.dirname, "..", ".sandbox");
  const config = loadConfig(resolve(dir, "switchover.yaml"));
  const kafka = createKafkaAdapter(config);
  const client = kafka.cluster(CLUSTER);
  const tooling = new KafkaTooling(CLUSTER, config.clusters[CLUSTER]!);
  const admin = await tooling.admin();
  const prefix = `bench-posture-${randomBytes(3).toString("hex")}-`;
  const names = Array.from({ length: TOPICS }, (_, i) => `${prefix}${String(i).padStart(4, "0")}`);
  const before = (await client.listTopics()).length;
  console.log(`posture of cluster ${CLUSTER}: creating ${TOPICS} topics in one CreateTopics batch`);
  const t0 = performance.now();
  await admin.createTopics({
    topics: names.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })),
    waitForLeaders: false,
    timeout: 120_000,
  });
  // Wait until the metadata shows them all, so the measurement sees 2,000 real topics.
  for (let i = 0; ; i++) {
    const n = (await client.listTopics()).filter((t) => t.startsWith(prefix)).length;
    if (n === TOPICS) break;
    if (i > 600) throw new Error(`only ${n} of ${TOPICS} topics appeared`);
    await new Promise((r) => setTimeout(r, 200));
  }
  console.log(`  created in ${ms(performance.now() - t0)}; the cluster now has ${before + TOPICS} topics`);

  try {
    const posture = new PostureService(kafka);
    const reports: number[] = [];
    let topicCount = 0;
    let findings = 0;
    let first = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const s = performance.now();
      const p = await posture.cluster(CLUSTER);
      const d = performance.now() - s;
      if (r === 0) first = d;
      reports.push(d);
      topicCount = p.topicCount;
      findings = p.findings.length;
    }
    // The floor: the two reads the report cannot avoid (all-topic Metadata, then DescribeConfigs),
    // without the quorum, brokers or assessment.
    const floors: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const s = performance.now();
      const all = (await client.allTopicStates()).map((t) => t.topic);
      await client.effectiveTopicConfig(all, ["min.insync.replicas", "unclean.leader.election.enable"]);
      floors.push(performance.now() - s);
    }
    const m = median(reports);
    const f = median(floors);
    console.log(`  report covers ${topicCount} topics, ${findings} findings`);
    console.log(
      `  posture report: first ${ms(first)}, median ${ms(m)} (min ${ms(Math.min(...reports))}, max ${ms(Math.max(...reports))}) over ${ROUNDS} rounds`,
    );
    console.log(`  floor (metadata + DescribeConfigs only): median ${ms(f)}`);
    console.log(
      `  ratio report / floor: ${(m / f).toFixed(2)}×; goal < ${GOAL_MS} ms: ${Math.max(...reports) < GOAL_MS ? "met" : "MISSED"}`,
    );
    console.log(
      `BENCH_RESULT ${JSON.stringify({ bench: "posture", cluster: CLUSTER, topics: topicCount, firstMs: Math.round(first), medianMs: Math.round(m), maxMs: Math.round(Math.max(...reports)), floorMs: Math.round(f), goalMs: GOAL_MS })}`,
    );
  } finally {
    const s = performance.now();
    for (let i = 0; i < names.length; i += 500)
      await admin.deleteTopics({ topics: names.slice(i, i + 500), timeout: 60_000 });
    console.log(`  deleted the ${TOPICS} topics in ${ms(performance.now() - s)}`);
    await tooling.close();
    await kafka.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
