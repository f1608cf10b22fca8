// The run and step state machines: exactly the transitions PRODUCT.md allows, nothing else.
import { describe, expect, it } from "vitest";
import {
  assertRunTransition,
  assertStepTransition,
  canTransitionRun,
  canTransitionStep,
  isTerminalRun,
  RUN_STATES,
  STEP_STATES,
} from "./states.js";

describe("run state machine", () => {
  const allowed = new Set([
    "queued→running",
    "queued→cancelled",
    "running→waiting_approval",
    "running→succeeded",
    "running→failed",
    "running→cancelled",
    "waiting_approval→running",
    "waiting_approval→failed",
    "waiting_approval→cancelled",
    "failed→queued",
  ]);
  it.each(RUN_STATES.flatMap((from) => RUN_STATES.map((to) => ({ from, to }))))(
    "$from → $to",
    ({ from, to }) => {
      expect(canTransitionRun(from, to)).toBe(allowed.has(`${from}→${to}`));
    },
  );
  it("names the run and both states when a transition is refused", () => {
    expect(() => assertRunTransition("r1", "succeeded", "running")).toThrow(
      "run r1 cannot go from succeeded to running",
    );
  });
  it("succeeded and cancelled are final", () => {
    for (const to of RUN_STATES) {
      expect(canTransitionRun("succeeded", to)).toBe(false);
      expect(canTransitionRun("cancelled", to)).toBe(false);
    }
    expect(RUN_STATES.filter(isTerminalRun)).toEqual(["succeeded", "failed", "cancelled"]);
  });
});

describe("step state machine", () => {
  const allowed = new Set([
    "pending→planning",
    "pending→skipped",
    "planning→applying",
    "planning→succeeded",
    "planning→failed",
    "planning→skipped",
    "applying→verifying",
    "applying→failed",
    "verifying→succeeded",
    "verifying→failed",
    "verifying→applying",
    "failed→pending",
    "failed→skipped",
  ]);
  it.each(STEP_STATES.flatMap((from) => STEP_STATES.map((to) => ({ from, to }))))(
    "$from → $to",
    ({ from, to }) => {
      expect(canTransitionStep(from, to)).toBe(allowed.has(`${from}→${to}`));
    },
  );
  it("never goes from applying back to planning: a resumed step applies its persisted plan", () => {
    expect(() => assertStepTransition("s", "applying", "planning")).toThrow(
      "step s cannot go from applying to planning",
    );
  });
});
