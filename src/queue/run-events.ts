// Each run's progress events in a Redis stream (one per run), so any API instance can serve them
// as Server-Sent Events and a client that reconnects resumes after the last id it saw.
import type { Redis } from "ioredis";
import type { AuditEvent, AuditSink } from "../engine/ports/audit-sink.js";
import type { Logger } from "../engine/ports/logger.js";

export interface StoredRunEvent {
  /** Stream entry id, e.g. "1700000000000-0": the SSE id. */
  id: string;
  event: AuditEvent;
}

export interface RunEventLogOptions {
  prefix: string;
  /** Entries kept per run (approximate trimming). */
  maxLen?: number;
  /** Streams of finished runs expire after this long without new events. */
  retentionSeconds?: number;
  logger?: Logger;
}

type StreamEntry = [id: string, fields: string[]];

// KEYS[1] the run's stream; ARGV: max length (approximate), retention seconds, event document.
// One command instead of MULTI/XADD/EXPIRE/EXEC: the stream and its expiry change together.
const APPEND = `
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return id`;

/** Follows a run's events for one client (SSE): each `next` blocks up to blockMs for newer ones. */
export interface EventFollower {
  next(runId: string, afterId: string, blockMs: number): Promise<StoredRunEvent[]>;
  close(): void;
}

type EventsRedis = Redis & {
  soRunEventAppend(key: string, maxLen: number, ttl: number, doc: string): Promise<string>;
};

function decode(entries: StreamEntry[]): StoredRunEvent[] {
  const out: StoredRunEvent[] = [];
  for (const [id, fields] of entries) {
    const i = fields.indexOf("e");
    if (i < 0 || fields[i + 1] === undefined) continue;
    try {
      out.push({ id, event: JSON.parse(fields[i + 1]!) as AuditEvent });
    } catch {
      // A damaged entry is skipped, not fatal to the stream.
    }
  }
  return out;
}

export class RunEventLog implements AuditSink {
  private readonly redis: EventsRedis;

  constructor(
    redis: Redis,
    private readonly opts: RunEventLogOptions,
  ) {
    redis.defineCommand("soRunEventAppend", { numberOfKeys: 1, lua: APPEND });
    this.redis = redis as EventsRedis;
  }

  key(runId: string): string {
    return `${this.opts.prefix}:events:${runId}`;
  }

  /** Best effort: a lost progress event must never fail a step (the audit log is the record). */
  async append(event: AuditEvent): Promise<void> {
    const key = this.key(event.runId);
    try {
      await this.redis.soRunEventAppend(
        key,
        this.opts.maxLen ?? 10_000,
        this.opts.retentionSeconds ?? 30 * 86_400,
        JSON.stringify(event),
      );
    } catch (err) {
      this.opts.logger?.warn({ runId: event.runId, err: String(err) }, "run event not recorded");
    }
  }

  /** Events after `afterId` (exclusive; from the start when undefined), oldest first. */
  async range(runId: string, afterId?: string, count = 500): Promise<StoredRunEvent[]> {
    const start = afterId === undefined ? "-" : `(${afterId}`;
    const entries = (await this.redis.xrange(this.key(runId), start, "+", "COUNT", count)) as StreamEntry[];
    return decode(entries);
  }

  /** One client's blocking reads over `conn`, a connection of its own; close() disconnects it. */
  follower(conn: Redis): EventFollower {
    return {
      next: (runId, afterId, blockMs) => this.follow(conn, runId, afterId, blockMs),
      close: () => conn.disconnect(),
    };
  }

  /** Blocks on `conn` (a dedicated connection) up to blockMs for events after afterId. */
  async follow(conn: Redis, runId: string, afterId: string, blockMs: number): Promise<StoredRunEvent[]> {
    const res = await conn.xread("COUNT", 500, "BLOCK", blockMs, "STREAMS", this.key(runId), afterId);
    if (!res || res.length === 0) return [];
    return decode(res[0]![1]);
  }
}
