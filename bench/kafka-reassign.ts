// Benchmark: move 500 partitions (the size) off a stopped datacenter of the stretched
// cluster — switchover's kafka.reassignPartitions with the input of runbooks/stretched-dc-loss.yaml
// (action: reassign) against the official `kafka-reassign-partitions` procedure from the same
// Kafka jars (--generate with a topics file and the surviving broker list, --execute, then --verify
// polled until every partition reports completed; one JVM per invocation, as the script runs it).
// Two figures each: plan + submit, and completion (every partition moved, ISR full for ours).
//
// Each round: dc1 of the stretched cluster is stopped (`sandbox stop stretch/dc1`), both procedures
// run on their own 500 partitions (same shape: RF 2, one replica per rack, a little data; the order
// alternates between rounds), dc1 is started again and both sets are put back on their original
// placement with the step's restore input, what a recorded revert runs (not timed). dc1 is always
// started again at the end. (Fresh sets per round instead would mean 3,000 partitions on the
// sandbox's small controller: it did not survive that.)
// Usage: npx tsx bench/kafka-reassign.ts [--partitions 500] [--per-topic 10] [--rounds 3]
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createKafkaAdapter } from "../src/adapters/kafka/kafka-adapter.js";
import type { ClusterClient } from "../src/adapters/kafka/cluster-client.js";
import { loadConfig } from "../src/config/load.js";
import type { JsonValue } from "../src/engine/json.js";
import { systemClock } from "../src/engine/ports/clock.js";
import type { Logger } from "../src/engine/ports/logger.js";
import type { StepContext } from "../src/steps/step-adapters.js";
import type { AnyActionStep, StepPlan } from "../src/engine/step-contract.js";
import { targetsFromConfig } from "../src/engine/target-catalog.js";
import { createStepRegistry } from "../src/steps/registry.js";
import { sandboxCli } from "../sandbox/drill/sandbox-control.js";
import { flag, fmt, java, median, outDir, sandboxDir } from "./kafka-java.js";
import { proposedAssignment, reassignmentDone, verifyStatus } from "./reassign-cli.js";
import { until } from "../sandbox/lib/until.js";
import { KafkaTooling } from "../sandbox/lib/kafka-tooling.js";

const PARTITIONS = flag("partitions", 500);
const PER_TOPIC = flag("per-topic", 10);
const ROUNDS = flag("rounds", 3);
const CLUSTER = "stretch";
const FAILED_RACK = "dc1";
const RECORDS_PER_PARTITION = 2;
const TOOL = "org.apache.kafka.tools.reassign.ReassignPartitionsCommand";

const config = loadConfig(join(sandboxDir, "switchover.yaml"));
const kafka = createKafkaAdapter(config);
const client: ClusterClient = kafka.cluster(CLUSTER);
const registry = createStepRegistry();
const reassignStep = registry.get("kafka.reassignPartitions") as AnyActionStep;
const targets = targetsFromConfig(config);
const bootstrap = config.clusters[CLUSTER]!.bootstrapServers.join(",");
/** Polls every 500 ms: reassignment and fencing settle in well under a second here. */
const poll = <T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> =>
  until(what, ms, probe, 500);
/** A logger that notes when a message was first logged (the step logs "reassignments submitted"). */
function timingLogger(seen: Map<string, number>): Logger {
  const note = (_f: Record<string, unknown>, msg: string) => {
    if (!seen.has(msg)) seen.set(msg, performance.now());
  };
  const l: Logger = { debug: note, info: note, warn: note, error: note, child: () => l };
  return l;
}

function context(logger: Logger): StepContext {
  return {
    runId: "bench",
    stepId: "reassign",
    attempt: 1,
    dryRun: false,
    logger,
    signal: AbortSignal.timeout(600_000),
    clock: systemClock,
    targets,
    scope: { params: {}, steps: {}, run: { id: "bench", dryRun: false, runbook: "stretched-dc-loss" } },
    adapters: { kafka } as StepContext["adapters"],
  };
}

interface Recorded {
  input: unknown;
  plan: StepPlan;
  before: JsonValue;
}

/** plan → apply → verify as a run does; times plan+submit (up to the step's log line) and the whole. */
async function runStep(raw: unknown): Promise<Recorded & { submitMs: number; totalMs: number }> {
  const seen = new Map<string, number>();
  const ctx = context(timingLogger(seen));
  const input = reassignStep.input(targets).parse(raw);
  const t0 = performance.now();
  const plan = await reassignStep.plan(ctx, input);
  const before = await reassignStep.apply(ctx, plan, input);
  await reassignStep.verify(ctx, input, plan);
  const t1 = performance.now();
  const submitted = seen.get("reassignments submitted");
  return { input, plan, before, submitMs: (submitted ?? t1) - t0, totalMs: t1 - t0 };
}

async function stateOf(topics: string[]) {
  return new Map((await client.topicStates(topics)).map((s) => [s.topic, s]));
}

