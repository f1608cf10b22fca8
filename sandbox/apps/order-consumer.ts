// Demo order consumer group: records every order id it processes (with cluster, partition,
// offset) in a JSONL ledger; POST /pause leaves the group, POST /resume re-resolves the sandbox
// DNS name and rejoins on whichever cluster it now points at.
import { appendFileSync } from "node:fs";
import { dns, HOST } from "../topology.js";
import { parseArgs } from "node:util";
import { Kafka, logLevel } from "kafkajs";
import type { Consumer } from "kafkajs";
import { startControlServer } from "./control-server.js";
import { resolveBootstrap } from "./resolve-bootstrap.js";

const { values: opts } = parseArgs({
  options: {
    topic: { type: "string", default: "orders" },
    group: { type: "string", default: "orders-app" },
    name: { type: "string", default: "kafka-primary.dr.test" },
    dns: { type: "string", default: `${HOST}:${dns.port}` },
    ledger: { type: "string", default: ".sandbox/apps/consumer.jsonl" },
    port: { type: "string", default: "0" },
  },
});

let consumer: Consumer | undefined;
let cluster = "";
let topics = [opts.topic];
let processed = 0;
let state: "running" | "paused" | "starting" = "starting";

/**
 * The topics to read on a cluster: the order topic itself when it exists there, and its replicas from
 * the other DCs under prefixed naming (<alias>.<topic>, e.g. dc1.payments.x on dc2, or dc2.payments.x
 * on dc1 after a reverse flow). A consumer following prefixed naming reads both: the local topic has
 * this DC's own writes (producers after a failover), the replica what the other DC wrote before.
 */
async function topicsOn(kafka: Kafka, wanted: string, canonical: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    const alias = canonical.split("-")[0] ?? "";
    const replicas = topics.filter((t) => t.endsWith(`.${wanted}`) && !t.startsWith(`${alias}.`)).sort();
    const found = [...(topics.includes(wanted) ? [wanted] : []), ...replicas];
    return found.length > 0 ? found : [wanted];
  } finally {
    await admin.disconnect();
  }
}

async function start(): Promise<void> {
  state = "starting";
  const boot = await resolveBootstrap(opts.name, opts.dns);
  const kafka = new Kafka({
    clientId: "demo-order-consumer",
    brokers: boot.brokers,
    logLevel: logLevel.NOTHING,
  });
  topics = await topicsOn(kafka, opts.topic, boot.canonical);
  const c = kafka.consumer({ groupId: opts.group, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  await c.connect();
  // Without a committed offset (a brand-new group) start from the beginning; otherwise the group's
  // committed offset on this cluster decides — on a failover target that is the translated one.
  await c.subscribe({ topics, fromBeginning: true });
  cluster = boot.canonical;
  await c.run({
    eachMessage: async ({ topic, partition, message }) => {
      const order = JSON.parse(message.value?.toString() ?? "{}") as { id?: number };
      processed++;
      appendFileSync(
        opts.ledger,
        `${JSON.stringify({ id: order.id, cluster, topic, partition, offset: message.offset, at: Date.now() })}\n`,
      );
    },
  });
  consumer = c;
  state = "running";
}

async function pause(): Promise<void> {
  const c = consumer;
  consumer = undefined;
  state = "paused";
  // Disconnecting leaves the group, so the group is empty and its offsets may be set elsewhere.
  await c?.disconnect();
}

const server = await startControlServer(
  Number(opts.port),
  () => ({ app: "order-consumer", state, cluster, topics, group: opts.group, processed }),
  {
    pause,
    resume: async () => {
      if (state === "running") return;
      await start();
    },
  },
);
const address = server.address();
process.stdout.write(
  `order-consumer control on 127.0.0.1:${typeof address === "object" && address ? address.port : "?"}\n`,
);
process.on("SIGTERM", () => {
  void pause().finally(() => process.exit(0));
});
await start();
