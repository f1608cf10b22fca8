// consumers.pause / consumers.resume against a real consumer: a test app with HTTP control endpoints
// consuming from the sandbox's dc1/dc2 (kafkajs), verified on Kafka; and a local Kubernetes scale API.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import type { Admin, Consumer, Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConsumerFleets, createGroupObserver } from "../../src/adapters/consumers/consumer-fleets.js";
import type { ConsumerFleets } from "../../src/adapters/consumers/consumer-fleets.js";
import type { GroupObserver } from "../../src/adapters/consumers/group-observer.js";
import { configSchema } from "../../src/config/schema.js";
import type { Config } from "../../src/config/schema.js";
import { RunEngine } from "../../src/engine/engine.js";
import { SwitchoverError } from "../../src/engine/errors.js";
import { MemoryAuditSink } from "../../src/engine/ports/audit-sink.js";
import { systemClock } from "../../src/engine/ports/clock.js";
import { MemoryLogger } from "../../src/engine/ports/logger.js";
import { MemoryRunStore } from "../../src/engine/ports/memory-run-store.js";
import type { RunRecord } from "../../src/engine/run-record.js";
import { parseRunbookOrThrow } from "../../src/engine/runbook/parse-runbook.js";
import type { StepContext } from "../../src/steps/step-adapters.js";
import { targetsFromConfig } from "../../src/engine/target-catalog.js";
import { consumerSteps } from "../../src/steps/consumers/index.js";
import { consumersPauseStep } from "../../src/steps/consumers/pause.js";
import { consumersResumeStep } from "../../src/steps/consumers/resume.js";
import { createStepRegistry } from "../../src/steps/registry.js";
import { eventually, kafkaFor, sandboxConfig, unique } from "./sandbox.js";
import { port } from "../../sandbox/topology.js";

interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const TOKEN = `Bearer test-${Math.random().toString(36).slice(2)}-secret`;

/**
 * The application under control: consumes `topic` as `group` from whichever cluster it was last
 * told, and exposes POST /pause and POST /resume (body: the target cluster's bootstrap servers).
 */
class TestConsumerApp {
  readonly requests: Recorded[] = [];
  readonly server: Server;
  url = "";
  consumed = 0;
  /** Answer this status instead of acting, for this many more requests. */
  failWith: { status: number; times: number } | undefined;
  #consumer: Consumer | undefined;

  constructor(
    readonly topic: string,
    readonly group: string,
  ) {
    this.server = createServer((req, res) => {
      void (async () => {
        const body = await readBody(req);
        this.requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
        if (req.headers.authorization !== TOKEN) return res.writeHead(401).end("bad token");
        if (this.failWith && this.failWith.times > 0) {
          this.failWith.times--;
          return res
            .writeHead(this.failWith.status, { "content-type": "text/plain" })
            .end("consumer app overloaded");
        }
        if (req.method === "POST" && req.url === "/pause") {
          await this.stop();
          return res.writeHead(204).end();
        }
        if (req.method === "POST" && req.url === "/resume") {
          const { bootstrapServers } = JSON.parse(body) as { bootstrapServers: string[] };
          await this.start(bootstrapServers);
          return res.writeHead(202, { "content-type": "application/json" }).end('{"resumed":true}');
        }
        res.writeHead(404).end();
      })().catch((err: unknown) => res.writeHead(500).end(String(err)));
    });
  }

  async listen(): Promise<void> {
    this.url = await listen(this.server);
  }

