// The audit log over HTTP (filters; verify names the first altered entry's sequence number) and
// game-day schedules (create, list, fire with trigger: schedule, delete), on real Redis and BullMQ.
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

interface Entry {
  seq: number;
  action: string;
  actor: string;
  runId?: string;
}

describe("audit", () => {
  let runId: string;

  it("when a run is started, then its requester and transitions are in the audit log, filterable", async () => {
    const res = await call(h.service.app, "POST", "/v1/runbooks/touch-dc1/runs", {
      token: h.tokens.operator,
      body: { params: { key: "audit1" }, dryRun: false, reason: "audit test" },
    });
    runId = res.body.id as string;
    await eventually(async () => {
      const r = await call(h.service.app, "GET", `/v1/runs/${runId}`, { token: h.tokens.viewer });
      return r.body.state === "succeeded" ? true : undefined;
    });
    const page = await call(h.service.app, "GET", `/v1/audit?runId=${runId}&limit=1000`, {
      token: h.tokens.viewer,
    });
    expect(page.status).toBe(200);
    const items = page.body.items as Entry[];
    expect(items[0]).toMatchObject({ action: "run.created", actor: "operator", runId });
    expect(items.map((e) => e.action)).toContain("step.applied");
    const byActor = await call(h.service.app, "GET", `/v1/audit?actor=operator&action=run.created`, {
      token: h.tokens.viewer,
    });
    expect(
      (byActor.body.items as Entry[]).every((e) => e.actor === "operator" && e.action === "run.created"),
    ).toBe(true);
    const future = await call(h.service.app, "GET", `/v1/audit?since=${Date.now() + 3_600_000}`, {
      token: h.tokens.viewer,
    });
    expect(future.body.items).toEqual([]);
    const badTime = await call(h.service.app, "GET", `/v1/audit?since=yesterday`, { token: h.tokens.viewer });
    expect(badTime.status).toBe(422);
    expect(badTime.body.errors[0].path).toBe("query.since");
  });

  it("when the chain is intact, then verify says so; when an entry is altered in Redis, then verify names its seq", async () => {
    const ok = await call(h.service.app, "GET", "/v1/audit/verify", { token: h.tokens.viewer });
    expect(ok.body).toMatchObject({ ok: true });
    const total = ok.body.checked as number;
    expect(total).toBeGreaterThan(5);

    // Rewrite the stream with entry 4's data changed (its hash left as it was).
    const key = `${h.prefix}:audit`;
    const rows = (await h.redis.xrange(key, "-", "+")) as [string, string[]][];
    await h.redis.del(key);
    for (const [id, fields] of rows) {
      const doc = JSON.parse(fields[1]!) as { seq: number; data: Record<string, unknown> };
      if (doc.seq === 4) doc.data = { ...doc.data, forged: true };
      await h.redis.xadd(key, id, "e", JSON.stringify(doc));
    }
    const broken = await call(h.service.app, "GET", "/v1/audit/verify", { token: h.tokens.viewer });
    expect(broken.status).toBe(200);
    expect(broken.body).toMatchObject({ ok: false, checked: 3, firstBroken: { seq: 4 } });
    expect(broken.body.firstBroken.reason).toMatch(/altered/);
  });
});

describe("schedules", () => {
  it("when an admin creates a schedule, then it is listed with its next fire time and fires runs with trigger: schedule", async () => {
    const res = await call(h.service.app, "POST", "/v1/schedules", {
      token: h.tokens.admin,
      body: {
        id: "every-second",
        runbook: "touch-dc1",
        cron: "* * * * * *",
        tz: "Europe/Paris",
        params: { key: "sched" },
      },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({
      id: "every-second",
      dryRun: true,
      createdBy: "admin",
      tz: "Europe/Paris",
    });
    const list = await call(h.service.app, "GET", "/v1/schedules", { token: h.tokens.viewer });
    expect(list.body.items).toHaveLength(1);
    const fired = await eventually(
      async () => {
        const runs = await call(h.service.app, "GET", "/v1/runs?trigger=schedule", {
          token: h.tokens.viewer,
        });
        const items = runs.body.items as {
          id: string;
          trigger: string;
          scheduleId: string;
          requestedBy: string;
        }[];
        return items.length > 0 ? items[0] : undefined;
      },
      10_000,
      "a scheduled run",
    );
    expect(fired).toMatchObject({
      trigger: "schedule",
      scheduleId: "every-second",
      // A scheduled run's requester is the schedule's creator, so the creator cannot approve it
      // (issue 18, finding 4; approvals.test.ts).
      requestedBy: "admin",
    });
    const del = await call(h.service.app, "DELETE", "/v1/schedules/every-second", { token: h.tokens.admin });
    expect(del.status).toBe(204);
    const gone = await call(h.service.app, "DELETE", "/v1/schedules/every-second", { token: h.tokens.admin });
    expect(gone.status).toBe(404);
    const audit = await call(h.service.app, "GET", "/v1/audit?action=schedule.upserted", {
      token: h.tokens.viewer,
    });
    expect((audit.body.items as Entry[])[0]).toMatchObject({ actor: "admin" });
  });

  it("when a schedule has a bad cron, time zone, runbook or params, then 4xx naming the field", async () => {
    const base = { id: "bad", runbook: "touch-dc1", cron: "0 10 * * 3" };
    const cron = await call(h.service.app, "POST", "/v1/schedules", {
      token: h.tokens.admin,
      body: { ...base, cron: "every day" },
    });
    expect(cron.status).toBe(422);
    expect(cron.body.errors[0].path).toBe("body.cron");
    const cron2 = await call(h.service.app, "POST", "/v1/schedules", {
      token: h.tokens.admin,
      body: { ...base, cron: "99 * * * *" },
    });
    expect(cron2.status).toBe(422);
    const tz = await call(h.service.app, "POST", "/v1/schedules", {
      token: h.tokens.admin,
      body: { ...base, tz: "Mars/Olympus" },
    });
    expect(tz.status).toBe(422);
    expect(tz.body.errors[0].path).toBe("body.tz");
    const rb = await call(h.service.app, "POST", "/v1/schedules", {
      token: h.tokens.admin,
      body: { ...base, runbook: "nope" },
    });
    expect(rb.status).toBe(404);
    const params = await call(h.service.app, "POST", "/v1/schedules", {
      token: h.tokens.admin,
      body: { ...base, params: { nope: 1 } },
    });
    expect(params.status).toBe(422);
    expect(params.body.errors[0].path).toBe("params.nope");
    const list = await call(h.service.app, "GET", "/v1/schedules", { token: h.tokens.viewer });
    expect(list.body.items).toEqual([]);
  });
});
