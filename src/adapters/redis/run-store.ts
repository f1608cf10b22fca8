// RunStore on Redis. Each run is one hash: `v` (version), `runbook` (written once), `head` (the run's
// own fields), `n` (step count) and `s:<i>` per step, so a transition rewrites only the run head and
// the step that changed. Saves are compare-and-set on `v` inside a Lua script: two workers (or a
// worker and a cancel) can never interleave a write, and a save carrying claims (the saving worker's
// lease token and target-lock grants) is refused once any of them is no longer held. A sorted set
// indexes runs by creation time, and a hash counts runs by state and mode (`<state>|dry` /
// `<state>|real`), kept exact by the same scripts: each run hash holds its counted key in `st`, and
// a save that changes the state moves one count.
import type { Redis } from "ioredis";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import type { RunRecord, StepRecord } from "../../engine/run-record.js";
import { RunFenceLost } from "../../engine/ports/run-fence.js";
import { runNotFound, versionConflict } from "../../engine/ports/run-store.js";
import type { RunCount, RunStore, SaveOptions } from "../../engine/ports/run-store.js";

// KEYS[1] run hash, KEYS[2] index, KEYS[3] counts; ARGV: createdAt, id, counted key, then field/value
// pairs. 1, or 0 if it exists.
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'st', ARGV[3], unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
return 1`;

// KEYS[1] run hash, KEYS[2] counts, KEYS[3..] claim keys; ARGV: expected version, new version,
// counted key, the claims' values (one per claim key, in order), then field/value pairs. Returns
// {-1, 0} if missing, {-2, stored} if stale, {-3, i} if claim i (1-based) no longer holds, {new
// version, 0} when written.
const SAVE = `
for i = 3, #KEYS do
  if redis.call('GET', KEYS[i]) ~= ARGV[i + 1] then return {-3, i - 2} end
end
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return {-1, 0} end
if v ~= ARGV[1] then return {-2, tonumber(v)} end
local st = redis.call('HGET', KEYS[1], 'st')
if st ~= ARGV[3] then
  if st then redis.call('HINCRBY', KEYS[2], st, -1) end
  redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'st', ARGV[3], unpack(ARGV, #KEYS + 2))
return {tonumber(ARGV[2]), 0}`;

export interface RedisRunStoreOptions {
  /** Key prefix, e.g. "switchover" → switchover:run:<id>, switchover:runs. */
  prefix: string;
}

export class RedisRunStore implements RunStore {
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    opts: RedisRunStoreOptions,
  ) {
    this.prefix = opts.prefix;
    redis.defineCommand("soRunCreate", { numberOfKeys: 3, lua: CREATE });
    redis.defineCommand("soRunSave", { lua: SAVE });
  }

  private runKey(id: string): string {
    return `${this.prefix}:run:${id}`;
  }
  private indexKey(): string {
    return `${this.prefix}:runs`;
  }
  private countKey(): string {
    return `${this.prefix}:runs:count`;
  }
  private static counted(run: RunRecord): string {
    return `${run.state}|${run.dryRun ? "dry" : "real"}`;
  }

  async create(run: RunRecord): Promise<RunRecord> {
    const stored = { ...run, version: 1 };
    const fields = ["v", "1", "runbook", JSON.stringify(run.runbook), ...this.fields(stored)];
    const ok = (await this.call(
      "soRunCreate",
      this.runKey(run.id),
      this.indexKey(),
      this.countKey(),
      String(run.createdAt),
      run.id,
      RedisRunStore.counted(run),
      ...fields,
    )) as number;
    if (ok !== 1) {
      throw new SwitchoverError(ErrorCode.Conflict, `run ${run.id} already exists`, {
        details: { runId: run.id },
      });
    }
    return stored;
  }

  async get(id: string): Promise<RunRecord | undefined> {
    return this.assemble(await this.redis.hgetall(this.runKey(id)));
  }

  async save(run: RunRecord, opts: SaveOptions = {}): Promise<RunRecord> {
    const next = { ...run, version: run.version + 1 };
    const claims = opts.claims ?? [];
    const result = (await this.call(
      "soRunSave",
      String(claims.length + 2),
      this.runKey(run.id),
      this.countKey(),
      ...claims.map((c) => c.key),
      String(run.version),
      String(next.version),
      RedisRunStore.counted(next),
      ...claims.map((c) => c.value),
      ...this.fields(next, opts.changedSteps),
    )) as [number, number];
    if (result[0] === -3) {
      const claim = claims[result[1] - 1];
      throw new RunFenceLost(run.id, `${claim?.key ?? "a claim"} is no longer held by this worker`);
    }
    if (result[0] === -1) throw runNotFound(run.id);
    if (result[0] === -2) throw versionConflict(run.id, run.version, result[1]);
    return next;
  }

  /** Field/value pairs for the run head and the given steps (all steps when not given). */
  private fields(run: RunRecord, changedSteps?: readonly number[]): string[] {
    const { steps, runbook: _runbook, ...head } = run;
    const out = ["head", JSON.stringify(head), "n", String(steps.length)];
    const indexes = changedSteps ?? steps.map((_, i) => i);
    for (const i of indexes) {
      const step = steps[i];
      if (step) out.push(`s:${i}`, JSON.stringify(step));
    }
    return out;
  }

  private assemble(hash: Record<string, string>): RunRecord | undefined {
    if (!hash.head || !hash.runbook) return undefined;
    const head = JSON.parse(hash.head) as Omit<RunRecord, "steps" | "runbook">;
    const steps: StepRecord[] = [];
    const n = Number(hash.n ?? 0);
    for (let i = 0; i < n; i++) steps.push(JSON.parse(hash[`s:${i}`] ?? "null") as StepRecord);
    return {
      ...head,
      version: Number(hash.v),
      runbook: JSON.parse(hash.runbook) as RunRecord["runbook"],
      steps,
    };
  }

  async list(opts: { limit?: number } = {}): Promise<RunRecord[]> {
    const ids = await this.redis.zrevrange(this.indexKey(), 0, (opts.limit ?? 100) - 1);
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.runKey(id));
    const results = (await pipeline.exec()) ?? [];
    return results.flatMap(([, hash]) => {
      const run = this.assemble((hash ?? {}) as Record<string, string>);
      return run ? [run] : [];
    });
  }

  /** Every run stored, counted by state and mode (exact, whatever their number; zero rows left out). */
  async countByState(): Promise<RunCount[]> {
    const hash = await this.redis.hgetall(this.countKey());
    return Object.entries(hash)
      .map(([key, n]) => {
        const [state, mode] = key.split("|") as [RunRecord["state"], "dry" | "real"];
        return { state, mode, count: Number(n) };
      })
      .filter((r) => r.count > 0)
      .sort((a, b) => `${a.state}|${a.mode}`.localeCompare(`${b.state}|${b.mode}`));
  }

  /** Deletes every run under the prefix (tests and sandbox resets), through SCAN, never KEYS. */
  async clear(): Promise<void> {
    let cursor = "0";
    do {
      const [next, keys] = await this.redis.scan(cursor, "MATCH", `${this.prefix}:run:*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) await this.redis.del(...keys);
    } while (cursor !== "0");
    await this.redis.del(this.indexKey(), this.countKey());
  }

  private call(command: string, ...args: string[]): Promise<unknown> {
    const fn = (this.redis as unknown as Record<string, (...a: string[]) => Promise<unknown>>)[command]!;
    return fn.apply(this.redis, args);
  }
}
