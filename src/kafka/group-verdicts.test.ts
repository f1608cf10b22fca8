import { describe, expect, it } from "vitest";
import { actionFor, classifyGroup, summarize, verdictPolicySchema } from "./group-verdicts.js";
import type { GroupVerdictFacts, Verdict } from "./group-verdicts.js";
import { assessGroup } from "./offset-translation.js";
import type { FlowNaming, TimedCheckpoint } from "./offset-translation.js";

const flow: FlowNaming = {
  naming: "prefixed",
  sourceAlias: "dc1",
  separator: ".",
  topics: "orders|payments",
};
const NOW = 1_000_000;
const MAX_AGE = 60_000;

interface Case {
  name: string;
  /** Checkpoints: target topic/partition → [upstream, downstream, emitted ms before now]. */
  checkpoints?: Record<string, [number, number, number]>;
  /** Source committed: topic → partition → offset; null = source unreachable. */
  source?: Record<string, Record<number, number>> | null;
  syncs?: Record<string, Array<[number, number]>>;
  targetEnds?: Record<string, number>;
  members?: number;
  targetCommitted?: Record<string, number>;
  verdict: Verdict;
  reason: RegExp;
}

function facts(c: Case): GroupVerdictFacts {
  const cps = new Map<string, TimedCheckpoint>();
  for (const [tp, [up, down, ago]] of Object.entries(c.checkpoints ?? {})) {
    const [topic, partition] = tp.split("/") as [string, string];
    cps.set(tp, {
      group: "g",
      topic,
      partition: Number(partition),
      upstreamOffset: BigInt(up),
      downstreamOffset: BigInt(down),
      metadata: "",
      emittedAt: NOW - ago,
    });
  }
  const source =
    c.source === null
      ? null
      : new Map(
          Object.entries(c.source ?? { orders: { 0: 10 } }).map(([t, parts]) => [
            t,
            new Map(Object.entries(parts).map(([p, o]) => [Number(p), BigInt(o)])),
          ]),
        );
  const syncs = new Map(
    Object.entries(c.syncs ?? {}).map(([tp, list]) => {
      const [topic, partition] = tp.split("/") as [string, string];
      return [
        tp,
        list.map(([u, d]) => ({
          topic,
          partition: Number(partition),
          upstreamOffset: BigInt(u),
          downstreamOffset: BigInt(d),
        })),
      ];
    }),
  );
  const assessment = assessGroup(flow, {
    group: "g",
    checkpoints: cps.size ? cps : undefined,
    sourceCommitted: source,
    targetEnds: new Map(
      Object.entries(c.targetEnds ?? { "dc1.orders/0": 100 }).map(([k, v]) => [k, BigInt(v)]),
    ),
    syncs,
    now: NOW,
    maxAgeMs: MAX_AGE,
  });
  return {
    assessment,
    sourceTopics: source === null ? null : [...source.keys()],
    mirrors: (t) => new RegExp(`^(?:${flow.topics})$`).test(t),
    targetMembers: c.members ?? 0,
    targetCommitted: new Map(Object.entries(c.targetCommitted ?? {}).map(([k, v]) => [k, BigInt(v)])),
    maxAgeMs: MAX_AGE,
  };
}

const fresh: Case["checkpoints"] = { "dc1.orders/0": [10, 8, 1_000] };