  async start(brokers: string[]): Promise<void> {
    await this.stop();
    const kafka = new Kafka({ clientId: "test-consumer-app", brokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({
      groupId: this.group,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      autoCommitInterval: 300,
      eachMessage: async () => {
        this.consumed++;
      },
    });
    this.#consumer = consumer;
  }

  /** Disconnecting sends LeaveGroup: the group is empty at once, not after the session timeout. */
  async stop(): Promise<void> {
    const c = this.#consumer;
    this.#consumer = undefined;
    await c?.disconnect();
  }

  async close(): Promise<void> {
    await this.stop();
    await new Promise((r) => this.server.close(r));
  }
}

function webhookConfig(app: TestConsumerApp, extra: Record<string, unknown> = {}): Config {
  const sandbox = sandboxConfig();
  return configSchema.parse({
    apiVersion: "switchover/v1",
    kind: "Environment",
    clusters: { dc1: sandbox.clusters.dc1, dc2: sandbox.clusters.dc2 },
    consumers: {
      orders: {
        kind: "webhook",
        cluster: "dc1",
        groups: [app.group],
        pause: { url: `${app.url}/pause` },
        resume: { url: `${app.url}/resume` },
        headers: { Authorization: { env: "SO_TEST_CONSUMER_TOKEN" } },
        retries: 2,
        timeoutMs: 10_000,
        ...extra,
      },
    },
  });
}

interface Setup {
  engine: RunEngine;
  logger: MemoryLogger;
  fleets: ConsumerFleets;
  run(yaml: string, dryRun?: boolean): Promise<RunRecord>;
  revert(runId: string): Promise<RunRecord>;
}

let observer: GroupObserver;

function setup(config: Config): Setup {
  const fleets = createConsumerFleets(config.consumers, {
    webhook: { env: { SO_TEST_CONSUMER_TOKEN: TOKEN }, retry: { baseDelayMs: 20 } },
    kubernetes: { retry: { baseDelayMs: 20 } },
  });
  const targets = targetsFromConfig(config);
  const registry = createStepRegistry(consumerSteps);
  const logger = new MemoryLogger();
  let n = 0;
  const engine = new RunEngine({
    store: new MemoryRunStore(),
    clock: systemClock,
    audit: new MemoryAuditSink(),
    logger,
    catalog: registry,
    targets,
    adapters: { consumers: fleets, consumerGroups: observer },
    newId: () => `consumers-run-${++n}`,
  });
  return {
    engine,
    logger,
    fleets,
    run: async (yaml, dryRun = false) => {
      const runbook = parseRunbookOrThrow(
        `apiVersion: switchover/v1\nkind: Runbook\nmetadata: { name: consumers }\nsteps:\n${yaml}`,
        {
          catalog: registry,
          targets,
        },
      );
      return engine.execute((await engine.createRun({ runbook, dryRun })).id);
    },
    revert: async (runId) => engine.execute((await engine.createRevert(runId, { dryRun: false })).id),
  };
}

function failed(run: RunRecord): string {
  return JSON.stringify(run.steps.map((s) => ({ id: s.id, state: s.state, error: s.error })));
}

beforeAll(() => {
  observer = createGroupObserver(sandboxConfig().clusters);
});

afterAll(async () => {
  await observer.close();
});

describe("webhook fleet with a real consumer on dc1/dc2", () => {
  const topic = unique("sw-consumers-");
  const group = unique("sw-consumers-group-");
  const app = new TestConsumerApp(topic, group);
  let admins: Record<"dc1" | "dc2", Admin>;
  let producer: Producer;
  let producing: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    admins = { dc1: kafkaFor("dc1").admin(), dc2: kafkaFor("dc2").admin() };
    for (const a of Object.values(admins)) {
      await a.connect();
      await a.createTopics({
        topics: [{ topic, numPartitions: 2, replicationFactor: 1 }],
        waitForLeaders: true,
      });
    }
    producer = kafkaFor("dc2").producer();
    await producer.connect();
    // Traffic on dc2, so offsets can advance after the failover.
    producing = setInterval(() => {
      void producer.send({ topic, messages: [{ value: `m-${Date.now()}` }] }).catch(() => undefined);
    }, 200);
    await app.listen();
    await app.start(sandboxConfig().clusters.dc1!.bootstrapServers);
    await eventually(
      "the test consumer joins its group on dc1",
      async () => ((await observer.members("dc1", group)).members.length > 0 ? true : undefined),
      60_000,
    );
  });

  afterAll(async () => {
    clearInterval(producing);
    await producer?.disconnect();
    await app.close();
    for (const a of Object.values(admins ?? {})) {
      await a.deleteGroups([group]).catch(() => undefined);
      await a.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await a.disconnect();
    }
  });

  it("when paused on dc1 and resumed on dc2, then dc1's group is empty and dc2's has members with moving offsets; the revert goes back", async () => {
    const s = setup(webhookConfig(app));
    const steps = `  - id: pause
    uses: consumers.pause
    with: { fleet: orders, emptyWithin: 30s }
  - id: resume
    uses: consumers.resume
    with: { fleet: orders, cluster: dc2, offsetsAdvance: true, membersWithin: 60s, offsetsWithin: 60s }
`;
    const dry = await s.run(steps, true);
    expect(dry.state).toBe("succeeded");
    expect(dry.steps.map((x) => x.plan?.changes)).toEqual([
      [{ resource: `POST ${app.url}/pause`, field: "consumers", from: "consuming on dc1", to: "paused" }],
      [
        {
          resource: `POST ${app.url}/resume`,
          field: "consumers",
          from: "no members on dc2",
          to: "consuming on dc2",
        },
      ],
    ]);
    expect(app.requests).toEqual([]); // a dry-run calls nothing

    const real = await s.run(steps);
    expect(real.state, failed(real)).toBe("succeeded");
    expect(app.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /pause", "POST /resume"]);
    expect(app.requests[0]!.headers.authorization).toBe(TOKEN);
    expect(app.requests[0]!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(app.requests[0]!.body)).toEqual({
      action: "pause",
      fleet: "orders",
      cluster: "dc1",
      bootstrapServers: [`127.0.0.1:${port(19092)}`],
      groups: [group],
    });
    expect(JSON.parse(app.requests[1]!.body)).toMatchObject({
      action: "resume",
      cluster: "dc2",
      bootstrapServers: [`127.0.0.1:${port(29092)}`],
    });
    expect(real.steps[0]!.outputs).toMatchObject({ verifiedOnKafka: true, emptyOn: "dc1" });
    expect(real.steps[1]!.outputs).toMatchObject({
      verifiedOnKafka: true,
      cluster: "dc2",
      members: { [group]: 1 },
    });
    expect((real.steps[1]!.outputs!.offsetsAdvanced as Record<string, number>)[group]).toBeGreaterThan(0);
    expect((await observer.members("dc1", group)).members).toEqual([]);
    expect((await observer.members("dc2", group)).members).toHaveLength(1);
    // The secret header value is never logged.
    expect(JSON.stringify(s.logger.entries)).not.toContain(TOKEN);

    // Failback from the record: pause on dc2 (where it was resumed), then resume on dc1.
    const reverted = await s.revert(real.id);
    expect(reverted.state, failed(reverted)).toBe("succeeded");
    expect(reverted.runbook.steps.map((x) => [x.uses, x.with])).toEqual([
      ["consumers.pause", { fleet: "orders", cluster: "dc2" }],
      ["consumers.resume", { fleet: "orders", cluster: "dc1" }],
    ]);
    expect((await observer.members("dc2", group)).members).toEqual([]);
    expect((await observer.members("dc1", group)).members).toHaveLength(1);
  });

  it("when the pause endpoint keeps answering 503, then the step fails with the final status after its retries", async () => {
    const s = setup(webhookConfig(app));
    app.requests.length = 0;
    app.failWith = { status: 503, times: 100 };
    try {
      const run = await s.run(`  - id: pause\n    uses: consumers.pause\n    with: { fleet: orders }\n`);
      expect(run.state).toBe("failed");
      const error = run.steps[0]!.error!;
      expect([error.code, error.message]).toEqual([
        "UPSTREAM_UNAVAILABLE",
        `fleet orders: POST ${app.url}/pause answered 503 Service Unavailable on attempt 3 of 3 (expected 200, 202, 204): "consumer app overloaded"`,
      ]);
      expect(app.requests).toHaveLength(3);
      expect(JSON.stringify(run)).not.toContain(TOKEN);
      expect(JSON.stringify(s.logger.entries)).not.toContain(TOKEN);
      // Nothing was paused: the consumer is still in its group.
      expect((await observer.members("dc1", group)).members).toHaveLength(1);
    } finally {
      app.failWith = undefined;
    }
  });

  it("when the endpoint answers 503 twice and then succeeds, then the retries carry the pause through", async () => {
    const s = setup(webhookConfig(app));
    app.requests.length = 0;
    app.failWith = { status: 503, times: 2 };
    const ctx = context(s);
    const input = consumersPauseStep.input(targetsFromConfig(webhookConfig(app))).parse({ fleet: "orders" });
    const plan = await consumersPauseStep.plan(ctx, input);
    await consumersPauseStep.apply(ctx, plan, input);
    expect(app.requests.map((r) => r.path)).toEqual(["/pause", "/pause", "/pause"]);
    await consumersPauseStep.verify(ctx, input, plan);
    expect((await observer.members("dc1", group)).members).toEqual([]);
    // Put it back for the next test.
    const resume = consumersResumeStep
      .input(targetsFromConfig(webhookConfig(app)))
      .parse({ fleet: "orders" });
    const rp = await consumersResumeStep.plan(ctx, resume);
    await consumersResumeStep.apply(ctx, rp, resume);
    await consumersResumeStep.verify(ctx, resume, rp);
  });

  it("when the token is rejected (401), then FORBIDDEN on the first attempt, no retries", async () => {
    const config = webhookConfig(app);
    const fleets = createConsumerFleets(config.consumers, {
      webhook: { env: { SO_TEST_CONSUMER_TOKEN: "Bearer wrong" } },
    });
    app.requests.length = 0;
    const err = await fleets
      .fleet("orders")
      .controller.pause({ cluster: "dc1", bootstrapServers: [], groups: [] }, new AbortController().signal)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchoverError);
    expect([(err as SwitchoverError).code, (err as SwitchoverError).message]).toEqual([
      "FORBIDDEN",
      `fleet orders: POST ${app.url}/pause answered 401 Unauthorized on attempt 1 of 3 (expected 200, 202, 204): "bad token"`,
    ]);
    expect(app.requests).toHaveLength(1);
  });

  it("when the endpoint is unreachable, then a retryable UPSTREAM_UNAVAILABLE naming it after every attempt", async () => {
    const dead = new TestConsumerApp(topic, group);
    await dead.listen();
    await new Promise((r) => dead.server.close(r)); // a port nobody listens on any more
    const fleets = createConsumerFleets(webhookConfig(dead).consumers, {
      webhook: { env: { SO_TEST_CONSUMER_TOKEN: TOKEN }, retry: { baseDelayMs: 10 } },
    });
    const err = (await fleets
      .fleet("orders")
      .controller.resume(
        { cluster: "dc2", bootstrapServers: [], groups: [] },
        undefined,
        new AbortController().signal,
      )
      .catch((e: unknown) => e)) as SwitchoverError;
    expect([err.code, err.retryable]).toEqual(["UPSTREAM_UNAVAILABLE", true]);
    expect(err.message).toBe(
      `fleet orders: POST ${dead.url}/resume failed: fetch failed (ECONNREFUSED) (attempt 3 of 3)`,
    );
  });
});

