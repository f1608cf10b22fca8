// curl that reads like a terminal: the events stream as one human line per event with
// `Accept: text/plain` (ending when the run ends), a long-poll `?wait=` on a run, and real runs'
// reports and live lines showing each change as `resource field: from → to` and skip reasons.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON the contract check has validated */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "./contract.js";
import { eventually, startHarness } from "./harness.js";
import type { Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

async function finished(runId: string): Promise<string> {
  return eventually(async () => {
    const r = await call(h.service.app, "GET", `/v1/runs/${runId}`, { token: h.tokens.viewer });
    return ["succeeded", "failed", "cancelled"].includes(r.body.state as string)
      ? (r.body.state as string)
      : undefined;
  }, 20_000);
}

describe("GET /v1/runs/:id/events with Accept: text/plain", () => {
  it("when a real run finishes, then one human line per event, each change as resource field: from → to, and the stream ends", async () => {
    const started = await call(h.service.app, "POST", "/v1/runbooks/touch-dc1/runs", {
      token: h.tokens.operator,
      body: { params: { key: "text1" }, dryRun: false, reason: "drill" },
    });
    expect(started.status).toBe(202);
    const id = started.body.id as string;
    // Asked while the run is still going: the answer ends only once the run has ended.
    const res = await call(h.service.app, "GET", `/v1/runs/${id}/events`, {
      token: h.tokens.viewer,
      accept: "text/plain",
    });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    const lines = res.text.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      new RegExp(
        `^\\d\\d:\\d\\d:\\d\\d\\.\\d{3}  run ${id} created: touch-dc1 REAL RUN by operator — drill$`,
      ),
    );
    expect(lines).toContainEqual(expect.stringMatching(/ {2}step touch applied 1 change$/));
    expect(lines).toContain("      cluster/dc1 touch.text1: 0 → 1");
    expect(lines).toContainEqual(expect.stringMatching(/ {2}run running → succeeded$/));
    expect(lines.at(-1)).toBe(`run ${id} succeeded`);
    expect(res.text).not.toMatch(/^data:|"type":/m);
  });

  it("when a step is skipped, then its line says why", async () => {
    const started = await call(h.service.app, "POST", "/v1/runbooks/fails/runs", {
      token: h.tokens.operator,
      body: { dryRun: false },
    });
    const id = started.body.id as string;
    expect(await finished(id)).toBe("failed");
    const skipped = await call(h.service.app, "POST", `/v1/runs/${id}/steps/gate/skip`, {
      token: h.tokens.operator,
      body: { reason: "the check is known-bad today" },
    });
    expect(skipped.status, JSON.stringify(skipped.body)).toBe(200);
    const retried = await call(h.service.app, "POST", `/v1/runs/${id}/retry`, {
      token: h.tokens.operator,
      body: { reason: "continue after the skipped check" },
    });
    expect(retried.status, JSON.stringify(retried.body)).toBe(202);
    expect(await finished(id)).toBe("succeeded");
    const res = await call(h.service.app, "GET", `/v1/runs/${id}/events`, {
      token: h.tokens.viewer,
      accept: "text/plain",
    });
    expect(res.text).toMatch(/ {2}step gate failed → skipped by operator: the check is known-bad today\n/);
    const report = await call(h.service.app, "GET", `/v1/runs/${id}/report`, {
      token: h.tokens.viewer,
      accept: "text/plain",
    });
    expect(report.text).toContain("      skipped: skipped by operator: the check is known-bad today");
  });

  it("when a step fails, then its line carries the error", async () => {
    const started = await call(h.service.app, "POST", "/v1/runbooks/fails/runs", {
      token: h.tokens.operator,
      body: { dryRun: false },
    });
    const id = started.body.id as string;
    expect(await finished(id)).toBe("failed");
    const res = await call(h.service.app, "GET", `/v1/runs/${id}/events`, {
      token: h.tokens.viewer,
      accept: "text/plain",
    });
    expect(res.text).toMatch(/ {2}step gate \w+ → failed: [A-Z_]+: the world is not ready\n/);
    expect(res.text.trimEnd().split("\n").at(-1)).toBe(`run ${id} failed`);
  });

  it("when the client asks for event-stream or anything, then it still gets SSE", async () => {
    const started = await call(h.service.app, "POST", "/v1/runbooks/touch-dc1/runs", {
      token: h.tokens.operator,
      body: {},
    });
    const id = started.body.id as string;
    await finished(id);
    const res = await call(h.service.app, "GET", `/v1/runs/${id}/events`, {
      token: h.tokens.viewer,
      accept: "*/*",
    });
    expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
  });
});

