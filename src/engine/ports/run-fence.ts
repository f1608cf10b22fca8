// Ownership of a run by the process executing it. A worker drives a run under a lease (and, for a
// real run, its target locks, each grant carrying a fencing number); a process that stalls (GC,
// SIGSTOP, an overloaded host) can lose both to another worker without noticing at once. The
// executor therefore proves ownership before acting: every save of the run record is refused by the
// store unless the claims below still hold (checked atomically with the write), an apply starts
// only after a round trip to the store confirmed the lease, and each adapter call inside an apply,
// each audit entry, is preceded by a local check that the lease cannot have expired meanwhile.
// Once lost, the executor stops where it is: no more mutations, saves or audit entries.
import { ErrorCode, SwitchoverError } from "../errors.js";

/** A key the store must find holding exactly `value` when it writes the run (compare-and-save). */
export interface StoreClaim {
  key: string;
  value: string;
}

export interface RunFence {
  /** Aborted (reason: RunFenceLost) as soon as this process learns that it lost the run. */
  readonly signal: AbortSignal;
  /** Throws RunFenceLost unless ownership is certain without asking the store (no I/O). */
  check(): void;
  /** Confirms ownership with the store in one atomic round trip (extending the lease) or throws RunFenceLost. */
  confirm(): Promise<void>;
  /** The claims every save of the run must satisfy atomically. */
  claims(): readonly StoreClaim[];
}

/** This process no longer owns the run: another worker drives it now. Nothing is recorded for it. */
export class RunFenceLost extends SwitchoverError {
  constructor(runId: string, why: string) {
    super(ErrorCode.Conflict, `run ${runId}: this worker no longer owns the run (${why}); it stops here`, {
      retryable: true,
      details: { runId, why },
    });
    this.name = "RunFenceLost";
  }
}
