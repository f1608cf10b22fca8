// Every consumer group in a failover's scope gets exactly one verdict before anything changes, and
// the runbook's policy turns each verdict into one action. Pure: the facts come from one read of the
// checkpoints (offset-translation.ts's GroupAssessment), the group's state on the target and its
// committed offsets there. Nothing here skips a group silently: a group outside every rule still gets
// the default action, and every group is returned with its verdict, its reason and its action.
import { z } from "zod";
import type { GroupAssessment } from "./offset-translation.js";

/** Worst first: a group that is several of these at once gets the first that applies. */
const PROBLEM_VERDICTS = [
  "not-mirrored",
  "live-on-target",
  "no-checkpoint",
  "negative-lag",
  "target-ahead",
  "stale-checkpoint",
] as const;
export const VERDICTS = [...PROBLEM_VERDICTS, "translated"] as const;
export type Verdict = (typeof VERDICTS)[number];

/**
 * translate: commit the translated offsets (the clean verdict's action); fail: the run stops before
 * its first change; skip: the group is left as it is on the target (and listed as skipped);
 * earliest / latest: seek the group on the target to the log start / end; timestamp: seek on the
 * target to the first record at or after the time of the last record the group had processed.
 */
export const ACTIONS = ["translate", "fail", "skip", "earliest", "latest", "timestamp"] as const;
export type VerdictAction = (typeof ACTIONS)[number];

type NonClean = (typeof PROBLEM_VERDICTS)[number];

const actionsSchema = z.partialRecord(z.enum(PROBLEM_VERDICTS), z.enum(ACTIONS).exclude(["translate"]));

const anchoredRegex = z.string().check((ctx) => {
  try {
    new RegExp(ctx.value);
  } catch (err) {
    ctx.issues.push({
      code: "custom",
      input: ctx.value,
      message: `invalid regular expression: ${err instanceof Error ? err.message : String(err)}`,
    });
  }
});

/**
 * What to do with each non-clean verdict, per group (names) or pattern (anchored regular
 * expression); the first rule that names a group wins, then `default`. Unlisted verdicts fall back
 * to the default's, then to DEFAULT_ACTIONS.
 */
export const verdictPolicySchema = z.strictObject({
  default: actionsSchema.default({}),
  rules: z
    .array(
      z
        .strictObject({
          names: z.array(z.string().min(1)).min(1).optional(),
          pattern: anchoredRegex.optional(),
          on: actionsSchema,
        })
        .refine((r) => r.names !== undefined || r.pattern !== undefined, {
          message: "a rule names its groups (names) or a pattern",
        }),
    )
    .default([]),
});
export type VerdictPolicy = z.infer<typeof verdictPolicySchema>;

/**
 * Without a rule, every non-clean verdict stops the run before its first change, except a group that
 * consumes no mirrored topic: the flow has nothing to move for it, so it is skipped (and listed).
 */
export const DEFAULT_ACTIONS: Record<NonClean, Exclude<VerdictAction, "translate">> = {
  "not-mirrored": "skip",
  "live-on-target": "fail",
  "no-checkpoint": "fail",
  "negative-lag": "fail",
  "target-ahead": "fail",
  "stale-checkpoint": "fail",
};

export interface GroupVerdictFacts {
  assessment: GroupAssessment;
  /** Source topics the group has committed offsets on (any topic), null when the source is gone. */
  sourceTopics: readonly string[] | null;
  /** Whether the flow mirrors a source topic (its anchored topics regex). */
  mirrors: (sourceTopic: string) => boolean;
  /** Members of the group on the target right now. */
  targetMembers: number;
  /** The group's committed offsets on the target, by "topic/partition". */
  targetCommitted: ReadonlyMap<string, bigint>;
  /** Oldest usable checkpoint age, ms; the assessment's own limit. */
  maxAgeMs: number;
}

export interface GroupVerdict {
  group: string;
  verdict: Verdict;
  /** One sentence a person can act on. */
  reason: string;
  action: VerdictAction;
}

