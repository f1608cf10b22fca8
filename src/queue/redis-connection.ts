// Redis connection options from one URL, shared by our clients (ioredis) and BullMQ's: redis://,
// rediss:// (TLS), and redis+sentinel://host:port,host:port/master-name[?db=N] for Sentinel.
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
