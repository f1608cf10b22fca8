// Deterministic crash points for the reliability suite (test/reliability): a worker started with
// SWITCHOVER_FAULT_KILL_AT="<step-id>:<phase>[:<nth>]" SIGKILLs itself at that point of the executor
// (see FAULT_PHASES), exactly like `kill -9` from outside. A comma-separated list kills at the first
// of them reached (a resumed apply that converges may skip a later adapter call: the next point
// then fires). Off unless the variable is set: without it faultHookFromEnv returns undefined and
// the executor does nothing extra.
//   phase mid-apply: nth = the adapter call within one apply (1 = right after the first call
//   resolved, before the step sees its result); every other phase: the nth time this process
//   reaches it (default 1).
// SWITCHOVER_FAULT_TRACE=<file> appends every point reached (and each apply's adapter call count) as
// JSON lines, which is how the suite learns the points a runbook passes through. Processes sharing
// a trace file share their kills: a point some process already died at does not fire again, so a
// pool of workers started with the same list walks a run through every point once.
// SWITCHOVER_FAULT_STOP_AT (same syntax) SIGSTOPs the worker there instead, as a stall would (a GC
// pause, a frozen VM): the suite lets its lease expire, has another worker take the run, then
// SIGCONTs it and checks that it no longer acts (see engine/ports/run-fence.ts).
import { appendFileSync, readFileSync } from "node:fs";
import { FAULT_PHASES } from "../engine/ports/fault-hook.js";
import type { FaultHook, FaultPhase } from "../engine/ports/fault-hook.js";

export interface KillPoint {
  stepId: string;
  phase: FaultPhase;
  nth: number;
}

/** "<step-id>:<phase>[:<nth>]"; throws on anything else, so a typo never silently disables a test. */
export function parseKillPoint(text: string): KillPoint {
  const parts = text.split(":");
  let nth = 1;
  if (parts.length >= 3 && /^[1-9][0-9]*$/.test(parts[parts.length - 1]!)) nth = Number(parts.pop());
  const phase = parts.pop() as FaultPhase;
  const stepId = parts.join(":");
  if (!stepId || !(FAULT_PHASES as readonly string[]).includes(phase)) {
    throw new Error(
      `SWITCHOVER_FAULT_KILL_AT must be <step-id>:<phase>[:<nth>] with phase one of ${FAULT_PHASES.join(", ")}; got "${text}"`,
    );
  }
  return { stepId, phase, nth };
}

export function formatKillPoint(p: KillPoint): string {
  return `${p.stepId}:${p.phase}:${p.nth}`;
}

type Wrappable = Record<PropertyKey, unknown>;

function wrappable(v: unknown): v is Wrappable {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    !Buffer.isBuffer(v) &&
    !(v instanceof Map) &&
    !(v instanceof Set) &&
    !(v instanceof Date) &&
    typeof (v as { then?: unknown }).then !== "function"
  );
}

/** Proxies an adapter so every async method call (and those of objects it hands out or holds) is counted. */
function counted<T extends object>(obj: T, onCall: () => void, depth: number): T {
  return new Proxy(obj, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target);
      // Objects reached through properties (fleet(name).controller.pause) are counted too.
      if (typeof v !== "function") return depth > 0 && wrappable(v) ? counted(v, onCall, depth - 1) : v;
      return (...args: unknown[]): unknown => {
        const r: unknown = (v as (...a: unknown[]) => unknown).apply(target, args);
        const deeper = (x: unknown): unknown =>
          depth > 0 && wrappable(x) ? counted(x, onCall, depth - 1) : x;
        if (r instanceof Promise) {
          return r.then((value: unknown) => {
            onCall();
            return deeper(value);
          });
        }
        return deeper(r);
      };
    },
  });
}

export class FaultInjector implements FaultHook {
  private readonly seen = new Map<string, number>();
  private readonly applyCalls = new Map<string, number>();
  private readonly paused = new Set<string>();

  constructor(
    private readonly kills: readonly KillPoint[],
    private readonly traceFile: string | undefined,
    private readonly die: (point: string) => void = defaultDie,
    private readonly stops: readonly KillPoint[] = [],
    private readonly stall: (point: string) => void = defaultStall,
  ) {}

