// The one interface every step implements, in one of two shapes. An action: input schema, plan
// (read-only), apply (converge, return the before-state), verify (prove it), and optionally how to
// undo itself from the record. A check: input schema and what it inspects, waits for and confirms.
import type { z } from "zod";
import type { ExpressionScope } from "./expression/evaluate-expression.js";
import type { JsonObject, JsonValue } from "./json.js";
import type { Clock } from "./ports/clock.js";
import type { Logger } from "./ports/logger.js";
import type { TargetCatalog } from "./target-catalog.js";
import type { TargetKind } from "./target-ref.js";

/**
 * The adapters the composition root provides, by name. The engine only hands each step the ones
 * its kind declares; which names exist and what they are is the steps layer's list
 * (steps/step-adapters.ts), so the engine knows no adapter.
 */
export type ProvidedAdapters = Readonly<Record<string, unknown>>;

/** A step that asks for no adapter. */
export type NoAdapters = Record<never, never>;

/** One concrete difference between the world and the step's desired state. */
export interface Change {
  resource: string;
  field: string;
  from: JsonValue;
  to: JsonValue;
}

export interface StepPlan {
  changes: Change[];
  /** Values later steps read as steps.<id>.outputs.<key>. */
  outputs: JsonObject;
}

/** `Ad`: the adapters the step asked for, by name. */
export interface StepContext<Ad extends object = NoAdapters> {
  runId: string;
  stepId: string;
  /** 1 on the first try, +1 per retry; a resume after a crash continues the interrupted attempt. */
  attempt: number;
  dryRun: boolean;
  logger: Logger;
  /** Aborts on cancellation and on the step's timeout; pass it to every wait and request. */
  signal: AbortSignal;
  clock: Clock;
  targets: TargetCatalog;
  /** Params, earlier steps' outputs and run facts, for steps that evaluate expressions themselves. */
  scope: ExpressionScope;
  adapters: Ad;
}

/** Pre-flight verdict: ready (would run), degraded (would run, with a caveat), blocked (cannot run). */
export type EvaluationOutcome = "ready" | "degraded" | "blocked";

/** One read-only pre-flight check a step made, e.g. "cluster dc2 reachable". */
export interface EvaluationCheck {
  check: string;
  outcome: EvaluationOutcome;
  reason: string;
}

/**
 * What an evaluation gives a step: no run, no attempt, no scope of earlier steps — only the
 * adapters, to read the world with. An evaluation must never change anything.
 */
export type EvaluateContext<Ad extends object = NoAdapters> = Pick<
  StepContext<Ad>,
  "logger" | "signal" | "clock" | "targets" | "adapters"
>;

/** What a revert run needs to restore a step: recorded when the step ran. */
export interface StepRecordForRevert<I> {
  input: I;
  plan: StepPlan;
  /**
   * What the first, uninterrupted apply found (its return value), or null if apply was repeated
   * after a crash or failure — then plan.changes[].from, recorded before any apply, is the truth.
   */
  before: JsonValue;
}

/** Input field → the kind of configured target the field names. */
export type StepTargets = Readonly<Record<string, TargetKind>>;

/** What every step kind declares, whatever its shape. */
interface StepKind<I, Ad extends object> {
  kind: string;
  description: string;
  adapters: readonly (keyof Ad & string)[];
  /**
   * The input fields that name a configured target (cluster, flow, zone, fleet), by kind. A real
   * run locks exactly these, resolved from its params before it starts, and errors name them.
   * Declared, never guessed from values: a param that merely equals a cluster's name is no target.
   */
  targets?: StepTargets;
  /** The input schema; given the environment's targets so names can be checked before running. */
  input(targets: TargetCatalog): z.ZodType<I>;
  /** Steps that are themselves a human gate (the `approval` kind) always park before apply. */
  requiresApproval?: boolean;
  /**
   * Pre-flight: read-only checks that the step could run now (targets reachable, credentials
   * valid, named resources present). Never plans or changes anything; failures are reported as
   * checks, not thrown (a throw counts as one blocked check).
   */
  evaluate?(ctx: EvaluateContext<Ad>, input: I): Promise<EvaluationCheck[]>;
}

