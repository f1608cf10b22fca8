// How the engine calls a step in each persisted phase, whatever its shape: an action's own plan,
// apply and verify, or a check's inspect, waitUntil and confirm (a check plans no change and its
// apply phase leaves no before-state).
import type { JsonObject, JsonValue } from "./json.js";
import type { AnyStep, StepContext, StepPlan } from "./step-contract.js";

export async function planPhase(def: AnyStep, ctx: StepContext, input: unknown): Promise<StepPlan> {
  if (!def.check) return def.plan(ctx, input);
  return { changes: [], outputs: (await def.check.inspect?.(ctx, input)) ?? {} };
}

export async function applyPhase(
  def: AnyStep,
  ctx: StepContext,
  plan: StepPlan,
  input: unknown,
): Promise<JsonValue> {
  if (!def.check) return def.apply(ctx, plan, input);
  await def.check.waitUntil?.(ctx, input);
  return null;
}

export async function verifyPhase(
  def: AnyStep,
  ctx: StepContext,
  input: unknown,
  plan: StepPlan,
): Promise<JsonObject | void> {
  if (!def.check) return def.verify(ctx, input, plan);
  return def.check.confirm?.(ctx, input);
}
