// Scheduled game days: each finished drill of a schedule is compared with the previous one; a
// different outcome (or slower by > 50 %) POSTs the schedule's webhook, only under http.allow. A
// local HTTP receiver checks the exact request; the run's report carries the comparison.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON the contract check has validated */
import { createServer } from "node:http";
import type { IncomingHttpHeaders, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "./contract.js";
import { eventually, startHarness } from "./harness.js";
import type { Harness } from "./harness.js";

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let h: Harness;
let receiver: Server;
let base: string;
const received: Received[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  h = await startHarness({ http: { allow: [`${base}/hooks/`] } });
});

afterAll(async () => {
  await h?.close();
  await new Promise((r) => receiver.close(r));
});

async function schedule(params: Record<string, unknown>, webhook: string) {
  return call(h.service.app, "POST", "/v1/schedules", {
    token: h.tokens.admin,
    body: { id: "gameday", runbook: "fails", cron: "* * * * * *", params, webhook },
  });
}

async function scheduledRuns(): Promise<{ id: string; state: string; scheduleId: string }[]> {
  const res = await call(h.service.app, "GET", "/v1/runs?trigger=schedule&limit=100", {
    token: h.tokens.viewer,
  });
  return res.body.items as { id: string; state: string; scheduleId: string }[];
}

describe("game-day comparison", () => {
  it("when a webhook is not under http.allow, then 422 naming body.webhook", async () => {
    const res = await schedule({ ok: true }, "http://127.0.0.1:9/elsewhere");
    expect(res.status).toBe(422);
    expect(res.body.errors[0].path).toBe("body.webhook");
  });

  it("when a drill ends differently from the previous one, then the webhook gets a POST describing it and the report shows it", async () => {
    const hook = `${base}/hooks/gameday`;
    expect((await schedule({ ok: true }, hook)).status).toBe(201);
    await eventually(
      async () => ((await scheduledRuns()).some((r) => r.state === "succeeded") ? true : undefined),
      15_000,
      "a succeeded scheduled drill",
    );
    expect(received).toEqual([]);
    // The same schedule now fails its drills: a different outcome.
    expect((await schedule({ ok: false }, hook)).status).toBe(201);
    const post = await eventually(async () => received[0], 15_000, "the webhook request");
    await call(h.service.app, "DELETE", "/v1/schedules/gameday", { token: h.tokens.admin });

    expect(post.method).toBe("POST");
    expect(post.url).toBe("/hooks/gameday");
    expect(post.headers["content-type"]).toBe("application/json");
    const body = JSON.parse(post.body) as Record<string, unknown>;
    const runs = await scheduledRuns();
    const failed = runs.find((r) => r.id === body.runId)!;
    expect(failed.state).toBe("failed");
    const previous = runs.filter((r) => r.state === "succeeded");
    expect(body).toEqual({
      event: "gameday.regressed",
      schedule: "gameday",
      runbook: "fails",
      runId: failed.id,
      state: "failed",
      comparison: {
        scheduleId: "gameday",
        previousRunId: expect.any(String) as string,
        previousState: "succeeded",
        previousRtoMs: expect.any(Number) as number,
        rtoMs: expect.any(Number) as number,
        slowerByPercent: expect.toSatisfy((v) => v === null || typeof v === "number") as number | null,
        outcomeChanged: true,
        regressed: true,
      },
    });
    expect(previous.map((r) => r.id)).toContain((body.comparison as { previousRunId: string }).previousRunId);

    const report = await call(h.service.app, "GET", `/v1/runs/${failed.id}/report`, {
      token: h.tokens.viewer,
    });
    expect(report.body.comparison).toEqual(body.comparison);
    const html = await call(h.service.app, "GET", `/v1/runs/${failed.id}/report`, {
      token: h.tokens.viewer,
      accept: "text/html",
    });
    expect(html.text).toContain("outcome changed — REGRESSION");
  });
});