function context(s: Setup): StepContext {
  return {
    runId: "test-run",
    stepId: "step",
    attempt: 1,
    dryRun: false,
    logger: s.logger,
    signal: new AbortController().signal,
    clock: systemClock,
    targets: targetsFromConfig(sandboxConfig()),
    scope: { params: {}, steps: {}, run: { id: "test-run", dryRun: false, runbook: "test" } },
    adapters: { consumers: s.fleets, consumerGroups: observer } as StepContext["adapters"],
  };
}

/** A local API server implementing the scale subresource of Deployments and StatefulSets. */
class FakeScaleApi {
  readonly requests: Recorded[] = [];
  readonly replicas = new Map<string, number>();
  readonly server: Server;
  url = "";

  constructor(readonly token: string) {
    this.server = createServer((req, res) => {
      void (async () => {
        const body = await readBody(req);
        this.requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
        const json = (status: number, value: unknown) =>
          res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
        if (req.headers.authorization !== `Bearer ${this.token}`) {
          return json(401, { kind: "Status", status: "Failure", message: "Unauthorized", code: 401 });
        }
        const m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/(deployments|statefulsets)\/([^/]+)\/scale$/.exec(
          req.url ?? "",
        );
        const key = m ? `${m[1]}/${m[2]}/${m[3]}` : "";
        const current = this.replicas.get(key);
        if (!m || current === undefined) {
          return json(404, {
            kind: "Status",
            status: "Failure",
            message: `${m?.[2] ?? "resource"} "${m?.[3] ?? "?"}" not found`,
            code: 404,
          });
        }
        const scale = (n: number) => ({
          kind: "Scale",
          apiVersion: "autoscaling/v1",
          metadata: { name: m[3], namespace: m[1] },
          spec: n === 0 ? {} : { replicas: n },
          status: { replicas: n },
        });
        if (req.method === "GET") return json(200, scale(current));
        if (req.method === "PATCH") {
          if (req.headers["content-type"] !== "application/merge-patch+json")
            return json(415, { message: "unsupported media type" });
          const patch = JSON.parse(body) as { spec: { replicas: number } };
          this.replicas.set(key, patch.spec.replicas);
          return json(200, scale(patch.spec.replicas));
        }
        json(405, { message: "method not allowed" });
      })();
    });
  }
}