/**
 * Every partition of the set has `rf` replicas, none on a dc1 broker. Polled: the broker answering a
 * metadata request may lag the controller by a moment after the reassignment completed.
 */
async function assertMovedOff(topics: string[], dc1: Set<number>, rf: number): Promise<void> {
  await poll("every partition of the set off dc1", 60_000, async () => {
    for (const [topic, s] of await stateOf(topics)) {
      for (const p of s.partitions) {
        if (p.replicas.length !== rf || p.replicas.some((r) => dc1.has(r)))
          throw new Error(`${topic}-${p.partition} on ${JSON.stringify(p.replicas)} after the move`);
      }
    }
    return true;
  });
}

async function liveBrokers(): Promise<number[]> {
  return (await client.brokers()).map((b) => b.nodeId).sort((a, b) => a - b);
}

async function startDc1(): Promise<void> {
  sandboxCli(["start", `${CLUSTER}/${FAILED_RACK}`, "--timeout", "300"]);
  await poll("4 brokers in the stretched cluster", 180_000, async () =>
    (await liveBrokers()).length === 4 ? true : undefined,
  );
}

async function stopDc1(dc1: Set<number>, topics: string[]): Promise<void> {
  sandboxCli(["stop", `${CLUSTER}/${FAILED_RACK}`]);
  await poll("dc1 brokers fenced", 120_000, async () =>
    (await liveBrokers()).some((b) => dc1.has(b)) ? undefined : true,
  );
  // Leaders on the survivors before timing, so neither side pays for the election.
  await poll("leaders on dc2", 120_000, async () => {
    for (const s of (await stateOf(topics)).values())
      if (s.partitions.some((p) => p.leader < 0 || dc1.has(p.leader))) return undefined;
    return true;
  });
}

/** The official procedure: --generate, --execute, --verify until completed. */
async function cliReassign(topics: string[], survivors: number[], dir: string) {
  const topicsFile = join(dir, "topics-to-move.json");
  writeFileSync(topicsFile, JSON.stringify({ version: 1, topics: topics.map((topic) => ({ topic })) }));
  const t0 = performance.now();
  const generated = await java(TOOL, [
    "--bootstrap-server",
    bootstrap,
    "--generate",
    "--topics-to-move-json-file",
    topicsFile,
    "--broker-list",
    survivors.join(","),
  ]);
  const proposed = proposedAssignment(generated);
  const planFile = join(dir, "reassignment.json");
  writeFileSync(planFile, JSON.stringify(proposed));
  await java(TOOL, ["--bootstrap-server", bootstrap, "--execute", "--reassignment-json-file", planFile]);
  const submitMs = performance.now() - t0;
  let polls = 0;
  const deadline = Date.now() + 600_000;
  for (;;) {
    polls++;
    const out = await java(TOOL, [
      "--bootstrap-server",
      bootstrap,
      "--verify",
      "--reassignment-json-file",
      planFile,
    ]);
    if (reassignmentDone(verifyStatus(out), proposed.partitions.length)) break;
    if (Date.now() > deadline) throw new Error(`--verify not completed after ${polls} polls`);
  }
  return { submitMs, totalMs: performance.now() - t0, polls, partitions: proposed.partitions.length };
}

