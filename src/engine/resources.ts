// The one bundle of ports the engine is built from; the composition root is the only place that
// fills it with concrete adapters.
import type { AuditSink } from "./ports/audit-sink.js";
import type { Clock } from "./ports/clock.js";
import type { FaultHook } from "./ports/fault-hook.js";
import type { Logger } from "./ports/logger.js";
import type { RunStore } from "./ports/run-store.js";
import type { SecretSource } from "./ports/secret-source.js";
import type { ProvidedAdapters } from "./step-contract.js";
import type { StepCatalog } from "./step-catalog.js";
import type { TargetCatalog } from "./target-catalog.js";

export interface EngineResources {
  store: RunStore;
  clock: Clock;
  audit: AuditSink;
  logger: Logger;
  catalog: StepCatalog;
  targets: TargetCatalog;
  /** Adapters steps may ask for; a step asking for one that is missing fails at its first phase. */
  adapters: ProvidedAdapters;
  /** The environment's `secrets`, for `${{ secrets.NAME }}` in step inputs; none when absent. */
  secrets?: SecretSource;
  newId?: () => string;
  /**
   * How often an executing run re-reads its record for a cancel request made by another process
   * (the API cancels, a worker executes); default 1000 ms. In-process cancels abort at once.
   */
  cancelPollMs?: number;
  /** Test-only crash points (the reliability suite); undefined in production. */
  faults?: FaultHook;
}
