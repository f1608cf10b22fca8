// Demo order producer: sequenced order ids, acks=all, bootstrapping through the sandbox DNS name.
// Every acknowledged id is appended (with cluster, partition, offset) to a JSONL ledger, which the
// drills compare against what consumers processed. It follows the DNS name: re-resolved every
// --reresolve-ms (as a client honouring the record's TTL would), on any error, and on POST /reresolve;
// when the name points at another cluster it reconnects there.
import { appendFileSync } from "node:fs";
import { dns, HOST } from "../topology.js";
import { parseArgs } from "node:util";
import { Kafka, logLevel } from "kafkajs";
import type { Producer } from "kafkajs";
import { startControlServer } from "./control-server.js";
import { resolveBootstrap } from "./resolve-bootstrap.js";

const { values: opts } = parseArgs({
  options: {
    topic: { type: "string", default: "orders" },
    name: { type: "string", default: "kafka-primary.dr.test" },
    dns: { type: "string", default: `${HOST}:${dns.port}` },
    rate: { type: "string", default: "50" },
    ledger: { type: "string", default: ".sandbox/apps/producer.jsonl" },
    port: { type: "string", default: "0" },
    start: { type: "string", default: "1" },
    /** How often the name is resolved again (the sandbox record's TTL is 30 s; drills want faster). */
    "reresolve-ms": { type: "string", default: "2000" },
  },
});

let seq = Number(opts.start);
let producing = true;
let cluster = "";
let acked = 0;
let failures = 0;
let lastError = "";
let producer: Producer | undefined;
let nextResolveAt = 0;
let moves = 0;
/** The send under way, if any: stop waits for it, so nothing is acknowledged after stop answered. */
let inFlight: Promise<void> | undefined;

async function connect(): Promise<Producer> {
  const boot = await resolveBootstrap(opts.name, opts.dns);
  nextResolveAt = Date.now() + Number(opts["reresolve-ms"]);
  const kafka = new Kafka({
    clientId: "demo-order-producer",
    brokers: boot.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 200 },
    connectionTimeout: 2_000,
  });
  const p = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await p.connect();
  cluster = boot.canonical;
  return p;
}

async function disconnect(): Promise<void> {
  const old = producer;
  producer = undefined;
  await old?.disconnect().catch(() => undefined);
}

/** Resolves the name again; when it now points at another cluster, the next send goes there. */
async function followDns(force = false): Promise<void> {
  if (!producer || (!force && Date.now() < nextResolveAt)) return;
  nextResolveAt = Date.now() + Number(opts["reresolve-ms"]);
  const boot = await resolveBootstrap(opts.name, opts.dns).catch(() => undefined);
  if (boot && boot.canonical !== cluster) {
    moves++;
    await disconnect();
  }
}

async function produceOne(): Promise<void> {
  await followDns();
  producer ??= await connect();
  const id = seq;
  const [meta] = await producer.send({
    topic: opts.topic,
    acks: -1,
    timeout: 5_000,
    messages: [{ key: `order-${id}`, value: JSON.stringify({ id, at: new Date().toISOString() }) }],
  });
  seq++;
  acked++;
  appendFileSync(
    opts.ledger,
    `${JSON.stringify({ id, cluster, partition: meta?.partition, offset: meta?.baseOffset, at: Date.now() })}\n`,
  );
}

async function loop(): Promise<void> {
  const intervalMs = 1000 / Number(opts.rate);
  for (;;) {
    const started = Date.now();
    if (producing) {
      try {
        inFlight = produceOne();
        await inFlight;
      } catch (err) {
        failures++;
        lastError = err instanceof Error ? err.message : String(err);
        // The cluster may be gone or DNS repointed: drop the connection and resolve again.
        await disconnect();
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
    await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - started))));
  }
}

const server = await startControlServer(
  Number(opts.port),
  () => ({ app: "order-producer", producing, cluster, nextId: seq, acked, failures, moves, lastError }),
  {
    stop: async () => {
      producing = false;
      await inFlight?.catch(() => undefined);
    },
    start: async () => {
      producing = true;
    },
    reresolve: async () => {
      await followDns(true);
    },
  },
);
const address = server.address();
process.stdout.write(
  `order-producer control on 127.0.0.1:${typeof address === "object" && address ? address.port : "?"}\n`,
);
process.on("SIGTERM", () => {
  void producer?.disconnect().finally(() => process.exit(0));
});
void loop();
