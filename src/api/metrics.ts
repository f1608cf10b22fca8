// Prometheus metrics of one process, in its own registry: runs by state, step durations, queue
// depth, target-lock contention, queue pickup latency and HTTP request durations.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { RunCount } from "../engine/ports/run-store.js";
import type { WorkerObserver } from "../queue/run-worker.js";

export interface MetricsSources {
  /** Every stored run counted by state and mode, for the runs-by-state gauge. */
  runCounts?: () => Promise<RunCount[]>;
  queueDepth?: () => Promise<Record<string, number>>;
}

export class ServiceMetrics implements WorkerObserver {
  readonly registry = new Registry();
  private readonly stepDuration: Histogram;
  private readonly pickupLatency: Histogram;
  private readonly lockConflicts: Counter;
  private readonly lockAcquire: Histogram;
  private readonly runsSettled: Counter;
  readonly httpDuration: Histogram;
  private readonly stateLost: Gauge;

  constructor(sources: MetricsSources = {}, opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics)
      collectDefaultMetrics({ register: this.registry, prefix: "switchover_process_" });
    this.stepDuration = new Histogram({
      name: "switchover_step_duration_seconds",
      help: "Step duration from planning to its final state, by step kind and final state",
      labelNames: ["kind", "state"],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers,
    });
    this.pickupLatency = new Histogram({
      name: "switchover_queue_pickup_seconds",
      help: "Time from enqueue to a worker starting the job",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    });
    this.lockConflicts = new Counter({
      name: "switchover_target_lock_conflicts_total",
      help: "Real runs refused because another real run holds a target",
      labelNames: ["target"],
      registers,
    });
    this.lockAcquire = new Histogram({
      name: "switchover_target_lock_acquire_seconds",
      help: "Time taken to acquire (or be refused) a run's target locks",
      labelNames: ["outcome"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
      registers,
    });
    this.runsSettled = new Counter({
      name: "switchover_runs_finished_total",
      help: "Runs this process saw finish, by final state",
      labelNames: ["state"],
      registers,
    });
    this.httpDuration = new Histogram({
      name: "switchover_http_request_duration_seconds",
      help: "HTTP request duration by route and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    });
    this.stateLost = new Gauge({
      name: "switchover_state_lost",
      help: "1 while Redis lost state the audit file proves it had (state-lost: run commands refused until restored)",
      registers,
    });
    this.stateLost.set(0);
    if (sources.runCounts) {
      const counts = sources.runCounts;
      new Gauge({
        name: "switchover_runs",
        help: "Runs stored, by state and mode",
        labelNames: ["state", "mode"],
        registers,
        async collect() {
          this.reset();
          for (const { state, mode, count } of await counts()) this.set({ state, mode }, count);
        },
      });
    }
    if (sources.queueDepth) {
      const depth = sources.queueDepth;
      new Gauge({
        name: "switchover_queue_jobs",
        help: "Jobs in the run queue by state",
        labelNames: ["state"],
        registers,
        async collect() {
          this.reset();
          for (const [state, n] of Object.entries(await depth())) this.set({ state }, n);
        },
      });
    }
  }

  setStateLost(lost: boolean): void {
    this.stateLost.set(lost ? 1 : 0);
  }

  pickup(ms: number): void {
    this.pickupLatency.observe(ms / 1_000);
  }

  stepFinished(kind: string, state: string, seconds: number): void {
    this.stepDuration.observe({ kind, state }, seconds);
  }

  runSettled(state: string): void {
    this.runsSettled.inc({ state });
  }

  lockResult(outcome: "acquired" | "conflict", seconds: number, target?: string): void {
    this.lockAcquire.observe({ outcome }, seconds);
    if (outcome === "conflict" && target) this.lockConflicts.inc({ target });
  }
}
