// The engine's AuditSink port on the real audit log: events land as chained entries with the
// expected action, actor default, transition and details — and secrets in event data are redacted.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { Secret } from "../config/secret.js";
import type { AuditEvent } from "../engine/ports/audit-sink.js";
import { AuditLog } from "./audit-log.js";
import { AuditSinkAdapter, toAppendInput } from "./engine-audit-sink.js";

const REDIS_URL = process.env.SWITCHOVER_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
const prefix = `switchover-test:audit-sink:${randomUUID()}`;

afterAll(async () => {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
  redis.disconnect();
});

describe("AuditSinkAdapter", () => {
  it("maps engine events to chained entries", async () => {
    const log = new AuditLog(redis, { prefix });
    const sink = new AuditSinkAdapter(log);
    const at = Date.parse("2026-03-01T12:00:00.000Z");
    const events: AuditEvent[] = [
      { at, runId: "r1", type: "run.created", actor: "alice", data: { runbook: "orders-failover" } },
      {
        at: at + 5,
        runId: "r1",
        type: "step.transition",
        stepId: "repoint",
        from: "pending",
        to: "planning",
      },
      {
        at: at + 9,
        runId: "r1",
        type: "step.applied",
        stepId: "repoint",
        data: { tsigKey: new Secret("k") },
      },
    ];
    for (const e of events) await sink.append(e);

    const { entries } = await log.query({ runId: "r1" });
    expect(entries.map((e) => [e.seq, e.actor, e.action, e.stepId])).toEqual([
      [1, "alice", "run.created", undefined],
      [2, "system", "step.transition", "repoint"],
      [3, "system", "step.applied", "repoint"],
    ]);
    expect(entries[0]!.data).toEqual({
      eventAt: "2026-03-01T12:00:00.000Z",
      details: { runbook: "orders-failover" },
    });
    expect(entries[1]!.data).toEqual({
      eventAt: "2026-03-01T12:00:00.005Z",
      from: "pending",
      to: "planning",
    });
    expect(entries[2]!.data).toEqual({
      eventAt: "2026-03-01T12:00:00.009Z",
      details: { tsigKey: "[redacted]" },
    });
    expect(await log.verify()).toMatchObject({ ok: true, entries: 3 });
    await log.close();
  });

  it("does not throw on an event with an invalid time", () => {
    expect(toAppendInput({ at: Number.NaN, runId: "r", type: "run.drift" }).data).toEqual({ eventAt: null });
  });
});
