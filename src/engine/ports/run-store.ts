// The persistence port for runs. save() is compare-and-set on `version`: two workers can never both
// advance the same run, and a cancel that lands mid-step is noticed at the next save.
import { ErrorCode, SwitchoverError } from "../errors.js";
import type { RunRecord } from "../run-record.js";
import type { StoreClaim } from "./run-fence.js";

export interface SaveOptions {
  /** Indexes into run.steps of the steps changed since this version was read or saved. */
  changedSteps?: readonly number[];
  /**
   * Keys that must hold exactly these values for the save to happen, checked atomically with the
   * write (the saving worker's lease and target-lock grants); a mismatch throws RunFenceLost and
   * writes nothing. Stores without such keys (the in-memory one) treat every claim as held.
   */
  claims?: readonly StoreClaim[];
}

export interface RunStore {
  /** Stores a new run (version 1); CONFLICT if the id exists. */
  create(run: RunRecord): Promise<RunRecord>;
  get(id: string): Promise<RunRecord | undefined>;
  /**
   * Persists run if the stored version equals run.version; returns it with version + 1.
   * `changedSteps` lets a store write only the run's own fields and those steps (the executor
   * changes one step per transition); omitted means every step may have changed. The runbook
   * snapshot never changes after create.
   */
  save(run: RunRecord, opts?: SaveOptions): Promise<RunRecord>;
  /** Newest first. */
  list(opts?: { limit?: number }): Promise<RunRecord[]>;
}

/** One row of a runs-by-state count (stores that keep one, for metrics). */
export interface RunCount {
  state: RunRecord["state"];
  mode: "dry" | "real";
  count: number;
}

/** Another writer saved the run first. Its own class so a step's CONFLICT errors are never mistaken for it. */
export class RunVersionConflict extends SwitchoverError {
  constructor(id: string, expected: number, actual: number | undefined) {
    super(
      ErrorCode.Conflict,
      `run ${id} changed concurrently (expected version ${expected}, found ${actual ?? "none"})`,
      {
        details: { runId: id, expected, actual: actual ?? null },
      },
    );
    this.name = "RunVersionConflict";
  }
}

export function versionConflict(
  id: string,
  expected: number,
  actual: number | undefined,
): RunVersionConflict {
  return new RunVersionConflict(id, expected, actual);
}

export function runNotFound(id: string): SwitchoverError {
  return new SwitchoverError(ErrorCode.NotFound, `run ${id} not found`, { details: { runId: id } });
}
