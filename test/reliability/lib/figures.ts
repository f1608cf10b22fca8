// The suite's figures (kill points survived, faults injected, …), accumulated across test files in
// one JSON file under the sandbox state dir; global-setup.ts resets it, table-reporter.ts prints it.
// Every figure is counted from what a test observed, never written as a constant.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { sandboxPaths } from "../../../sandbox/lib/paths.js";

export interface Figures {
  /** Real SIGKILLs of a worker at a fault point whose run then ended succeeded and checked out. */
  killPointsSurvived: number;
  /** Every fault made on purpose: kills, restarts, stopped services, delays. */
  faultsInjected: number;
  /** Hostile requests and documents sent to the service. */
  inputsTried: number;
  /** Runs (or steps) whose effects were recorded as applied more than once. */
  runsExecutedTwice: number;
  /** Audit entries a transition history needed but the log (stream or JSONL) lacks. */
  auditEntriesLost: number;
  /** Ways Redis lost data on purpose (FLUSHALL, restart without persistence, AOF rollback). */
  redisLossScenarios: number;
  /** Of those, how many the service detected (state-lost) before acting on the lost store. */
  redisLossDetected: number;
  /** Acknowledged audit entries (in the fsync'd file) missing from the chain after detection and restore. */
  redisLossEntriesLost: number;
  /** Sentinel failovers forced by losing the datacenter of the Redis primary (one of the loss scenarios). */
  sentinelFailovers: number;
  /** Of those, how many kept the chain whole with nothing to detect or restore. */
  sentinelFailoversIntact: number;
  /** /readyz probes while a datacenter (its Kafka, Connect, Redis primary, Sentinel) was down, after promotion. */
  dcLossReadinessProbes: number;
  /** Of those, how many answered 200. */
  dcLossReadinessOk: number;
  /** Authorization cases sent (endpoint × caller, and run command × caller × run state). */
  authorizationCases: number;
  /** Cases where a caller got past the policy: an answer the table refuses, or a change applied without it. */
  authorizationBypasses: number;
  /** One line per check, for the table's detail section. */
  notes: string[];
}

const EMPTY: Figures = {
  killPointsSurvived: 0,
  faultsInjected: 0,
  inputsTried: 0,
  runsExecutedTwice: 0,
  auditEntriesLost: 0,
  redisLossScenarios: 0,
  redisLossDetected: 0,
  redisLossEntriesLost: 0,
  sentinelFailovers: 0,
  sentinelFailoversIntact: 0,
  dcLossReadinessProbes: 0,
  dcLossReadinessOk: 0,
  authorizationCases: 0,
  authorizationBypasses: 0,
  notes: [],
};

export function figuresFile(): string {
  return join(sandboxPaths().state, "reliability", "figures.json");
}

export function readFigures(): Figures {
  const file = figuresFile();
  if (!existsSync(file)) return { ...EMPTY, notes: [] };
  return { ...EMPTY, ...(JSON.parse(readFileSync(file, "utf8")) as Partial<Figures>) };
}

export function resetFigures(): void {
  const file = figuresFile();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(EMPTY, null, 2)}\n`);
}

/** Adds to the counters (files run one at a time in this project, so read-modify-write is safe). */
export function addFigures(add: Partial<Omit<Figures, "notes">>, note?: string): void {
  const f = readFigures();
  for (const [k, v] of Object.entries(add) as [keyof Omit<Figures, "notes">, number][]) f[k] += v;
  if (note) f.notes.push(note);
  mkdirSync(dirname(figuresFile()), { recursive: true });
  writeFileSync(figuresFile(), `${JSON.stringify(f, null, 2)}\n`);
}

export function formatTable(f: Figures): string {
  const rows: [string, string][] = [
    ["kill points survived", String(f.killPointsSurvived)],
    ["faults injected", String(f.faultsInjected)],
    ["inputs tried", String(f.inputsTried)],
    ["runs executed twice (must be 0)", String(f.runsExecutedTwice)],
    ["audit entries lost (must be 0)", String(f.auditEntriesLost)],
  ];
  if (f.authorizationCases > 0) {
    rows.push(
      ["authorization cases tried", String(f.authorizationCases)],
      ["authorization bypasses (must be 0)", String(f.authorizationBypasses)],
    );
  }
  if (f.redisLossScenarios > 0) {
    // A Sentinel failover that kept everything has no loss to detect; it counts as intact instead.
    const lossy = f.redisLossScenarios - f.sentinelFailoversIntact;
    rows.push(
      [
        "Redis loss scenarios (FLUSHALL, no-AOF restart, AOF rollback, Sentinel failover)",
        String(f.redisLossScenarios),
      ],
      ["Redis loss scenarios: losses detected", `${f.redisLossDetected}/${lossy}`],
      ["Redis loss scenarios: acknowledged audit entries lost (must be 0)", String(f.redisLossEntriesLost)],
    );
    if (f.sentinelFailovers > 0) {
      rows.push([
        "Sentinel failovers with the chain intact",
        `${f.sentinelFailoversIntact}/${f.sentinelFailovers}`,
      ]);
    }
  }
  if (f.dcLossReadinessProbes > 0) {
    rows.push(["/readyz 200 during a DC loss", `${f.dcLossReadinessOk}/${f.dcLossReadinessProbes}`]);
  }
  const w = Math.max(...rows.map(([k]) => k.length));
  const v = Math.max(...rows.map(([, x]) => x.length));
  const line = `+-${"-".repeat(w)}-+-${"-".repeat(v)}-+`;
  const out = [line, ...rows.map(([k, x]) => `| ${k.padEnd(w)} | ${x.padStart(v)} |`), line];
  if (f.notes.length > 0) out.push(...f.notes.map((n) => `  ${n}`));
  return `reliability suite\n${out.join("\n")}\n`;
}
