// /readyz is the service's own dependencies only (Redis, the queue, the audit file): a Kafka cluster
// that does not answer is exactly a DC loss, when the API is needed most, so it never makes the
// service not ready. Target health (Kafka clusters, Connect workers, DNS zones' servers) is reported by /healthz instead, without
// addresses (it is unauthenticated), together with whether any worker is connected.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON the contract check has validated */
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { call } from "./contract.js";
import { eventually, startHarness } from "./harness.js";
import type { Harness } from "./harness.js";
import { port } from "../../sandbox/topology.js";

const harnesses: Harness[] = [];
afterAll(async () => {
  for (const h of harnesses) await h.close();
});

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function harnessWith(
  clusters: Record<string, { bootstrapServers: string[] }>,
  mode: "api" | "all" = "api",
  more: { connect?: Record<string, unknown>; dns?: Record<string, unknown> } = {},
): Promise<Harness> {
  // The service's default checks: the harness passes none, so buildService builds them from config.
  const h = await startHarness({ mode, clusters, defaultChecks: true, ...more });
  harnesses.push(h);
  return h;
}

describe("GET /readyz and /healthz", () => {
  it("when a configured Kafka cluster does not answer, then /readyz is 200 and /healthz names it unreachable, without its address", async () => {
    const gone = await closedPort();
    const h = await harnessWith({
      gone: { bootstrapServers: [`127.0.0.1:${gone}`] },
      dc1: { bootstrapServers: [`127.0.0.1:${port(19092)}`] },
    });
    const ready = await call(h.service.app, "GET", "/readyz");
    expect(ready.status, ready.text).toBe(200);
    expect(ready.body.status).toBe("ready");
    expect(Object.keys(ready.body.checks as object).sort()).toEqual(["audit", "queue", "redis", "state"]);
    const health = await eventually(async () => {
      const res = await call(h.service.app, "GET", "/healthz");
      return res.body.targets?.["kafka:gone"] ? res : undefined;
    }, 15_000);
    expect(health.status).toBe(200);
    expect(health.body.targets["kafka:gone"]).toMatchObject({ ok: false });
    expect(health.body.targets["kafka:dc1"]).toMatchObject({ ok: true });
    // Unauthenticated: no bootstrap servers, hosts or ports.
    for (const res of [ready, health]) {
      expect(res.text).not.toContain(String(gone));
      expect(res.text).not.toContain("127.0.0.1");
    }
    const metrics = await call(h.service.app, "GET", "/metrics");
    expect(metrics.text).toMatch(/switchover_target_up\{target="kafka:gone"\} 0/);
    expect(metrics.text).toMatch(/switchover_target_up\{target="kafka:dc1"\} 1/);
  });

  it("when a Connect worker or a DNS zone's server does not answer, then /readyz is 200 and /healthz names each, without addresses", async () => {
    const goneConnect = await closedPort();
    const goneDns = await closedPort();
    const h = await harnessWith({ dc1: { bootstrapServers: [`127.0.0.1:${port(19092)}`] } }, "api", {
      connect: {
        "dc1-connect": { url: `http://127.0.0.1:${port(18083)}`, cluster: "dc1", timeoutMs: 2_000 },
        "gone-connect": { url: `http://127.0.0.1:${goneConnect}`, cluster: "dc1", timeoutMs: 2_000 },
      },
      dns: {
        sandbox: {
          provider: "rfc2136",
          zone: "dr.test",
          servers: [`127.0.0.1:${port(15353)}`],
          tsig: { name: "switchover-key", secret: { env: "SO_READYZ_UNUSED_TSIG" } },
        },
        gone: {
          provider: "rfc2136",
          zone: "gone.switchover.test",
          servers: [`127.0.0.1:${goneDns}`],
          tsig: { name: "switchover-key", secret: { env: "SO_READYZ_UNUSED_TSIG" } },
          timeoutMs: 1_000,
        },
      },
    });
    const ready = await call(h.service.app, "GET", "/readyz");
    expect(ready.status, ready.text).toBe(200);
    const health = await eventually(async () => {
      const res = await call(h.service.app, "GET", "/healthz");
      return res.body.targets?.["connect:gone-connect"] && res.body.targets?.["dns:gone"] ? res : undefined;
    }, 15_000);
    expect(health.status).toBe(200);
    expect(health.body.targets["connect:gone-connect"]).toMatchObject({ ok: false });
    expect(health.body.targets["connect:dc1-connect"]).toMatchObject({ ok: true });
    expect(health.body.targets["dns:gone"]).toMatchObject({ ok: false });
    expect(health.body.targets["dns:sandbox"]).toMatchObject({ ok: true });
    for (const res of [ready, health]) {
      expect(res.text).not.toContain(String(goneConnect));
      expect(res.text).not.toContain(String(goneDns));
      expect(res.text).not.toContain("127.0.0.1");
    }
    const metrics = await call(h.service.app, "GET", "/metrics");
    expect(metrics.text).toMatch(/switchover_target_up\{target="connect:gone-connect"\} 0/);
    expect(metrics.text).toMatch(/switchover_target_up\{target="dns:sandbox"\} 1/);
  });

  it("when no worker is connected to the queue, then /healthz says so and a queued run's view says it waits for one", async () => {
    const h = await harnessWith({ dc1: { bootstrapServers: [`127.0.0.1:${port(19092)}`] } }, "api");
    const health = await call(h.service.app, "GET", "/healthz");
    expect(health.body.workers).toEqual({ live: 0 });
    expect(health.body.warnings).toContain(
      "no worker is connected to the run queue: runs stay queued until one starts",
    );
    const started = await call(h.service.app, "POST", "/v1/runbooks/touch-dc1/runs", {
      token: h.tokens.operator,
      body: { params: { key: "no-worker" }, dryRun: true },
    });
    expect(started.status).toBe(202);
    const view = await call(h.service.app, "GET", `/v1/runs/${started.body.id as string}`, {
      token: h.tokens.viewer,
    });
    expect(view.body.state).toBe("queued");
    expect(view.body.waiting).toBe("no worker is connected to the run queue: this run starts when one does");
  });

  it("when a worker runs in the process, then /healthz counts it", async () => {
    const h = await harnessWith({}, "all");
    const health = await eventually(async () => {
      const res = await call(h.service.app, "GET", "/healthz");
      return res.body.workers?.live > 0 ? res : undefined;
    });
    expect(health.body.warnings ?? []).toEqual([]);
  });
});
