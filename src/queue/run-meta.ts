// What the service knows about a run beyond the engine's record: how it was triggered and which
// targets it locks. Kept beside the record (the engine's RunRecord has no place for it).
import type { Redis } from "ioredis";

export type Trigger = "api" | "schedule" | "revert";

export interface RunMeta {
  trigger: Trigger;
  /** Targets a real run locks ("cluster:dc1"); [] for dry-runs. */
  targets: string[];
  scheduleId?: string;
}

const DEFAULT_META: RunMeta = { trigger: "api", targets: [] };

function isDefaultMeta(meta: RunMeta): boolean {
  return (
    meta.trigger === DEFAULT_META.trigger &&
    meta.targets.length === 0 &&
    meta.scheduleId === undefined &&
    Object.keys(meta).length === 2
  );
}

export class RunMetaStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(runId: string): string {
    return `${this.prefix}:run-meta:${runId}`;
  }

  /** Meta equal to the default (an API dry-run) is not stored: reading a missing meta gives it back. */
  async put(runId: string, meta: RunMeta): Promise<void> {
    if (isDefaultMeta(meta)) return;
    await this.redis.set(this.key(runId), JSON.stringify(meta));
  }

  async get(runId: string): Promise<RunMeta> {
    const text = await this.redis.get(this.key(runId));
    return text === null ? DEFAULT_META : (JSON.parse(text) as RunMeta);
  }

  async getMany(runIds: readonly string[]): Promise<RunMeta[]> {
    if (runIds.length === 0) return [];
    const texts = await this.redis.mget(...runIds.map((id) => this.key(id)));
    return texts.map((t) => (t === null ? DEFAULT_META : (JSON.parse(t) as RunMeta)));
  }

  async delete(runId: string): Promise<void> {
    await this.redis.del(this.key(runId));
  }
}
