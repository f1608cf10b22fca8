// Opt-in Redis HA for switchover's own state (`up redis-ha`): primary in dc1, replica in dc2, three
// Sentinels (dc1, dc2, dc3; quorum 2), from Debian's redis-server and redis-sentinel. Each is its
// own component with a datacenter, so `stop dc1` loses dc1's Redis primary and Sentinel with the
// brokers, and Sentinel promotes dc2's replica.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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
import { HOST, redisHa } from "../topology.js";
import { askRedis, redisServerArgs } from "./redis.js";
import { SandboxError } from "./types.js";
import type { Component, ComponentStatus, SandboxPaths } from "./types.js";

type Node = (typeof redisHa.nodes)[number];
type Sentinel = (typeof redisHa.sentinels)[number];

const [primary] = redisHa.nodes as [Node, Node];

function requireBinary(id: string, binary: string, pkg: string): void {
  if (spawnSync(binary, ["--version"]).error) {
    throw new SandboxError(id, `${binary} is not installed`, `apt-get install ${pkg}`);
  }
}

/** Which node Sentinel (any one that answers) names as the master now. */
export async function currentMaster(): Promise<{ host: string; port: number } | undefined> {
  for (const s of redisHa.sentinels) {
    const addr = await askRedis(
      s.port,
      (c) =>
        c.call("SENTINEL", "get-master-addr-by-name", redisHa.master) as Promise<[string, string] | null>,
    );
    if (addr) return { host: addr[0], port: Number(addr[1]) };
  }
  return undefined;
}

function nodeComponent(node: Node): Component {
  const status = async (paths: SandboxPaths): Promise<ComponentStatus> => {
    const pid = readPid(pidFile(paths, node.id));
    const alive = isAlive(pid);
    const role = alive
      ? await askRedis(node.port, async (c) => (await c.call("ROLE")) as [string])
      : undefined;
    return {
      id: node.id,
      healthy: role !== undefined,
      pid: alive ? pid : undefined,
      endpoints: [`redis://${HOST}:${node.port}`],
      rssBytes: rssBytes(pid),
      log: logFile(paths, node.id),
      detail: `${node.datacenter}, ${role?.[0] ?? "down"}, appendonly yes, appendfsync always`,
    };
  };
  return {
    id: node.id,
    ports: [node.port],
    status,
    async start(paths, { timeoutMs }) {
      const pids = pidFile(paths, node.id);
      const log = logFile(paths, node.id);
      if (!isAlive(readPid(pids))) {
        requireBinary(node.id, "redis-server", "redis-server");
        await requirePortFree(node.id, node.port);
        const dir = join(paths.state, node.id);
        mkdirSync(dir, { recursive: true });
        // A fresh primary starts as primary; any other node (a replica, or a primary returning after a
        // failover) joins as a replica of whoever Sentinel names now.
        const master =
          node.id === primary.id && !existsSync(join(dir, "appendonlydir"))
            ? undefined
            : ((await currentMaster()) ??
              (node.id === primary.id ? undefined : { host: HOST, port: primary.port }));
        const replicaOf = master && master.port !== node.port ? master : undefined;
        spawnDetached({
          command: "redis-server",
          // The orchestrator's record: every write fsync'd before it is acknowledged.
          args: [
            ...redisServerArgs(node.port, dir, "always"),
            ...(replicaOf ? ["--replicaof", replicaOf.host, String(replicaOf.port)] : []),
          ],
          log,
          pidFile: pids,
        });
      }
      const up = async (): Promise<boolean> => (await askRedis(node.port, (c) => c.ping())) === "PONG";
      if (!(await waitFor(up, timeoutMs, 100, () => isAlive(readPid(pids))))) {
        await stopProcess(pids, 2_000);
        throw new SandboxError(
          node.id,
          `did not answer PING on ${HOST}:${node.port}: ${tail(log, 1)}`,
          "read the log",
          log,
        );
      }
      return status(paths);
    },
    async stop(paths) {
      await stopProcess(pidFile(paths, node.id), 10_000);
    },
  };
}

function sentinelComponent(sentinel: Sentinel): Component {
  const status = async (paths: SandboxPaths): Promise<ComponentStatus> => {
    const pid = readPid(pidFile(paths, sentinel.id));
    const alive = isAlive(pid);
    const master = alive
      ? await askRedis(
          sentinel.port,
          (c) =>
            c.call("SENTINEL", "get-master-addr-by-name", redisHa.master) as Promise<[string, string] | null>,
        )
      : undefined;
    return {
      id: sentinel.id,
      healthy: Boolean(master),
      pid: alive ? pid : undefined,
      endpoints: [`sentinel://${HOST}:${sentinel.port}`],
      rssBytes: rssBytes(pid),
      log: logFile(paths, sentinel.id),
      detail: `${sentinel.datacenter}, master ${redisHa.master} at ${master ? `${master[0]}:${master[1]}` : "unknown"}, quorum ${redisHa.quorum}`,
    };
  };
  return {
    id: sentinel.id,
    ports: [sentinel.port],
    status,
    async start(paths, { timeoutMs }) {
      const pids = pidFile(paths, sentinel.id);
      const log = logFile(paths, sentinel.id);
      if (!isAlive(readPid(pids))) {
        requireBinary(sentinel.id, "redis-sentinel", "redis-sentinel");
        await requirePortFree(sentinel.id, sentinel.port);
        const dir = join(paths.state, sentinel.id);
        mkdirSync(dir, { recursive: true });
        // Sentinel rewrites its own config (the current master, known peers); keep it across restarts.
        const conf = join(dir, "sentinel.conf");
        if (!existsSync(conf)) {
          writeFileSync(
            conf,
            [
              `bind ${HOST}`,
              `port ${sentinel.port}`,
              `dir ${dir}`,
              `sentinel monitor ${redisHa.master} ${HOST} ${primary.port} ${redisHa.quorum}`,
              // A lost DC is noticed within 3 s and a replica promoted within seconds after.
              `sentinel down-after-milliseconds ${redisHa.master} 3000`,
              `sentinel failover-timeout ${redisHa.master} 15000`,
              `sentinel parallel-syncs ${redisHa.master} 1`,
              "",
            ].join("\n"),
          );
        }
        spawnDetached({ command: "redis-sentinel", args: [conf], log, pidFile: pids });
      }
      const knowsMaster = async (): Promise<boolean> =>
        Boolean(
          await askRedis(sentinel.port, (c) => c.call("SENTINEL", "get-master-addr-by-name", redisHa.master)),
        );
      if (!(await waitFor(knowsMaster, timeoutMs, 200, () => isAlive(readPid(pids))))) {
        await stopProcess(pids, 2_000);
        throw new SandboxError(
          sentinel.id,
          `does not know master ${redisHa.master}: ${tail(log, 1)}`,
          "read the log",
          log,
        );
      }
      return status(paths);
    },
    async stop(paths) {
      await stopProcess(pidFile(paths, sentinel.id), 5_000);
    },
  };
}

/** Primary, replica, then the Sentinels: the order `up redis-ha` starts them in. */
export const redisHaComponents: { component: Component; datacenter: string }[] = [
  ...redisHa.nodes.map((n) => ({ component: nodeComponent(n), datacenter: n.datacenter })),
  ...redisHa.sentinels.map((s) => ({ component: sentinelComponent(s), datacenter: s.datacenter })),
];