describe("GET /v1/runs/:id?wait=", () => {
  it("when the run finishes within the wait, then the answer comes when it finished", async () => {
    const started = await call(h.service.app, "POST", "/v1/runbooks/hold/runs", {
      token: h.tokens.operator,
      body: { params: { key: "wait1", holdMs: 1_500 }, dryRun: false },
    });
    const id = started.body.id as string;
    const t0 = Date.now();
    const res = await call(h.service.app, "GET", `/v1/runs/${id}?wait=20`, { token: h.tokens.viewer });
    expect(res.status).toBe(200);
    expect(res.body.state).toBe("succeeded");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it("when the run waits for approval, then the answer comes at once with waiting_approval", async () => {
    const started = await call(h.service.app, "POST", "/v1/runbooks/gated/runs", {
      token: h.tokens.operator,
      body: { params: { key: "wait2" }, dryRun: false },
    });
    const res = await call(h.service.app, "GET", `/v1/runs/${started.body.id as string}?wait=20`, {
      token: h.tokens.viewer,
    });
    expect(res.body.state).toBe("waiting_approval");
    await call(h.service.app, "POST", `/v1/runs/${started.body.id as string}/cancel`, {
      token: h.tokens.operator,
      body: {},
    });
  });

  it("when the wait elapses first, then the run as it is now, still running", async () => {
    const started = await call(h.service.app, "POST", "/v1/runbooks/hold/runs", {
      token: h.tokens.operator,
      body: { params: { key: "wait3", holdMs: 6_000 }, dryRun: false },
    });
    const id = started.body.id as string;
    const t0 = Date.now();
    const res = await call(h.service.app, "GET", `/v1/runs/${id}?wait=1`, { token: h.tokens.viewer });
    const took = Date.now() - t0;
    expect(["queued", "running"]).toContain(res.body.state);
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(5_000);
    // As text too: the terminal rendering honours the wait.
    const text = await call(h.service.app, "GET", `/v1/runs/${id}?wait=20`, {
      token: h.tokens.viewer,
      accept: "text/plain",
    });
    expect(text.text).toMatch(/REAL RUN {2}SUCCEEDED/);
  });

  it("when wait is not a number of seconds from 0 to 60, then 422 naming query.wait", async () => {
    for (const bad of ["abc", "-1", "61", "1.5"]) {
      const res = await call(h.service.app, "GET", `/v1/runs/abc?wait=${bad}`, { token: h.tokens.viewer });
      expect(res.status).toBe(422);
      expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(JSON.stringify(res.body.errors)).toContain("query.wait");
    }
  });
});

describe("report of a real run", () => {
  it("when a real run changed something, then the text report shows resource field: from → to per step, and JSON lists them", async () => {
    const started = await call(h.service.app, "POST", "/v1/runbooks/touch-dc1/runs", {
      token: h.tokens.operator,
      body: { params: { key: "report1" }, dryRun: false },
    });
    const id = started.body.id as string;
    expect(await finished(id)).toBe("succeeded");
    const text = await call(h.service.app, "GET", `/v1/runs/${id}/report`, {
      token: h.tokens.viewer,
      accept: "text/plain",
    });
    expect(text.text).toContain("      cluster/dc1 touch.report1: 0 → 1");
    expect(text.text).not.toContain("change(s)");
    const json = await call(h.service.app, "GET", `/v1/runs/${id}/report`, { token: h.tokens.viewer });
    const touch = (json.body.steps as { id: string; changes: number; changeList: unknown[] }[]).find(
      (s) => s.id === "touch",
    )!;
    expect(touch.changes).toBe(1);
    expect(touch.changeList).toEqual([{ resource: "cluster/dc1", field: "touch.report1", from: 0, to: 1 }]);
  });
});