/** A step that changes the world: plan the changes, apply them, verify they took. */
export interface ActionStepDefinition<I = unknown, Ad extends object = NoAdapters> extends StepKind<I, Ad> {
  /** Read the world; return the concrete changes and outputs. Must not change anything. */
  plan(ctx: StepContext<Ad>, input: I): Promise<StepPlan>;
  /**
   * Converge the world to the plan and return the state found before changing it. Called again
   * with the same plan after a crash or a retry, so it must act only on what still differs.
   */
  apply(ctx: StepContext<Ad>, plan: StepPlan, input: I): Promise<JsonValue>;
  /** Read the world again and throw if the change did not take. May add outputs. */
  verify(ctx: StepContext<Ad>, input: I, plan: StepPlan): Promise<JsonObject | void>;
  /**
   * Input for a step that restores the recorded state, or undefined when nothing needs undoing.
   * Steps without it are not revertible if they planned changes.
   */
  revert?(record: StepRecordForRevert<I>): { uses?: string; with: JsonObject } | undefined;
  check?: never;
}

/**
 * A check judges the world and plans no change, so there is nothing to approve per change or to
 * revert. The engine runs it through the same persisted phases as an action (planning, applying,
 * verifying), so a check resumes after a crash and is recorded and audited like any step:
 * - `inspect` (planning, dry-runs too): read and judge now; throw to fail, return outputs;
 * - `waitUntil` (applying, real runs only): wait until the condition holds, within its own limit;
 * - `confirm` (verifying, real runs only): judge again after waiting, or prove the condition with a
 *   harmless write such as a canary; may add outputs. A failed confirm retries like a failed verify.
 */
export interface CheckShape<I, Ad extends object> {
  inspect?(ctx: StepContext<Ad>, input: I): Promise<JsonObject>;
  waitUntil?(ctx: StepContext<Ad>, input: I): Promise<void>;
  confirm?(ctx: StepContext<Ad>, input: I): Promise<JsonObject | void>;
}

export interface CheckStepDefinition<I = unknown, Ad extends object = NoAdapters> extends StepKind<I, Ad> {
  check: CheckShape<I, Ad>;
  plan?: never;
  apply?: never;
  verify?: never;
  revert?: never;
}

export type StepDefinition<I = unknown, Ad extends object = NoAdapters> =
  ActionStepDefinition<I, Ad> | CheckStepDefinition<I, Ad>;

/** A definition with its input and adapter types erased: any context runs it. */
type Erased<D> = Omit<D, "adapters"> & { adapters: readonly string[] };
export type AnyActionStep = Erased<ActionStepDefinition>;
export type AnyCheckStep = Erased<CheckStepDefinition>;

/**
 * A step with its input and adapter types erased, as stored in the registry. Its phases accept a
 * context with any adapters, so tests and tools can drive a defined step with just the adapters it
 * asked for (engine/step-phases.ts runs either shape).
 */
export type AnyStep = AnyActionStep | AnyCheckStep;

/**
 * Keeps the step's types inside its own module while erasing them for the registry. Steps that
 * use adapters define themselves through the steps layer's `defineStep`, which names them.
 */
export function defineStep<I, Ad extends object = NoAdapters>(
  step: ActionStepDefinition<I, Ad>,
): AnyActionStep;
export function defineStep<I, Ad extends object = NoAdapters>(step: CheckStepDefinition<I, Ad>): AnyCheckStep;
export function defineStep<I, Ad extends object = NoAdapters>(step: StepDefinition<I, Ad>): AnyStep;
export function defineStep<I, Ad extends object = NoAdapters>(step: StepDefinition<I, Ad>): AnyStep {
  return step;
}