async function main(): Promise<void> {
  const run = randomBytes(3).toString("hex");
  const topicsPerSet = Math.ceil(PARTITIONS / PER_TOPIC);
  const names = (set: string) =>
    Array.from(
      { length: topicsPerSet },
      (_, i) => `bench-reassign-${run}-${set}-${String(i).padStart(3, "0")}`,
    );
  const sets = { ours: names("a"), cli: names("b") };
  const all = [...sets.ours, ...sets.cli];
  const t0 = performance.now();
  const phase = (what: string) => console.log(`  ${((performance.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  const dir = join(outDir, `reassign-${run}`);
  mkdirSync(dir, { recursive: true });
  const ours = { submit: [] as number[], total: [] as number[] };
  const cli = { submit: [] as number[], total: [] as number[], polls: [] as number[] };
  let dc1Down = false;
  const tooling = new KafkaTooling(CLUSTER, config.clusters[CLUSTER]!);
  const admin = await tooling.admin();
  try {
    if ((await liveBrokers()).length !== 4) await startDc1();
    const brokers = await client.brokers();
    const dc1 = new Set(brokers.filter((b) => b.rack === FAILED_RACK).map((b) => b.nodeId));
    const survivors = brokers.filter((b) => !dc1.has(b.nodeId)).map((b) => b.nodeId);
    console.log(
      `reassign ${topicsPerSet * PER_TOPIC} partitions (${topicsPerSet} topics × ${PER_TOPIC}, RF 2) off ${FAILED_RACK} of ${CLUSTER}, ${ROUNDS} round(s), each procedure on its own set`,
    );
    for (let i = 0; i < all.length; i += 50) {
      await admin.createTopics({
        waitForLeaders: false,
        topics: all
          .slice(i, i + 50)
          .map((topic) => ({ topic, numPartitions: PER_TOPIC, replicationFactor: 2 })),
      });
    }
    await poll("every new partition led", 120_000, async () => {
      const states = await stateOf(all);
      return states.size === all.length &&
        [...states.values()].every(
          (s) => s.partitions.length === PER_TOPIC && s.partitions.every((p) => p.leader >= 0),
        )
        ? true
        : undefined;
    });
    const original: Record<string, Record<string, number[]>> = {};
    for (const [topic, s] of await stateOf(all)) {
      original[topic] = Object.fromEntries(s.partitions.map((p) => [String(p.partition), p.replicas]));
      if (!s.partitions.every((p) => p.replicas.some((r) => dc1.has(r))))
        throw new Error(`${topic}: a partition without a replica on ${FAILED_RACK}`);
    }
    phase(`${all.length} topics created`);
    const producer = await tooling.producer();
    const value = Buffer.alloc(1024, 120);
    for (let i = 0; i < all.length; i += 20) {
      // Fresh topics: the first sends may reach a broker before it knows it leads (retried).
      await poll("test data produced", 90_000, async () => {
        await producer.sendBatch({
          acks: -1,
          topicMessages: all.slice(i, i + 20).map((topic) => ({
            topic,
            messages: Array.from({ length: PER_TOPIC * RECORDS_PER_PARTITION }, (_, k) => ({
              partition: k % PER_TOPIC,
              value,
            })),
          })),
        });
        return true;
      });
    }
    phase("test data written");

    for (let round = 0; round < ROUNDS; round++) {
      dc1Down = true;
      await stopDc1(dc1, all);
      phase(`round ${round + 1}: ${FAILED_RACK} stopped, leaders on the survivors`);
      const doOurs = async () => {
        // The input of runbooks/stretched-dc-loss.yaml's reassign step with its default params.
        const r = await runStep({
          cluster: CLUSTER,
          topics: {
            pattern: `bench-reassign-${run}-a-.*`,
            where: { hasReplicasOn: { racks: [FAILED_RACK] } },
          },
          drainRacks: [FAILED_RACK],
          replicationFactor: 2,
        });
        if (r.plan.changes.length !== topicsPerSet * PER_TOPIC)
          throw new Error(`planned ${r.plan.changes.length} moves, expected ${topicsPerSet * PER_TOPIC}`);
        await assertMovedOff(sets.ours, dc1, 2);
        ours.submit.push(r.submitMs);
        ours.total.push(r.totalMs);
        console.log(
          `  round ${round + 1} switchover: plan+submit ${fmt(r.submitMs)}, complete ${fmt(r.totalMs)}`,
        );
      };
      const doCli = async () => {
        const r = await cliReassign(sets.cli, survivors, dir);
        if (r.partitions !== topicsPerSet * PER_TOPIC)
          throw new Error(`--generate proposed ${r.partitions} partitions`);
        await assertMovedOff(sets.cli, dc1, 2);
        cli.submit.push(r.submitMs);
        cli.total.push(r.totalMs);
        cli.polls.push(r.polls);
        console.log(
          `  round ${round + 1} kafka-reassign-partitions: generate+execute ${fmt(r.submitMs)}, complete ${fmt(r.totalMs)} (${r.polls} --verify)`,
        );
      };
      if (round % 2 === 0) {
        await doOurs();
        await doCli();
      } else {
        await doCli();
        await doOurs();
      }
      await startDc1();
      dc1Down = false;
      phase(`round ${round + 1}: ${FAILED_RACK} started again`);
      if (round + 1 < ROUNDS) {
        // Back to one replica per rack: the step's restore input (what a recorded revert runs).
        await runStep({ cluster: CLUSTER, restore: original, pollInterval: "1s" });
        phase(`round ${round + 1}: original placement restored`);
      }
    }
    console.log(
      `switchover: plan+submit ${fmt(median(ours.submit))}, complete ${fmt(median(ours.total))}; kafka-reassign-partitions: ${fmt(median(cli.submit))}, ${fmt(median(cli.total))}`,
    );
    console.log(
      `ratio plan+submit ${(median(cli.submit) / median(ours.submit)).toFixed(1)}×, completion ${(median(cli.total) / median(ours.total)).toFixed(1)}×`,
    );
    console.log(
      `BENCH_RESULT ${JSON.stringify({ oursSubmit: ours.submit, oursTotal: ours.total, cliSubmit: cli.submit, cliTotal: cli.total, cliPolls: cli.polls })}`,
    );
  } finally {
    if (dc1Down) await startDc1().catch((e: unknown) => console.error("starting dc1 failed:", e));
    const existing = new Set(await client.listTopics().catch(() => [] as string[]));
    const mine = all.filter((t) => existing.has(t));
    for (let i = 0; i < mine.length; i += 100)
      await admin.deleteTopics({ topics: mine.slice(i, i + 100) }).catch(() => undefined);
    phase("topics deleted");
    await tooling.close();
    await kafka.close();
  }
}

await main();
