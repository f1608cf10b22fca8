// A Redis with AOF persistence on its own port (the machine's default Redis keeps nothing), for
// tests and runs that must survive a Redis restart.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { logFile, pidFile } from "../lib/paths.js";
import {
  isAlive,
  readPid,
  requirePortFree,
  rssBytes,
  spawnDetached,
  stopProcess,
  tail,
  waitFor,
} from "../lib/process.js";
import { HOST, redis } from "../topology.js";
import { SandboxError } from "./types.js";
import type { Component, ComponentStatus, SandboxPaths } from "./types.js";

/** One short-lived client: `fn`'s answer, or undefined when the server is not reachable. */
export async function askRedis<T>(port: number, fn: (c: Redis) => Promise<T>): Promise<T | undefined> {
  const client = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
    retryStrategy: () => null,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return await fn(client);
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

/** redis-server in the foreground on HOST with AOF on and snapshots off; more args appended. */
export function redisServerArgs(port: number, dir: string, appendfsync: "everysec" | "always"): string[] {
  return [
    ...["--bind", HOST, "--port", String(port), "--dir", dir],
    ...["--appendonly", "yes", "--appendfsync", appendfsync, "--save", ""],
    ...["--maxmemory-policy", "noeviction", "--daemonize", "no"],
  ];
}

async function ping(): Promise<boolean> {
  return (await askRedis(redis.port, (c) => c.ping())) === "PONG";
}

async function status(paths: SandboxPaths): Promise<ComponentStatus> {
  const pid = readPid(pidFile(paths, redis.id));
  const alive = isAlive(pid);
  return {
    id: redis.id,
    healthy: alive && (await ping()),
    pid: alive ? pid : undefined,
    endpoints: [`redis://${HOST}:${redis.port}`],
    rssBytes: rssBytes(pid),
    log: logFile(paths, redis.id),
    detail: "appendonly yes, appendfsync everysec",
  };
}

export const redisComponent: Component = {
  id: redis.id,
  ports: [redis.port],
  status,
  async start(paths, { timeoutMs }) {
    const pids = pidFile(paths, redis.id);
    const log = logFile(paths, redis.id);
    if (!isAlive(readPid(pids))) {
      if (spawnSync("redis-server", ["--version"]).error) {
        throw new SandboxError(redis.id, "redis-server is not installed", "apt-get install redis-server");
      }
      await requirePortFree(redis.id, redis.port);
      const dir = join(paths.state, "redis");
      mkdirSync(dir, { recursive: true });
      spawnDetached({
        command: "redis-server",
        args: redisServerArgs(redis.port, dir, "everysec"),
        log,
        pidFile: pids,
      });
    }
    if (!(await waitFor(ping, timeoutMs, 100, () => isAlive(readPid(pids))))) {
      await stopProcess(pids, 2_000);
      throw new SandboxError(
        redis.id,
        `did not answer PING on ${HOST}:${redis.port}: ${tail(log, 1)}`,
        "read the log",
        log,
      );
    }
    return status(paths);
  },
  async stop(paths) {
    await stopProcess(pidFile(paths, redis.id), 10_000);
  },
};
