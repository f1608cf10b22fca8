// The generic steps through the engine, against a real HTTP server on port 0 and the real fetch
// client: reads at plan time, writes at apply time, allow-list at run time, polling waits, asserts.
import { createServer } from "node:http";
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { harness, targets } from "../../../test/unit/engine/fixtures.js";
import { createFetchHttpClient } from "./http-client.js";

interface Received {
  method: string;
  url: string;
  body: unknown;
}
const received: Received[] = [];
let lag = 100;
let server: Server;
let base: string;

async function bodyOf(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as unknown) : undefined;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void bodyOf(req).then((body) => {
      received.push({ method: req.method ?? "", url: req.url ?? "", body });
      if (req.url === "/hooks/lag") {
        lag = Math.max(0, lag - 40);
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ lag }));
      } else if (req.url === "/hooks/broken") res.writeHead(503).end("try later");
      else if (req.url === "/hooks/denied") res.writeHead(403).end("no");
      else
        res
          .writeHead(req.method === "POST" ? 202 : 200, { "content-type": "application/json" })
          .end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

const setup = () =>
  harness({
    http: createFetchHttpClient({ timeoutMs: 2_000 }),
    targets: { ...targets, httpAllow: [`${base}/hooks/`] },
  });
const doc = (steps: string, params = ""): string =>
  `apiVersion: switchover/v1\nkind: Runbook\nmetadata: { name: generic }\n${params}steps:\n${steps}`;

describe("http.request and notify", () => {
  it("reads at plan time (dry-runs see the answer) and sends nothing else in a dry-run", async () => {
    received.length = 0;
    const h = setup();
    const yaml = doc(`  - id: health
    uses: http.request
    with: { url: "${base}/hooks/health" }
  - id: tell
    uses: notify
    with: { url: "${base}/hooks/chat", message: "health says \${{ steps.health.outputs.body.ok }}" }
  - id: post
    uses: http.request
    with: { method: POST, url: "${base}/hooks/drain", body: { run: "\${{ run.id }}" }, expectStatus: 202 }
`);
    const dry = await h.engine.execute((await h.engine.createRun({ runbook: h.runbook(yaml) })).id);
    expect(dry.state).toBe("succeeded");
    expect(dry.steps[0]!.outputs).toEqual({ status: 200, body: { ok: true } });
    expect(dry.steps[2]!.plan?.changes).toEqual([
      { resource: `${base}/hooks/drain`, field: "POST", from: null, to: "request" },
    ]);
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual(["GET /hooks/health"]);

    received.length = 0;
    const real = await h.engine.execute(
      (await h.engine.createRun({ runbook: h.runbook(yaml), dryRun: false, fromPlan: dry.id })).id,
    );
    expect(real.state).toBe("succeeded");
    expect(received).toEqual([
      { method: "GET", url: "/hooks/health", body: undefined },
      {
        method: "POST",
        url: "/hooks/chat",
        body: {
          runId: real.id,
          stepId: "tell",
          runbook: "generic",
          severity: "info",
          message: "health says true",
          fields: {},
        },
      },
      { method: "POST", url: "/hooks/drain", body: { run: real.id } },
    ]);
  });

  it("maps statuses to the error model: 5xx is retryable, 4xx is not", async () => {
    const h = setup();
    const yaml = (path: string): string =>
      doc(
        `  - id: call\n    uses: http.request\n    retry: { attempts: 2, backoff: { type: fixed, delay: 10ms } }\n    with: { url: "${base}/hooks/${path}" }\n`,
      );
    const broken = await h.engine.execute(
      (await h.engine.createRun({ runbook: h.runbook(yaml("broken")) })).id,
    );
    expect(broken.steps[0]!.attempt).toBe(2);
    expect(broken.error).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", retryable: true });
    const denied = await h.engine.execute(
      (await h.engine.createRun({ runbook: h.runbook(yaml("denied")) })).id,
    );
    expect(denied.steps[0]!.attempt).toBe(1);
    expect(denied.error).toMatchObject({
      code: "UPSTREAM",
      message: `GET ${base}/hooks/denied answered 403, expected 200 or 201 or 202 or 204`,
    });
  });

  it("checks the allow-list again when the URL comes from a param", async () => {
    const h = setup();
    const yaml = doc(
      `  - id: call\n    uses: http.request\n    with: { url: "\${{ params.url }}" }\n`,
      "params:\n  url: { type: string }\n",
    );
    const r = await h.engine.execute(
      (
        await h.engine.createRun({
          runbook: h.runbook(yaml),
          params: { url: "http://169.254.169.254/latest/meta-data" },
        })
      ).id,
    );
    expect(r.state).toBe("failed");
    expect(r.error?.message).toBe(
      'step call input is invalid: with.url: URL "http://169.254.169.254/latest/meta-data" is not under any http.allow prefix in the environment config',
    );
  });
});

describe("wait", () => {
  it("polls until a condition over the read holds", async () => {
    lag = 100;
    const h = setup();
    const yaml = doc(`  - id: drain
    uses: wait
    with: { until: "read.body.lag == 0", poll: { url: "${base}/hooks/lag" }, interval: 10ms, within: 5s }
`);
    const r = await h.engine.execute(
      (await h.engine.createRun({ runbook: h.runbook(yaml), dryRun: false })).id,
    );
    expect(r.state).toBe("succeeded");
    expect(lag).toBe(0);
  });

  it("gives up when the condition does not hold in time", async () => {
    lag = 100_000;
    const h = setup();
    const yaml = doc(`  - id: drain
    uses: wait
    with: { until: "read.body.lag < 10", poll: { url: "${base}/hooks/lag" }, interval: 10ms, within: 50ms }
`);
    const r = await h.engine.execute(
      (await h.engine.createRun({ runbook: h.runbook(yaml), dryRun: false })).id,
    );
    expect(r.error).toMatchObject({
      code: "STEP_TIMEOUT",
      message: 'condition "read.body.lag < 10" did not hold within 50ms',
    });
  });
});

describe("assert", () => {
  it("stops a dry-run already, with the runbook's message", async () => {
    const h = setup();
    const yaml = doc(
      `  - id: rpo\n    uses: assert\n    with: { that: "\${{ params.lagMessages <= 1000 }}", message: "too much unreplicated data to fail over" }\n  - id: after\n    uses: wait\n    with: { duration: 1s }\n`,
      "params:\n  lagMessages: { type: number }\n",
    );
    const ok = await h.engine.execute(
      (await h.engine.createRun({ runbook: h.runbook(yaml), params: { lagMessages: 5 } })).id,
    );
    expect(ok.state).toBe("succeeded");
    const bad = await h.engine.execute(
      (await h.engine.createRun({ runbook: h.runbook(yaml), params: { lagMessages: 5000 } })).id,
    );
    expect(bad.state).toBe("failed");
    expect(bad.error).toMatchObject({
      code: "ASSERTION_FAILED",
      message: "too much unreplicated data to fail over",
    });
    expect(bad.steps[1]!.state).toBe("pending");
  });
});
