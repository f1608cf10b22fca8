import { describe, expect, it } from "vitest";
import { assessPair } from "./pair-posture.js";
import type { PairFacts } from "./pair-posture.js";

/** A flow whose two sides agree on everything, with its source connector configured as given. */
function facts(sourceConfig: Record<string, string>): PairFacts {
  const topics = new Map([["orders", { partitions: 1, overrides: {} }]]);
  return {
    flow: {
      name: "dc1-to-dc2",
      source: "dc1",
      target: "dc2",
      sourceAlias: "dc1",
      targetAlias: "dc2",
      naming: "identity",
      separator: ".",
      topics: "orders",
      connect: "dc2-connect",
      connectors: { source: "mm2-source", checkpoint: "mm2-checkpoint" },
    },
    now: 10_000,
    sourceTopics: { ok: true, value: topics },
    targetTopics: { ok: true, value: topics },
    sourceAcls: { ok: true, value: [] },
    targetAcls: { ok: true, value: [] },
    groups: { ok: true, value: new Map() },
    checkpoints: { ok: true, value: new Map() },
    heartbeatAt: { ok: true, value: 9_500 },
    connectors: {
      ok: true,
      value: [
        {
          name: "mm2-source",
          role: "source",
          state: "RUNNING",
          config: { "source.cluster.receive.buffer.bytes": "-1", ...sourceConfig },
        },
        { name: "mm2-checkpoint", role: "checkpoint", state: "RUNNING", config: {} },
      ],
    },
  };
}

const rule = (c: Record<string, string>) =>
  assessPair(facts(c)).findings.filter((f) => f.rule === "mirror.reads-uncommitted");

describe("pair posture: mirror.reads-uncommitted", () => {
  it("flags a source connector that reads uncommitted (Kafka's default), naming what it costs and the fix", () => {
    const [f] = rule({});
    expect(f).toMatchObject({ severity: "warning", subject: { kind: "connector", name: "mm2-source" } });
    expect(f!.message).toContain("isolation.level=read_uncommitted (Kafka default)");
    expect(f!.message).toContain("aborted on dc1 reach dc2 as ordinary records");
    expect(f!.fix).toBe("set source.consumer.isolation.level=read_committed on mm2-source");
    expect(rule({ "source.consumer.isolation.level": "read_uncommitted" })).toHaveLength(1);
  });

  it("is satisfied by read_committed on the source consumer, under each prefix MM2 reads it from", () => {
    for (const key of [
      "source.consumer.isolation.level",
      "consumer.isolation.level",
      "source.cluster.isolation.level",
    ]) {
      expect(rule({ [key]: "read_committed" }), key).toEqual([]);
    }
    // The target's consumer is another client: it does not count.
    expect(rule({ "target.consumer.isolation.level": "read_committed" })).toHaveLength(1);
  });
});

/** The agreeing flow of `facts`, read-committed, with some of its facts replaced. */
const pair = (over: Partial<PairFacts>) => ({
  ...facts({ "source.consumer.isolation.level": "read_committed" }),
  ...over,
});
const fired = (f: PairFacts, r: string) => assessPair(f).findings.filter((x) => x.rule === r);
const topics = (entries: [string, number, Record<string, string>?][]) => ({
  ok: true as const,
  value: new Map(entries.map(([t, partitions, overrides = {}]) => [t, { partitions, overrides }])),
});

describe("pair posture: the agreeing flow", () => {
  it("has no findings, and its summary says nothing is lost but the heartbeat age", () => {
    const p = assessPair(pair({}));
    expect(p.findings).toEqual([]);
    expect(p.summary.lines).toEqual([
      "losing dc1 now: 0 topics not usable on dc2, 0 groups cannot be translated, RPO ≈ 0.5 s",
    ]);
  });
});

