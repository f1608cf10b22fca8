// One real run per target: an atomic multi-key lock in Redis. All of a run's targets are taken in
// one Lua script or none are; each grant gets a fencing number (monotonic), so a holder can prove
// it still owns the lock before acting: the worker driving a run re-takes its targets when it starts
// (a new fence), and its saves carry the grant (see AcquireResult.claims), so an earlier worker of
// the same run, whose fence was superseded, can no longer write it. Locks expire (ttl) as a last
// resort against leaks, and a lock whose holder run is finished is reclaimed (see acquire).
import type { Redis } from "ioredis";
import type { StoreClaim } from "../engine/ports/run-fence.js";

// KEYS[1] fence counter, KEYS[2..] lock keys. ARGV: runId, now, ttlMs.
// Returns {1, fence} or {0, contended key, holder value}.
const ACQUIRE = `
for i = 2, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if v and string.sub(v, 1, string.len(ARGV[1]) + 1) ~= ARGV[1] .. '|' then
    return {0, KEYS[i], v}
  end
end
local fence = redis.call('INCR', KEYS[1])
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], ARGV[1] .. '|' .. ARGV[2] .. '|' .. fence, 'PX', ARGV[3])
end
return {1, fence}`;

// KEYS: lock keys. ARGV[1]: runId. Deletes only the keys this run holds.
const RELEASE = `
local n = 0
for i = 1, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if v and string.sub(v, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. '|' then
    redis.call('DEL', KEYS[i]); n = n + 1
  end
end
return n`;

// KEYS[1]: lock key. ARGV[1]: the exact value seen. Deletes it only if unchanged.
const RECLAIM = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface LockHolderInfo {
  runId: string;
  target: string;
  since: number;
  fence: number;
}

export type AcquireResult =
  | {
      ok: true;
      fence: number;
      /** Each lock key with the exact value this grant wrote: a save carrying them proves the fence. */
      claims: StoreClaim[];
    }
  | { ok: false; holder: LockHolderInfo };

export interface TargetLocksOptions {
  prefix: string;
  /** Safety expiry of a lock nobody released. */
  ttlMs?: number;
  /**
   * Tells whether the holder run is finished (or gone): such locks are stale and reclaimed.
   * A holder whose run does not exist yet is left alone for `graceMs` (it is being created).
   */
  isHolderDone?: (runId: string) => Promise<"active" | "done" | "missing">;
  graceMs?: number;
  now?: () => number;
}

type LockRedis = Redis & {
  soLockAcquire(...args: (string | number)[]): Promise<[number, string | number, string?]>;
  soLockRelease(...args: (string | number)[]): Promise<number>;
  soLockReclaim(key: string, value: string): Promise<number>;
};

export function parseHolder(target: string, value: string): LockHolderInfo {
  const [runId = "", since = "0", fence = "0"] = value.split("|");
  return { runId, target, since: Number(since), fence: Number(fence) };
}

export class TargetLocks {
  private readonly redis: LockRedis;
  private readonly ttlMs: number;
  private readonly graceMs: number;
  private readonly now: () => number;

  constructor(
    redis: Redis,
    private readonly opts: TargetLocksOptions,
  ) {
    redis.defineCommand("soLockAcquire", { lua: ACQUIRE });
    redis.defineCommand("soLockRelease", { lua: RELEASE });
    redis.defineCommand("soLockReclaim", { numberOfKeys: 1, lua: RECLAIM });
    this.redis = redis as LockRedis;
    this.ttlMs = opts.ttlMs ?? 7 * 24 * 3_600_000;
    this.graceMs = opts.graceMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  private key(target: string): string {
    return `${this.opts.prefix}:lock:target:${target}`;
  }

  /** Takes every target for runId (re-entrant for the same run, refreshing the expiry), or none. */
  async acquire(targets: readonly string[], runId: string): Promise<AcquireResult> {
    if (targets.length === 0) return { ok: true, fence: 0, claims: [] };
    const keys = [...new Set(targets)].sort().map((t) => this.key(t));
    for (let attempt = 0; attempt < 3; attempt++) {
      const since = this.now();
      const [ok, a, b] = await this.redis.soLockAcquire(
        keys.length + 1,
        `${this.opts.prefix}:lock:fence`,
        ...keys,
        runId,
        since,
        this.ttlMs,
      );
      if (ok === 1) {
        const value = `${runId}|${since}|${Number(a)}`;
        return { ok: true, fence: Number(a), claims: keys.map((key) => ({ key, value })) };
      }
      const key = String(a);
      const value = String(b);
      const holder = parseHolder(key.slice(`${this.opts.prefix}:lock:target:`.length), value);
      if (!(await this.isStale(holder))) return { ok: false, holder };
      await this.redis.soLockReclaim(key, value);
    }
    const holder = await this.holderOf(targets[0]!);
    return { ok: false, holder: holder ?? { runId: "unknown", target: targets[0]!, since: 0, fence: 0 } };
  }

  async release(targets: readonly string[], runId: string): Promise<number> {
    if (targets.length === 0) return 0;
    const keys = [...new Set(targets)].map((t) => this.key(t));
    return this.redis.soLockRelease(keys.length, ...keys, runId);
  }

  async holderOf(target: string): Promise<LockHolderInfo | undefined> {
    const v = await this.redis.get(this.key(target));
    return v === null ? undefined : parseHolder(target, v);
  }

  /** True when runId still holds every target (its fence is current): checked before acting. */
  async holds(targets: readonly string[], runId: string): Promise<boolean> {
    for (const t of targets) if ((await this.holderOf(t))?.runId !== runId) return false;
    return true;
  }

  private async isStale(holder: LockHolderInfo): Promise<boolean> {
    if (!this.opts.isHolderDone) return false;
    const state = await this.opts.isHolderDone(holder.runId);
    if (state === "done") return true;
    return state === "missing" && this.now() - holder.since > this.graceMs;
  }
}
