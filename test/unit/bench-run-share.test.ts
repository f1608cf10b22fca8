import { describe, expect, it } from "vitest";
import { orchestratorShare } from "../../bench/run-share.js";

describe("orchestrator share of a run", () => {
  it("is the time of the run outside the steps' plan/apply/verify calls", () => {
    const share = orchestratorShare({
      createdAt: 1_000,
      startedAt: 1_004,
      finishedAt: 11_000,
      steps: [
        { id: "a", state: "succeeded", attempt: 1, timings: { planMs: 100, applyMs: 4_000, verifyMs: 900 } },
        { id: "skipped", state: "skipped", attempt: 0 },
        { id: "b", state: "succeeded", attempt: 1, timings: { planMs: 500, applyMs: 4_000, verifyMs: 300 } },
      ],
    });
    expect(share).toEqual({
      totalMs: 10_000,
      stepMs: 9_800,
      orchestratorMs: 200,
      sharePct: 2,
      pickupMs: 4,
      repeated: [],
    });
  });

  it("names steps whose timings cover only their last try, and refuses unfinished runs", () => {
    const share = orchestratorShare({
      createdAt: 0,
      startedAt: 1,
      finishedAt: 100,
      steps: [
        { id: "retried", state: "succeeded", attempt: 2, timings: { planMs: 10 } },
        { id: "reapplied", state: "succeeded", attempt: 1, applyTries: 2, timings: { applyMs: 10 } },
      ],
    });
    expect(share.repeated).toEqual(["retried", "reapplied"]);
    expect(() => orchestratorShare({ createdAt: 0, steps: [] })).toThrow(/not finished/);
  });
});