describe("pair posture: pair.unreadable", () => {
  it("names each side that could not be read, in the order read, and the other rules stay silent", () => {
    const p = assessPair(
      pair({
        sourceTopics: { ok: false, error: "s down" },
        checkpoints: { ok: false, error: "no topic" },
        heartbeatAt: { ok: false, error: "timeout" },
      }),
    );
    expect(p.findings.map((x) => [x.rule, x.message])).toEqual([
      ["pair.unreadable", "topics on dc1 could not be read: s down"],
      ["pair.unreadable", "checkpoints on dc2 could not be read: no topic"],
      ["pair.unreadable", "heartbeats on dc2 could not be read: timeout"],
    ]);
    expect(p.findings[0]!.fix).toBe("check that dc1 is reachable and switchover's principal may describe it");
    expect(p.rpoSeconds).toBeNull();
  });
});

describe("pair posture: topics", () => {
  it("mirror.topic-not-mirrored, mirror.partition-count-mismatch and mirror.topic-config-differs", () => {
    const f = pair({
      sourceTopics: topics([
        ["orders", 3, { "retention.ms": "1", "min.insync.replicas": "2" }],
        ["audit", 1],
      ]),
      targetTopics: topics([
        ["orders", 6, { "retention.ms": "2", "leader.replication.throttled.replicas": "*" }],
      ]),
    });
    expect(fired(f, "mirror.topic-not-mirrored").map((x) => [x.severity, x.subject.name])).toEqual([
      ["critical", "dc1/audit"],
    ]);
    expect(fired(f, "mirror.partition-count-mismatch")[0]!.message).toBe(
      "orders has 3 partitions on dc1 but orders has 6 on dc2: keyed data lands in other partitions after failover and offsets cannot be translated",
    );
    const [diff] = fired(f, "mirror.topic-config-differs");
    expect(diff!.message).toBe(
      "overrides differ from dc1/orders: min.insync.replicas 2 → (default), retention.ms 1 → 2",
    );
    expect(diff!.fix).toContain("MM2 does not sync min.insync.replicas by default");
    expect(assessPair(f).topics).toEqual({
      mirrored: 1,
      notMirrored: ["audit"],
      partitionMismatches: ["orders: 3 → 6"],
      configDifferences: 1,
    });
  });
});

describe("pair posture: ACLs", () => {
  it("mirror.acl-missing-on-target is critical, mirror.acl-only-on-target information", () => {
    const f = pair({
      sourceAcls: { ok: true, value: ["a", "b"] },
      targetAcls: { ok: true, value: ["b", "c"] },
    });
    expect(assessPair(f).acls).toEqual({ onlyOnSource: ["a"], onlyOnTarget: ["c"] });
    expect(fired(f, "mirror.acl-missing-on-target").map((x) => [x.severity, x.subject])).toEqual([
      ["critical", { kind: "acl", name: "a" }],
    ]);
    expect(fired(f, "mirror.acl-only-on-target").map((x) => x.severity)).toEqual(["info"]);
  });

  it("mirror.acls-uncompared is information when security is disabled, a warning otherwise", () => {
    const disabled = pair({ targetAcls: { ok: false, error: "SECURITY_DISABLED" } });
    expect(fired(disabled, "mirror.acls-uncompared").map((x) => [x.severity, x.message])).toEqual([
      ["info", "ACLs could not be compared: dc2: SECURITY_DISABLED"],
    ]);
    const denied = pair({ sourceAcls: { ok: false, error: "not authorized" } });
    expect(fired(denied, "mirror.acls-uncompared").map((x) => x.severity)).toEqual(["warning"]);
  });
});

