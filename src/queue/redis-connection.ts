// Redis connection options from one URL, shared by our clients (ioredis) and BullMQ's: redis://,
// rediss:// (TLS), and redis+sentinel://host:port,host:port/master-name[?db=N] for Sentinel.
import type { Logger } from "../engine/ports/logger.js";

export interface RedisConnectionOptions {
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: Record<string, never>;
  sentinels?: { host: string; port: number }[];
  name?: string;
  maxRetriesPerRequest?: number | null;
  enableOfflineQueue?: boolean;
  lazyConnect?: boolean;
}

export function redisOptionsFromUrl(url: string, password?: string): RedisConnectionOptions {
  const sentinel = /^redis\+sentinel:\/\/([^/]+)\/([^/?]+)(?:\?(.*))?$/.exec(url);
  if (sentinel) {
    const sentinels = sentinel[1]!.split(",").map((hp) => {
      const [host = "", port = "26379"] = hp.split(":");
      return { host, port: Number(port) };
    });
    const db = new URLSearchParams(sentinel[3] ?? "").get("db");
    return {
      sentinels,
      name: decodeURIComponent(sentinel[2]!),
      ...(db ? { db: Number(db) } : {}),
      ...(password ? { password } : {}),
    };
  }
  const u = new URL(url);
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    throw new Error(`unsupported Redis URL scheme ${u.protocol} (redis:, rediss:, redis+sentinel:)`);
  }
  const opts: RedisConnectionOptions = {
    host: u.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1",
    port: u.port ? Number(u.port) : 6379,
  };
  if (u.username) opts.username = decodeURIComponent(u.username);
  const pw = password ?? (u.password ? decodeURIComponent(u.password) : undefined);
  if (pw) opts.password = pw;
  const db = u.pathname.replace(/^\//, "");
  if (db) opts.db = Number(db);
  if (u.protocol === "rediss:") opts.tls = {};
  return opts;
}

/** An error message with any Redis URL credentials (and the configured password) replaced. */
export function redactRedisError(message: string, password?: string): string {
  let out = message.replace(/(rediss?(?:\+sentinel)?:\/\/[^\s:@/]*:)[^\s@]*@/gi, "$1[redacted]@");
  if (password) out = out.split(password).join("[redacted]");
  return out;
}

interface ErrorEmitter {
  on(event: "error", listener: (err: Error) => void): unknown;
}

/**
 * Gives a Redis client (ioredis, or a BullMQ queue/worker) an 'error' listener that logs through the
 * service's logger, credentials redacted: without one, ioredis prints "Unhandled error event" with a
 * stack on stderr at every reconnect attempt while Redis is down. Repeats of the same message are
 * logged at most every intervalMs, with how many were folded.
 */
export function logRedisErrors(
  client: ErrorEmitter,
  logger: Logger,
  name: string,
  password?: string,
  intervalMs = 10_000,
): void {
  let last = "";
  let lastAt = 0;
  let folded = 0;
  client.on("error", (err: Error) => {
    const message = redactRedisError(err instanceof Error ? err.message : String(err), password);
    const now = Date.now();
    if (message === last && now - lastAt < intervalMs) {
      folded += 1;
      return;
    }
    logger.warn(
      { client: name, err: message, ...(folded > 0 ? { repeated: folded } : {}) },
      "redis connection error",
    );
    last = message;
    lastAt = now;
    folded = 0;
  });
}
