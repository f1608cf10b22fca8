// Idempotency-Key records in Redis (the port is runs/idempotency.ts): the first request with a key
// claims it atomically with the hash of its body; a replay with the same hash gets the run the first
// one created, a different body is refused. Keys are scoped to the token's name, so two clients
// cannot collide or probe each other's keys.
import type { Redis } from "ioredis";
import type { IdempotencyClaim, IdempotencyStore } from "../../runs/idempotency.js";

// KEYS[1]: record. ARGV: hash, ttl seconds. Returns {"new"} | {"done", runId} | {"pending"} | {"mismatch"}.
const BEGIN = `
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1] .. '|', 'EX', ARGV[2])
  return {'new'}
end
local sep = string.find(v, '|', 1, true)
local hash = string.sub(v, 1, sep - 1)
local runId = string.sub(v, sep + 1)
if hash ~= ARGV[1] then return {'mismatch'} end
if runId == '' then return {'pending'} end
return {'done', runId}`;

type IdemRedis = Redis & { soIdemBegin(key: string, hash: string, ttl: number): Promise<string[]> };

export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly redis: IdemRedis;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {
    redis.defineCommand("soIdemBegin", { numberOfKeys: 1, lua: BEGIN });
    this.redis = redis as IdemRedis;
  }

  private key(scope: string, key: string): string {
    return `${this.prefix}:idem:${scope}:${key}`;
  }

  async claim(scope: string, key: string, hash: string): Promise<IdempotencyClaim> {
    const [state, runId] = await this.redis.soIdemBegin(this.key(scope, key), hash, this.ttlSeconds);
    if (state === "done") return { state, runId: runId! };
    return { state: state as "new" | "pending" | "mismatch" };
  }

  async complete(scope: string, key: string, hash: string, runId: string): Promise<void> {
    await this.redis.set(this.key(scope, key), `${hash}|${runId}`, "EX", this.ttlSeconds);
  }

  /** The first request failed: forget the key so the client can try again. */
  async abandon(scope: string, key: string): Promise<void> {
    await this.redis.del(this.key(scope, key));
  }
}