  reached(runId: string, stepId: string, phase: FaultPhase): void {
    const key = `${stepId}:${phase}`;
    const n = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, n);
    this.trace({ runId, stepId, phase, nth: n });
    if (this.kills.some((k) => k.phase === phase && k.stepId === stepId && k.nth === n)) {
      this.fire(runId, `${key}:${n}`);
    }
    if (this.stops.some((k) => k.phase === phase && k.stepId === stepId && k.nth === n)) {
      this.pause(runId, `${key}:${n}`);
    }
  }

  wrapApply<T extends object>(runId: string, stepId: string, adapters: T): T {
    const key = `${runId}/${stepId}`;
    this.applyCalls.set(key, 0);
    const onCall = (): void => {
      const n = (this.applyCalls.get(key) ?? 0) + 1;
      this.applyCalls.set(key, n);
      if (this.kills.some((k) => k.phase === "mid-apply" && k.stepId === stepId && k.nth === n)) {
        this.fire(runId, `${stepId}:mid-apply:${n}`);
      }
      if (this.stops.some((k) => k.phase === "mid-apply" && k.stepId === stepId && k.nth === n)) {
        this.pause(runId, `${stepId}:mid-apply:${n}`);
      }
    };
    const out: Record<string, unknown> = {};
    for (const [name, adapter] of Object.entries(adapters)) {
      out[name] = wrappable(adapter) ? counted(adapter, onCall, 3) : adapter;
    }
    return out as T;
  }

  applyDone(runId: string, stepId: string): void {
    const calls = this.applyCalls.get(`${runId}/${stepId}`) ?? 0;
    this.trace({ runId, stepId, phase: "apply-calls", calls });
  }

  /** Points a process sharing the trace file already died at. */
  private killedBefore(): Set<string> {
    const out = new Set<string>();
    if (!this.traceFile) return out;
    let text = "";
    try {
      text = readFileSync(this.traceFile, "utf8");
    } catch {
      return out;
    }
    for (const line of text.split("\n")) {
      if (!line.includes('"killed"')) continue;
      try {
        const k = (JSON.parse(line) as { killed?: unknown }).killed;
        if (typeof k === "string") out.add(k);
      } catch {
        /* a torn line */
      }
    }
    return out;
  }

  private fire(runId: string, point: string): void {
    if (this.killedBefore().has(point)) return;
    this.trace({ runId, killed: point });
    this.die(point);
  }

  /** Stalls this process once per point (a process resumed after SIGCONT does not stop there again). */
  private pause(runId: string, point: string): void {
    if (this.paused.has(point)) return;
    this.paused.add(point);
    this.trace({ runId, stopped: point });
    this.stall(point);
    this.trace({ runId, continued: point });
  }

  private trace(line: Record<string, unknown>): void {
    if (this.traceFile)
      appendFileSync(this.traceFile, `${JSON.stringify({ pid: process.pid, at: Date.now(), ...line })}\n`);
  }
}

function defaultDie(point: string): void {
  process.stderr.write(`fault injection: SIGKILL at ${point}\n`);
  process.kill(process.pid, "SIGKILL");
}

function defaultStall(point: string): void {
  process.stderr.write(`fault injection: SIGSTOP at ${point}\n`);
  process.kill(process.pid, "SIGSTOP");
}

/** The hook the environment asks for, or undefined (production: no variable, no hook). */
export function faultHookFromEnv(env: NodeJS.ProcessEnv = process.env): FaultHook | undefined {
  const at = env.SWITCHOVER_FAULT_KILL_AT?.trim();
  const stopAt = env.SWITCHOVER_FAULT_STOP_AT?.trim();
  const trace = env.SWITCHOVER_FAULT_TRACE?.trim();
  if (!at && !stopAt && !trace) return undefined;
  const points = (text: string | undefined): KillPoint[] =>
    text ? text.split(",").map((p) => parseKillPoint(p.trim())) : [];
  return new FaultInjector(points(at), trace || undefined, defaultDie, points(stopAt));
}
