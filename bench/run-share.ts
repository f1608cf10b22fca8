// The orchestrator's own share of a run, from its record (GET /v1/runs/{id}): everything between
// creation and finish that is not inside a step's plan, apply or verify call — queue pickup, run
// record persistence, audit appends, events, expression resolution, lock handling. Pure; unit-tested
// in test/unit/bench-run-share.test.ts.

export interface RecordedRun {
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  steps: {
    id: string;
    state: string;
    attempt?: number;
    applyTries?: number;
    timings?: { planMs?: number; applyMs?: number; verifyMs?: number };
  }[];
}

export interface Share {
  totalMs: number;
  /** Sum of the steps' plan/apply/verify call durations. */
  stepMs: number;
  orchestratorMs: number;
  sharePct: number;
  /** createdAt → startedAt: enqueue, worker pickup, lock and lease. */
  pickupMs: number;
  /**
   * Steps whose timings cover only their last try (retried or re-applied): their earlier tries and
   * backoff count as orchestrator time here, so the share is an upper bound when this is not empty.
   */
  repeated: string[];
}

export function orchestratorShare(run: RecordedRun): Share {
  if (run.finishedAt === undefined || run.startedAt === undefined)
    throw new Error("the run has not finished: no share to compute");
  const totalMs = run.finishedAt - run.createdAt;
  let stepMs = 0;
  const repeated: string[] = [];
  for (const s of run.steps) {
    const t = s.timings ?? {};
    stepMs += (t.planMs ?? 0) + (t.applyMs ?? 0) + (t.verifyMs ?? 0);
    if ((s.attempt ?? 1) > 1 || (s.applyTries ?? 1) > 1) repeated.push(s.id);
  }
  const orchestratorMs = totalMs - stepMs;
  return {
    totalMs,
    stepMs,
    orchestratorMs,
    sharePct: totalMs > 0 ? (orchestratorMs / totalMs) * 100 : 0,
    pickupMs: run.startedAt - run.createdAt,
    repeated,
  };
}
