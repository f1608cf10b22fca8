// RunStore in process memory for unit tests. Records are cloned in and out, as a real store would
// serialise them, so tests cannot pass by sharing objects with the engine.
import type { RunRecord } from "../run-record.js";
import { runNotFound, versionConflict } from "./run-store.js";
import type { RunStore, SaveOptions } from "./run-store.js";
import { ErrorCode, SwitchoverError } from "../errors.js";

export class MemoryRunStore implements RunStore {
  private readonly runs = new Map<string, string>();

  async create(run: RunRecord): Promise<RunRecord> {
    if (this.runs.has(run.id)) {
      throw new SwitchoverError(ErrorCode.Conflict, `run ${run.id} already exists`, {
        details: { runId: run.id },
      });
    }
    const stored = { ...run, version: 1 };
    this.runs.set(run.id, JSON.stringify(stored));
    return JSON.parse(JSON.stringify(stored)) as RunRecord;
  }

  async get(id: string): Promise<RunRecord | undefined> {
    const text = this.runs.get(id);
    return text === undefined ? undefined : (JSON.parse(text) as RunRecord);
  }

  /** Honours changedSteps exactly as a partial-writing store would: unlisted steps keep their stored value. */
  async save(run: RunRecord, opts: SaveOptions = {}): Promise<RunRecord> {
    const text = this.runs.get(run.id);
    if (text === undefined) throw runNotFound(run.id);
    const current = JSON.parse(text) as RunRecord;
    if (current.version !== run.version) throw versionConflict(run.id, run.version, current.version);
    const changed = opts.changedSteps;
    const steps = changed
      ? current.steps.map((s, i) => (changed.includes(i) ? run.steps[i]! : s))
      : run.steps;
    const stored = { ...run, runbook: current.runbook, steps, version: run.version + 1 };
    const out = JSON.stringify(stored);
    this.runs.set(run.id, out);
    return JSON.parse(out) as RunRecord;
  }

  async list(opts: { limit?: number } = {}): Promise<RunRecord[]> {
    const all = [...this.runs.values()].map((t) => JSON.parse(t) as RunRecord);
    all.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
    return all.slice(0, opts.limit ?? 100);
  }
}
