// RunStore on Redis. Each run is one hash {v: version, doc: JSON}; saves are compare-and-set on the
// version inside a Lua script, so two workers (or a worker and a cancel) can never interleave a write.
// A sorted set indexes runs by creation time for listing.
import type { Redis } from "ioredis";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import type { RunRecord } from "../../engine/run-record.js";
import { runNotFound, versionConflict } from "../../engine/ports/run-store.js";
import type { RunStore } from "../../engine/ports/run-store.js";

// KEYS[1] run hash, KEYS[2] index; ARGV: doc, createdAt, id. Returns 1, or 0 if the run exists.
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', '1', 'doc', ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1`;

// KEYS[1] run hash; ARGV: expected version, new doc. Returns -1 missing, -2 stale (then the
// stored version in the 2nd slot), or the new version.
const SAVE = `
local v = redis.call('HGET', KEYS[1], 'v')
if not v then return {-1, 0} end
if v ~= ARGV[1] then return {-2, tonumber(v)} end
local nv = tonumber(v) + 1
redis.call('HSET', KEYS[1], 'v', tostring(nv), 'doc', ARGV[2])
return {nv, 0}`;

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
    redis.defineCommand("soRunCreate", { numberOfKeys: 2, lua: CREATE });
    redis.defineCommand("soRunSave", { numberOfKeys: 1, lua: SAVE });
  }

  private runKey(id: string): string {
    return `${this.prefix}:run:${id}`;
  }
  private indexKey(): string {
    return `${this.prefix}:runs`;
  }

  async create(run: RunRecord): Promise<RunRecord> {
    const stored = { ...run, version: 1 };
    const ok = (await this.call(
      "soRunCreate",
      this.runKey(run.id),
      this.indexKey(),
      JSON.stringify(stored),
      String(run.createdAt),
      run.id,
    )) as number;
    if (ok !== 1) {
      throw new SwitchoverError(ErrorCode.Conflict, `run ${run.id} already exists`, {
        details: { runId: run.id },
      });
    }
    return stored;
  }

  async get(id: string): Promise<RunRecord | undefined> {
    const doc = await this.redis.hget(this.runKey(id), "doc");
    return doc === null ? undefined : (JSON.parse(doc) as RunRecord);
  }

  async save(run: RunRecord): Promise<RunRecord> {
    // The stored doc carries its own next version, so get() never needs a second field read.
    const next = { ...run, version: run.version + 1 };
    const [result, actual] = (await this.call(
      "soRunSave",
      this.runKey(run.id),
      String(run.version),
      JSON.stringify(next),
    )) as [number, number];
    if (result === -1) throw runNotFound(run.id);
    if (result === -2) throw versionConflict(run.id, run.version, actual);
    return next;
  }

  async list(opts: { limit?: number } = {}): Promise<RunRecord[]> {
    const ids = await this.redis.zrevrange(this.indexKey(), 0, (opts.limit ?? 100) - 1);
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.runKey(id), "doc");
    const results = (await pipeline.exec()) ?? [];
    return results.flatMap(([, doc]) => (typeof doc === "string" ? [JSON.parse(doc) as RunRecord] : []));
  }

  /** Deletes every run under the prefix (tests and sandbox resets), through SCAN, never KEYS. */
  async clear(): Promise<void> {
    let cursor = "0";
    do {
      const [next, keys] = await this.redis.scan(cursor, "MATCH", `${this.prefix}:run:*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) await this.redis.del(...keys);
    } while (cursor !== "0");
    await this.redis.del(this.indexKey());
  }

  private call(command: string, ...args: string[]): Promise<unknown> {
    const fn = (this.redis as unknown as Record<string, (...a: string[]) => Promise<unknown>>)[command]!;
    return fn.apply(this.redis, args);
  }
}