function firstVerdict(f: GroupVerdictFacts): { verdict: Verdict; reason: string } {
  const a = f.assessment;
  const g = a.group;
  const mirrored = f.sourceTopics?.filter((t) => f.mirrors(t)) ?? null;
  if (a.partitions.length === 0 && mirrored !== null && mirrored.length === 0) {
    return {
      verdict: "not-mirrored",
      reason: `group ${g} consumes no topic this flow mirrors (${f.sourceTopics!.length ? f.sourceTopics!.join(", ") : "no committed offsets"})`,
    };
  }
  if (f.targetMembers > 0) {
    return {
      verdict: "live-on-target",
      reason: `group ${g} has ${f.targetMembers} live member(s) on the target: its offsets cannot be committed under it`,
    };
  }
  const missing = a.missingCheckpoints;
  if (a.partitions.length === 0 || missing.length > 0) {
    const first = missing[0];
    return {
      verdict: "no-checkpoint",
      reason: first
        ? `group ${g}: no checkpoint for ${first.sourceTopic}-${first.partition} (committed offset ${first.committed} on the source)${missing.length > 1 ? ` and ${missing.length - 1} more partition(s)` : ""}`
        : `group ${g} has no checkpoint on this flow`,
    };
  }
  const past = a.partitions.filter((p) => p.targetEnd !== null && p.translated > p.targetEnd);
  if (past.length > 0) {
    const p = past[0]!;
    return {
      verdict: "negative-lag",
      reason: `group ${g}: translated offset ${p.translated} of ${p.targetTopic}-${p.partition} is past the target's log end ${p.targetEnd}${past.length > 1 ? ` (and ${past.length - 1} more partition(s))` : ""}`,
    };
  }
  const ahead = a.partitions.filter((p) => {
    const committed = f.targetCommitted.get(`${p.targetTopic}/${p.partition}`);
    return committed !== undefined && committed > p.translated;
  });
  if (ahead.length > 0) {
    const p = ahead[0]!;
    return {
      verdict: "target-ahead",
      reason: `group ${g} is already at ${f.targetCommitted.get(`${p.targetTopic}/${p.partition}`)} on ${p.targetTopic}-${p.partition}, ahead of the translated ${p.translated}${ahead.length > 1 ? ` (and ${ahead.length - 1} more partition(s))` : ""}`,
    };
  }
  if (a.stale) {
    return {
      verdict: "stale-checkpoint",
      reason: `group ${g}: newest checkpoint is ${((a.newestCheckpointAgeMs ?? 0) / 1000).toFixed(1)} s old (limit ${(f.maxAgeMs / 1000).toFixed(1)} s) while the group has moved on — is the checkpoint connector running?`,
    };
  }
  return {
    verdict: "translated",
    reason: `group ${g}: ${a.partitions.length} partition(s) translated${a.newestCheckpointAgeMs !== null ? `, newest checkpoint ${(a.newestCheckpointAgeMs / 1000).toFixed(1)} s old` : ""}`,
  };
}

function ruleFor(policy: VerdictPolicy, group: string): VerdictPolicy["rules"][number] | undefined {
  return policy.rules.find(
    (r) =>
      r.names?.includes(group) || (r.pattern !== undefined && new RegExp(`^(?:${r.pattern})$`).test(group)),
  );
}

/** The action for a verdict: the first rule naming the group, then the policy's default, then ours. */
export function actionFor(policy: VerdictPolicy, group: string, verdict: Verdict): VerdictAction {
  if (verdict === "translated") return "translate";
  return ruleFor(policy, group)?.on[verdict] ?? policy.default[verdict] ?? DEFAULT_ACTIONS[verdict];
}

export function classifyGroup(f: GroupVerdictFacts, policy: VerdictPolicy): GroupVerdict {
  const { verdict, reason } = firstVerdict(f);
  return {
    group: f.assessment.group,
    verdict,
    reason,
    action: actionFor(policy, f.assessment.group, verdict),
  };
}

export interface VerdictSummary {
  /** Groups per verdict, every verdict listed (0 when none). */
  counts: Record<Verdict, number>;
  /** Groups whose action stops the run, with why. */
  failing: GroupVerdict[];
  /** Groups per action. */
  byAction: Record<VerdictAction, string[]>;
}

export function summarize(verdicts: readonly GroupVerdict[]): VerdictSummary {
  const counts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  const byAction = Object.fromEntries(ACTIONS.map((a) => [a, [] as string[]])) as Record<
    VerdictAction,
    string[]
  >;
  for (const v of verdicts) {
    counts[v.verdict]++;
    byAction[v.action].push(v.group);
  }
  return { counts, failing: verdicts.filter((v) => v.action === "fail"), byAction };
}