describe("pair posture: groups and heartbeats", () => {
  const groups = {
    ok: true as const,
    value: new Map([
      ["billing", new Map([["orders", new Map([[0, 10n]])]])],
      ["audit", new Map([["orders", new Map([[0, 10n]])]])],
    ]),
  };

  it("mirror.group-without-checkpoint, and mirror.checkpoint-stale once the group committed past an old checkpoint", () => {
    const old = { newest: 10_000 - 6 * 60_000, upstream: new Map([["orders/0", 9n]]) };
    const f = pair({ groups, checkpoints: { ok: true, value: new Map([["billing", old]]) } });
    expect(fired(f, "mirror.group-without-checkpoint").map((x) => x.subject.name)).toEqual(["dc1/audit"]);
    expect(fired(f, "mirror.checkpoint-stale")[0]!.message).toBe(
      "group billing's newest checkpoint is 360 s old while it kept committing on dc1: translation after failover reprocesses at least that much",
    );
    expect(assessPair(f).groups).toEqual([
      { name: "audit", checkpointAgeMs: null, stale: true },
      { name: "billing", checkpointAgeMs: 360_000, stale: true },
    ]);
    const caughtUp = { ...old, upstream: new Map([["orders/0", 10n]]) };
    const idle = pair({ groups, checkpoints: { ok: true, value: new Map([["billing", caughtUp]]) } });
    expect(fired(idle, "mirror.checkpoint-stale")).toEqual([]);
  });

  it("mirror.no-heartbeats and mirror.heartbeat-old (over a minute)", () => {
    expect(fired(pair({ heartbeatAt: { ok: true, value: null } }), "mirror.no-heartbeats")).toHaveLength(1);
    const old = pair({ heartbeatAt: { ok: true, value: 10_000 - 61_000 } });
    expect(fired(old, "mirror.heartbeat-old")[0]!.message).toBe(
      "the newest heartbeat on dc2 is 61 s old: replication is stalled, and a failover now loses at least that much",
    );
    expect(assessPair(old).rpoSeconds).toBe(61);
    expect(
      fired(pair({ heartbeatAt: { ok: true, value: 10_000 - 60_000 } }), "mirror.heartbeat-old"),
    ).toEqual([]);
  });
});

describe("pair posture: connectors", () => {
  it("mirror.connector-not-running says create or resume; mirror.connect-unreachable names the worker", () => {
    const f = pair({
      connectors: {
        ok: true,
        value: [
          { name: "mm2-source", role: "source", state: "PAUSED", config: null },
          { name: "mm2-checkpoint", role: "checkpoint", state: null, config: null },
        ],
      },
    });
    expect(fired(f, "mirror.connector-not-running").map((x) => [x.message, x.fix])).toEqual([
      ["checkpoint connector mm2-checkpoint is absent", "create it (mirror.createFlow)"],
      ["source connector mm2-source is PAUSED", "resume or restart it (mirror.resume)"],
    ]);
    const down = pair({ connectors: { ok: false, error: "ECONNREFUSED" } });
    expect(fired(down, "mirror.connect-unreachable")[0]!.message).toBe(
      "the Connect worker dc2-connect could not be read: ECONNREFUSED",
    );
  });

  it("mirror.socket-buffer-small: Kafka's 64 KiB default or a small setting, not -1 or 1 MiB", () => {
    const buffer = (v: string | undefined) =>
      fired(
        pair({
          connectors: {
            ok: true,
            value: [
              {
                name: "mm2-source",
                role: "source",
                state: "RUNNING",
                config: {
                  "source.consumer.isolation.level": "read_committed",
                  ...(v === undefined ? {} : { "source.cluster.receive.buffer.bytes": v }),
                },
              },
            ],
          },
        }),
        "mirror.socket-buffer-small",
      ).map((x) => x.message);
    expect(buffer(undefined)).toEqual([
      "the source consumer reads dc1 over the WAN with receive.buffer.bytes=65536 (Kafka default): throughput is capped at buffer / RTT",
    ]);
    expect(buffer("32768")[0]).toContain("receive.buffer.bytes=32768 (source.cluster.receive.buffer.bytes)");
    expect(buffer("-1")).toEqual([]);
    expect(buffer("1048576")).toEqual([]);
  });
});
