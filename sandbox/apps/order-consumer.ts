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
let topic = opts.topic;
let processed = 0;
let state: "running" | "paused" | "starting" = "starting";

/** On a prefixed-naming target the replicated topic is <alias>.<topic>: subscribe to what exists. */
async function topicOn(kafka: Kafka, wanted: string, canonical: string): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    const alias = canonical.split("-")[0] ?? "";
    if (topics.includes(wanted)) return wanted;
    const prefixed = topics.find((t) => t.endsWith(`.${wanted}`) && !t.startsWith(alias));
    return prefixed ?? wanted;
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
  topic = await topicOn(kafka, opts.topic, boot.canonical);
  const c = kafka.consumer({ groupId: opts.group, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  await c.connect();
  // Without a committed offset (a brand-new group) start from the beginning; otherwise the group's
  // committed offset on this cluster decides — on a failover target that is the translated one.
  await c.subscribe({ topic, fromBeginning: true });
  cluster = boot.canonical;
  await c.run({
    eachMessage: async ({ partition, message }) => {
      const order = JSON.parse(message.value?.toString() ?? "{}") as { id?: number };
      processed++;
      appendFileSync(
        opts.ledger,
        `${JSON.stringify({ id: order.id, cluster, topic, partition, offset: message.offset })}\n`,
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
  () => ({ app: "order-consumer", state, cluster, topic, group: opts.group, processed }),
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
