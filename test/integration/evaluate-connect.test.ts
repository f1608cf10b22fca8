// Runbook pre-flight against the sandbox: an MM2 failover runbook evaluates ready (Kafka, Connect and
// a TSIG-signed prerequisite-only DNS UPDATE that changes nothing), turns blocked when the Connect
// worker is stopped — notifying the webhook once, with the blocked step — and ready again when it
// is back. The gauges follow.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConsumerFleets, createGroupObserver } from "../../src/adapters/consumers/consumer-fleets.js";
import { createDnsZones } from "../../src/adapters/dns/providers/dns-zones.js";
import { createKafkaAdapter } from "../../src/adapters/kafka/kafka-adapter.js";
import type { KafkaAdapter } from "../../src/adapters/kafka/kafka-adapter.js";
import { RunbookCatalog } from "../../src/runs/runbook-catalog.js";
import { systemClock } from "../../src/engine/ports/clock.js";
import { MemoryLogger } from "../../src/engine/ports/logger.js";
import type { Runbook } from "../../src/engine/runbook/model.js";
import { targetsFromConfig } from "../../src/engine/target-catalog.js";
import { EvaluationService } from "../../src/evaluation/evaluation-service.js";
import { createFetchHttpClient } from "../../src/steps/builtin/http-client.js";
import { consumerSteps } from "../../src/steps/consumers/index.js";
import { dnsSteps } from "../../src/steps/dns/index.js";
import { createStepRegistry } from "../../src/steps/registry.js";
import { dns } from "../../sandbox/topology.js";
import { eventually, sandboxCli, sandboxConfig } from "./sandbox.js";

const RUNBOOK = `
apiVersion: switchover/v1
kind: Runbook
metadata: { name: eval-mm2 }
params:
  flow: { type: string, default: dc1-to-dc2 }
steps:
  - id: health
    uses: kafka.checkReplication
    with: { flow: "\${{ params.flow }}" }
  - id: stop-mirroring
    uses: mirror.pause
    with: { flow: "\${{ params.flow }}" }
  - id: offsets
    uses: kafka.verifyTranslatedOffsets
    with: { flow: "\${{ params.flow }}" }
  - id: repoint
    uses: dns.repoint
    with: { zone: sandbox, name: ${dns.record}, type: CNAME, value: dc2-kafka.${dns.zone} }
`;

let dir: string;
let kafka: KafkaAdapter;
let service: EvaluationService;
let catalog: RunbookCatalog;
let server: Server;
let registry: Registry;
const received: Record<string, unknown>[] = [];
const dnsZones = createDnsZones(sandboxConfig().dns);
const consumerGroups = createGroupObserver(sandboxConfig().clusters);

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      received.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/evaluation`;

  const config = sandboxConfig();
  dir = mkdtempSync(join(tmpdir(), "so-eval-"));
  writeFileSync(join(dir, "eval-mm2.yaml"), RUNBOOK);
  const steps = createStepRegistry([...dnsSteps, ...consumerSteps]);
  const targets = targetsFromConfig(config);
  kafka = createKafkaAdapter(config);
  catalog = new RunbookCatalog(dir, steps, targets);
  registry = new Registry();
  service = new EvaluationService({
    steps,
    targets,
    adapters: {
      kafka,
      dns: dnsZones,
      consumers: createConsumerFleets(config.consumers),
      consumerGroups,
      http: createFetchHttpClient(),
    },
    logger: MemoryLogger.silent(),
    clock: systemClock,
    stepTimeoutMs: 20_000,
    runbooks: catalog,
    http: createFetchHttpClient(),
    allow: [`http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/`],
    registry,
    settings: { intervalSeconds: 0, initialDelaySeconds: 0, webhook: { url: hookUrl, headers: {} } },
  });
});

afterAll(async () => {
  await sandboxCli("start", "dc2-connect");
  await service?.stop();
  await kafka?.close();
  await consumerGroups.close();
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function runbook(): Promise<Runbook> {
  const entry = await catalog.get("eval-mm2");
  if (!entry?.runbook) throw new Error(`eval-mm2 invalid: ${JSON.stringify(entry?.problems)}`);
  return entry.runbook;
}

describe("evaluating an MM2 failover runbook", () => {
  it("is ready while everything answers, and changes nothing (DNS record and connector states)", async () => {
    const zone = dnsZones.zone("sandbox");
    const before = await zone.read(dns.record, "CNAME", AbortSignal.timeout(5_000));
    const [result] = await service.evaluateAll();
    expect(result?.runbook).toBe("eval-mm2");
    expect(result?.outcome, JSON.stringify(result?.steps, null, 1)).toBe("ready");
    const repoint = result!.steps.find((s) => s.id === "repoint")!;
    expect(repoint.checks[0]).toMatchObject({ check: "dns zone sandbox updatable", outcome: "ready" });
    expect(repoint.checks[0]!.reason).toMatch(/accepted a signed prerequisite-only UPDATE/);
    const pause = result!.steps.find((s) => s.id === "stop-mirroring")!;
    expect(pause.checks.map((c) => c.outcome)).toEqual(["ready", "ready", "ready"]);
    expect(await zone.read(dns.record, "CNAME", AbortSignal.timeout(5_000))).toEqual(before);
    const status = await kafka.connect("dc2-connect").status("mm2-identity-source");
    expect(status?.state).toBe("RUNNING");
    expect(received).toEqual([]);
    expect(await registry.metrics()).toContain(
      'switchover_runbook_evaluation{runbook="eval-mm2",outcome="ready"} 1',
    );
  });

  it("turns blocked when Connect is stopped, notifies the webhook once, and is ready again when it returns", async () => {
    await sandboxCli("stop", "dc2-connect");
    const blocked = await service.evaluate(await runbook(), undefined);
    expect(blocked.outcome).toBe("blocked");
    const pause = blocked.steps.find((s) => s.id === "stop-mirroring")!;
    expect(pause.outcome).toBe("blocked");
    expect(pause.reason).toMatch(/Connect worker dc2-connect unreachable/);
    // Kafka and DNS still answer: only the Connect step is blocked.
    expect(blocked.steps.filter((s) => s.outcome === "blocked").map((s) => s.id)).toEqual(["stop-mirroring"]);
    expect(blocked.reason).toMatch(/^stop-mirroring: /);

    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      event: "runbook.blocked",
      runbook: "eval-mm2",
      previousOutcome: "ready",
      outcome: "blocked",
      blockedSteps: [{ id: "stop-mirroring", uses: "mirror.pause" }],
    });
    // Still blocked: no second notification.
    await service.evaluate(await runbook(), undefined);
    expect(received).toHaveLength(1);
    const metrics = await registry.metrics();
    expect(metrics).toContain('switchover_runbook_evaluation{runbook="eval-mm2",outcome="blocked"} 1');
    expect(metrics).toContain(
      'switchover_runbook_step_evaluation{runbook="eval-mm2",step="stop-mirroring",outcome="blocked"} 1',
    );

    await sandboxCli("start", "dc2-connect");
    const ready = await eventually(
      "the runbook to evaluate ready again",
      async () => {
        const r = await service.evaluate(await runbook(), undefined);
        return r.outcome === "ready" ? r : undefined;
      },
      120_000,
      2_000,
    );
    expect(ready.steps.every((s) => s.outcome === "ready")).toBe(true);
    expect(await registry.metrics()).toContain(
      'switchover_runbook_evaluation{runbook="eval-mm2",outcome="blocked"} 0',
    );
    expect(service.latest().map((e) => e.outcome)).toEqual(["ready"]);
  });
});
