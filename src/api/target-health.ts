// Health of the systems switchover acts on (Kafka clusters; more kinds plug in as named checks),
// polled in the background and reported by /healthz and the switchover_target_up gauge. Never part
// of readiness: a cluster that does not answer is a DC loss, when the API must stay in service.
// Polled rather than checked per request so a liveness probe never waits on a dead datacenter.
import { Gauge } from "prom-client";
import type { Registry } from "prom-client";
import type { DependencyCheck, ReadinessResult } from "./readiness.js";
import { Readiness } from "./readiness.js";

export type TargetStatus = ReadinessResult["checks"][string];

export class TargetHealth {
  private readonly checks: Readiness;
  private snapshot: Record<string, TargetStatus> = {};
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    checks: readonly DependencyCheck[],
    registry: Registry,
    private readonly intervalMs = 15_000,
    timeoutMs = 2_000,
  ) {
    this.checks = new Readiness(checks, timeoutMs, 0);
    const current = (): Record<string, TargetStatus> => this.snapshot;
    new Gauge({
      name: "switchover_target_up",
      help: "1 when a target system (e.g. kafka:<cluster>) answered its last health check, else 0",
      labelNames: ["target"],
      registers: [registry],
      collect() {
        this.reset();
        for (const [target, s] of Object.entries(current())) this.set({ target }, s.ok ? 1 : 0);
      },
    });
  }

  /** The last results (empty until the first pass has finished). */
  current(): Record<string, TargetStatus> {
    return this.snapshot;
  }

  start(): this {
    if (this.timer) return this;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  refresh(): Promise<void> {
    this.running ??= this.checks
      .run()
      .then((r) => {
        this.snapshot = r.checks;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}