const CASES: Case[] = [
  {
    name: "a fresh checkpoint covering every partition",
    checkpoints: fresh,
    verdict: "translated",
    reason: /1 partition\(s\) translated, newest checkpoint 1\.0 s old/,
  },
  {
    name: "already committed at the translated offset on the target",
    checkpoints: fresh,
    targetCommitted: { "dc1.orders/0": 8 },
    verdict: "translated",
    reason: /translated/,
  },
  {
    name: "consumes only topics the flow does not mirror",
    source: { audit: { 0: 5 } },
    verdict: "not-mirrored",
    reason: /consumes no topic this flow mirrors \(audit\)/,
  },
  {
    name: "live members on the target",
    checkpoints: fresh,
    members: 3,
    verdict: "live-on-target",
    reason: /3 live member\(s\) on the target/,
  },
  {
    name: "live on the target outranks a missing checkpoint",
    members: 1,
    verdict: "live-on-target",
    reason: /live member/,
  },
  {
    name: "no checkpoint at all",
    verdict: "no-checkpoint",
    reason: /no checkpoint for orders-0 \(committed offset 10 on the source\)/,
  },
  {
    name: "a committed partition without a checkpoint",
    checkpoints: fresh,
    source: { orders: { 0: 10, 1: 7 } },
    verdict: "no-checkpoint",
    reason: /no checkpoint for orders-1 \(committed offset 7 on the source\)/,
  },
  {
    name: "no checkpoint while the source is gone",
    source: null,
    verdict: "no-checkpoint",
    reason: /no checkpoint/,
  },
  {
    name: "translated offset past the target's log end",
    checkpoints: { "dc1.orders/0": [10, 120, 1_000] },
    verdict: "negative-lag",
    reason: /translated offset 120 of dc1\.orders-0 is past the target's log end 100/,
  },
  {
    name: "already ahead on the target",
    checkpoints: fresh,
    targetCommitted: { "dc1.orders/0": 50 },
    verdict: "target-ahead",
    reason: /already at 50 on dc1\.orders-0, ahead of the translated 8/,
  },
  {
    name: "an old checkpoint while the group moved past the newest sync",
    checkpoints: { "dc1.orders/0": [10, 8, 120_000] },
    source: { orders: { 0: 40 } },
    syncs: { "orders/0": [[30, 28]] },
    verdict: "stale-checkpoint",
    reason: /newest checkpoint is 120\.0 s old \(limit 60\.0 s\)/,
  },
  {
    name: "an old checkpoint of an idle group is still fresh",
    checkpoints: { "dc1.orders/0": [10, 8, 120_000] },
    source: { orders: { 0: 10 } },
    syncs: { "orders/0": [[10, 8]] },
    verdict: "translated",
    reason: /translated/,
  },
];

describe("classifyGroup: exactly one verdict per group, the worst that applies", () => {
  const policy = verdictPolicySchema.parse({});
  for (const c of CASES) {
    it(`${c.name} → ${c.verdict}`, () => {
      const v = classifyGroup(facts(c), policy);
      expect(v.verdict).toBe(c.verdict);
      expect(v.reason).toMatch(c.reason);
    });
  }
});

describe("actionFor: the runbook's policy per group or pattern", () => {
  const policy = verdictPolicySchema.parse({
    default: { "no-checkpoint": "earliest" },
    rules: [
      { names: ["billing"], on: { "no-checkpoint": "fail", "target-ahead": "skip" } },
      { pattern: "analytics-.*", on: { "no-checkpoint": "latest", "stale-checkpoint": "timestamp" } },
    ],
  });
  const table: Array<[string, Verdict, string]> = [
    ["orders-app", "translated", "translate"],
    ["orders-app", "no-checkpoint", "earliest"], // the policy's default
    ["orders-app", "target-ahead", "fail"], // our default
    ["orders-app", "not-mirrored", "skip"], // our default for a group the flow has nothing for
    ["billing", "no-checkpoint", "fail"], // a named rule beats the default
    ["billing", "target-ahead", "skip"],
    ["billing", "stale-checkpoint", "fail"],
    ["analytics-eu", "no-checkpoint", "latest"],
    ["analytics-eu", "stale-checkpoint", "timestamp"],
    ["analytics", "no-checkpoint", "earliest"], // anchored: the pattern needs the dash
  ];
  for (const [group, verdict, action] of table) {
    it(`${group}, ${verdict} → ${action}`, () => expect(actionFor(policy, group, verdict)).toBe(action));
  }

  it("refuses a rule that names no group, an invalid pattern and an unknown verdict or action", () => {
    const bad = verdictPolicySchema.safeParse({
      rules: [{ on: { "no-checkpoint": "skip" } }, { pattern: "(", on: {} }],
      default: { "lost-group": "skip", "target-ahead": "translate" },
    });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["rules.0", "rules.1.pattern", "default.target-ahead"]));
    expect(paths.some((p) => p.startsWith("default"))).toBe(true);
  });
});

describe("summarize", () => {
  it("counts every verdict (0 included), lists the failing groups and the groups per action", () => {
    const policy = verdictPolicySchema.parse({});
    const verdicts = CASES.map((c, i) => ({ ...classifyGroup(facts(c), policy), group: `g${i}` }));
    const s = summarize(verdicts);
    expect(Object.values(s.counts).reduce((a, b) => a + b, 0)).toBe(CASES.length);
    expect(s.counts).toMatchObject({
      translated: 3,
      "no-checkpoint": 3,
      "not-mirrored": 1,
      "stale-checkpoint": 1,
    });
    expect(s.byAction.skip).toEqual(["g2"]);
    expect(s.failing.map((v) => v.verdict)).not.toContain("translated");
    expect(s.failing.length + s.byAction.translate.length + s.byAction.skip.length).toBe(CASES.length);
  });
});
