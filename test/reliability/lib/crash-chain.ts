// Drives one real run through a pool of worker processes that all carry the same kill points
// (SWITCHOVER_FAULT_KILL_AT, first reached fires; a shared trace file makes each point fire once):
// the worker driving the run SIGKILLs itself at the next point, an idle one (already booted)
// resumes the run, and the pool is topped up. Returns the points workers actually died at.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { FAULT_PHASES } from "../../../src/engine/ports/fault-hook.js";
import type { ApiHandle } from "./api-process.js";
import type { SuiteEnvironment } from "./environment.js";
import { spawnService } from "./processes.js";
import type { ServiceChild } from "./processes.js";

export interface ChainResult {
  runId: string;
  state: string;
  /** Points, in the order workers died at them. */
  killedAt: string[];
  /** Points no worker died at (e.g. an apply with fewer adapter calls than planned for). */
  passed: string[];
  workers: number;
  ms: number;
}

/** The boundaries between a step's persisted phases (and before its success is saved). */
const BOUNDARIES = new Set(["before-plan", "before-apply", "before-verify", "after-verify"]);

/**
 * The kill points of a runbook's steps, in executor order. A step listed in `mutating` gets every
 * point, with mid-apply after each of its first N adapter calls; a read-only step (its apply
 * changes nothing) gets the four boundaries: its inner points run the same code as a mutating
 * step's, without anything to repeat.
 */
export function killPointsFor(stepIds: readonly string[], mutating: Record<string, number> = {}): string[] {
  const out: string[] = [];
  for (const id of stepIds) {
    const calls = mutating[id];
    for (const phase of FAULT_PHASES) {
      if (calls === undefined && !BOUNDARIES.has(phase)) continue;
      if (phase !== "mid-apply") out.push(`${id}:${phase}:1`);
      else for (let n = 1; n <= (calls ?? 0); n++) out.push(`${id}:mid-apply:${n}`);
    }
  }
  return out;
}

interface TraceLine {
  pid: number;
  killed?: string;
}

function readTrace(file: string): TraceLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as TraceLine];
      } catch {
        return [];
      }
    });
}

export async function runCrashChain(opts: {
  env: SuiteEnvironment;
  api: ApiHandle;
  runbook: string;
  params: Record<string, unknown>;
  points: string[];
  timeoutMs: number;
  label: string;
  /** Workers alive at once (one drives, the rest wait booted). */
  pool?: number;
  extraEnv?: Record<string, string>;
}): Promise<ChainResult> {
  const { env, api } = opts;
  const t0 = Date.now();
  const trace = join(env.dir, `trace-${opts.label}.jsonl`);
  let workerNo = 0;
  const spawnOne = (): ServiceChild => {
    workerNo += 1;
    const name = `${opts.label}-w${workerNo}`;
    return spawnService({
      name,
      configFile: env.file,
      mode: "worker",
      logFile: join(env.dir, `workers-${opts.label}.log`),
      auditJsonl: join(env.dir, `audit-${name}.jsonl`),
      env: {
        SWITCHOVER_FAULT_TRACE: trace,
        SWITCHOVER_FAULT_KILL_AT: opts.points.join(","),
        ...opts.extraEnv,
      },
    });
  };
  const all: ServiceChild[] = [];
  const checked = new Set<ServiceChild>();
  const top = (): void => {
    while (all.filter((c) => c.alive()).length < (opts.pool ?? 4)) all.push(spawnOne());
  };
  top();
  const started = await api.call(env.tokens.admin, "POST", `/v1/runbooks/${opts.runbook}/runs`, {
    params: opts.params,
    dryRun: false,
    reason: `reliability: crash chain ${opts.label}`,
  });
  if (started.status !== 201 && started.status !== 202) {
    throw new Error(`start ${opts.runbook}: ${started.status} ${JSON.stringify(started.body)}`);
  }
  const runId = (started.body as { id: string }).id;
  const deadline = Date.now() + opts.timeoutMs;
  const killedAt = (): string[] => readTrace(trace).flatMap((l) => (l.killed ? [l.killed] : []));
  try {
    for (;;) {
      // Every worker that ended must have ended by its own fault kill, nothing else.
      for (const c of all.filter((w) => !w.alive() && !checked.has(w))) {
        checked.add(c);
        const how = await c.exited;
        const died = readTrace(trace).filter((l) => l.pid === c.pid && l.killed);
        if (how.signal !== "SIGKILL" || died.length !== 1) {
          throw new Error(
            `worker ${c.name} ended ${JSON.stringify(how)} without a fault kill (see workers-${opts.label}.log)`,
          );
        }
      }
      const run = await api.service.engine.get(runId);
      if (run && ["succeeded", "failed", "cancelled"].includes(run.state)) {
        const killed = killedAt();
        return {
          runId,
          state: run.state,
          killedAt: killed,
          passed: opts.points.filter((p) => !killed.includes(p)),
          workers: workerNo,
          ms: Date.now() - t0,
        };
      }
      if (Date.now() > deadline) {
        throw new Error(
          `run ${runId} (${opts.runbook}) is ${run?.state} after ${opts.timeoutMs} ms; killed at ${killedAt().join(", ")}`,
        );
      }
      top();
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await Promise.all(all.map((c) => c.stop(5_000)));
  }
}