describe("kubernetes fleet against a local scale-subresource server", () => {
  const token = `sa-token-${Math.random().toString(36).slice(2)}`;
  const api = new FakeScaleApi(token);
  let dir: string;
  let config: Config;

  beforeAll(async () => {
    api.url = await listen(api.server);
    dir = mkdtempSync(join(tmpdir(), "switchover-k8s-"));
    writeFileSync(join(dir, "token"), `${token}\n`, { mode: 0o600 });
    const fleet = (kind: "Deployment" | "StatefulSet", name: string) => ({
      kind: "kubernetes",
      apiServer: api.url,
      namespace: "shop",
      workload: { kind, name },
      token: { file: join(dir, "token") },
    });
    config = configSchema.parse({
      apiVersion: "switchover/v1",
      kind: "Environment",
      clusters: { dc1: sandboxConfig().clusters.dc1 },
      consumers: {
        orders: fleet("Deployment", "orders-consumer"),
        ledger: fleet("StatefulSet", "ledger"),
        ghost: fleet("Deployment", "does-not-exist"),
      },
    });
  });

  afterAll(async () => {
    await new Promise((r) => api.server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it("when a Deployment is paused, then GET and merge-PATCH the scale with the bearer token; the revert scales back to the recorded count", async () => {
    api.replicas.set("shop/deployments/orders-consumer", 3);
    api.requests.length = 0;
    const s = setup(config);
    const real = await s.run(`  - id: pause\n    uses: consumers.pause\n    with: { fleet: orders }\n`);
    expect(real.state, failed(real)).toBe("succeeded");
    expect(real.steps[0]!.plan!.changes).toEqual([
      { resource: "Deployment shop/orders-consumer", field: "replicas", from: 3, to: 0 },
    ]);
    expect(real.steps[0]!.plan!.outputs.previousReplicas).toBe(3);
    expect(real.steps[0]!.before).toEqual({ replicas: 3 });
    const path = "/apis/apps/v1/namespaces/shop/deployments/orders-consumer/scale";
    expect(api.requests.map((r) => [r.method, r.path, r.body])).toEqual([
      ["GET", path, ""], // plan
      ["GET", path, ""], // apply reads before it writes
      ["PATCH", path, '{"spec":{"replicas":0}}'],
    ]);
    const patch = api.requests[2]!.headers;
    expect([patch.authorization, patch["content-type"], patch.accept]).toEqual([
      `Bearer ${token}`,
      "application/merge-patch+json",
      "application/json",
    ]);
    expect(api.replicas.get("shop/deployments/orders-consumer")).toBe(0);

    api.requests.length = 0;
    const reverted = await s.revert(real.id);
    expect(reverted.state, failed(reverted)).toBe("succeeded");
    expect(reverted.runbook.steps[0]).toMatchObject({
      uses: "consumers.resume",
      with: { fleet: "orders", replicas: 3 },
    });
    expect(api.requests.filter((r) => r.method === "PATCH").map((r) => r.body)).toEqual([
      '{"spec":{"replicas":3}}',
    ]);
    expect(api.replicas.get("shop/deployments/orders-consumer")).toBe(3);
    expect(JSON.stringify(s.logger.entries)).not.toContain(token);
  });

  it("when a runbook resumes with the pause step's previousReplicas, then the workload gets its count back", async () => {
    api.replicas.set("shop/deployments/orders-consumer", 5);
    api.requests.length = 0;
    const s = setup(config);
    const run = await s.run(`  - id: pause
    uses: consumers.pause
    with: { fleet: orders }
  - id: resume
    uses: consumers.resume
    with: { fleet: orders, replicas: "\${{ steps.pause.outputs.previousReplicas }}" }
`);
    expect(run.state, failed(run)).toBe("succeeded");
    expect(api.requests.filter((r) => r.method === "PATCH").map((r) => r.body)).toEqual([
      '{"spec":{"replicas":0}}',
      '{"spec":{"replicas":5}}',
    ]);
    expect(api.replicas.get("shop/deployments/orders-consumer")).toBe(5);
  });

  it("when pause is applied again after it took, then no second PATCH is sent", async () => {
    api.replicas.set("shop/deployments/orders-consumer", 2);
    const s = setup(config);
    const ctx = context(s);
    ctx.targets = targetsFromConfig(config);
    const input = consumersPauseStep.input(ctx.targets).parse({ fleet: "orders" });
    const plan = await consumersPauseStep.plan(ctx, input);
    await consumersPauseStep.apply(ctx, plan, input);
    api.requests.length = 0;
    await consumersPauseStep.apply(ctx, plan, input);
    expect(api.requests.map((r) => r.method)).toEqual(["GET"]);
    expect((await consumersPauseStep.plan(ctx, input)).changes).toEqual([]);
  });

  it("when a StatefulSet is resumed from 0, then it is scaled to the given replicas and the revert scales it to 0 again", async () => {
    api.replicas.set("shop/statefulsets/ledger", 0);
    api.requests.length = 0;
    const s = setup(config);
    const real = await s.run(
      `  - id: up\n    uses: consumers.resume\n    with: { fleet: ledger, replicas: 2 }\n`,
    );
    expect(real.state, failed(real)).toBe("succeeded");
    expect(real.steps[0]!.plan!.changes).toEqual([
      { resource: "StatefulSet shop/ledger", field: "replicas", from: 0, to: 2 },
    ]);
    expect(api.requests.find((r) => r.method === "PATCH")).toMatchObject({
      path: "/apis/apps/v1/namespaces/shop/statefulsets/ledger/scale",
      body: '{"spec":{"replicas":2}}',
    });
    const reverted = await s.revert(real.id);
    expect(reverted.state, failed(reverted)).toBe("succeeded");
    expect(reverted.runbook.steps[0]).toMatchObject({ uses: "consumers.pause", with: { fleet: "ledger" } });
    expect(api.replicas.get("shop/statefulsets/ledger")).toBe(0);
  });

  it("when resume has no replica count, the workload is missing, or the token is wrong, then precise errors and no PATCH", async () => {
    const s = setup(config);
    api.requests.length = 0;
    const noCount = await s.run(`  - id: up\n    uses: consumers.resume\n    with: { fleet: orders }\n`);
    expect(noCount.steps[0]!.error).toMatchObject({
      code: "VALIDATION",
      message:
        "consumers.resume: fleet orders is a Kubernetes Deployment shop/orders-consumer; give replicas (e.g. ${{ steps.<pause step>.outputs.previousReplicas }})",
    });
    const ghost = await s.run(`  - id: down\n    uses: consumers.pause\n    with: { fleet: ghost }\n`);
    expect(ghost.steps[0]!.error).toMatchObject({
      code: "NOT_FOUND",
      message:
        'fleet ghost: Deployment shop/does-not-exist not found (404): deployments "does-not-exist" not found',
    });
    writeFileSync(join(dir, "token"), "not-the-token\n");
    try {
      const denied = await s.run(`  - id: down\n    uses: consumers.pause\n    with: { fleet: orders }\n`);
      expect(denied.steps[0]!.error).toMatchObject({ code: "FORBIDDEN" });
      expect(denied.steps[0]!.error!.message).toMatch(
        /^fleet orders: the Kubernetes API rejected the service-account token \(401\)/,
      );
      expect(denied.steps[0]!.error!.message).not.toContain("not-the-token");
    } finally {
      writeFileSync(join(dir, "token"), `${token}\n`);
    }
    expect(api.requests.filter((r) => r.method === "PATCH")).toEqual([]);
  });

  it("when the fleet is unknown, then input validation lists the configured fleets", () => {
    const parsed = consumersPauseStep.input(targetsFromConfig(config)).safeParse({ fleet: "nope" });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.message).toBe(
      'unknown consumer fleet "nope" (configured: orders, ledger, ghost)',
    );
  });
});
