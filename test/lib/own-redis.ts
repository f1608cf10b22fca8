// A redis-server of a test's own, on a random free port in 26400-26999, in a temp dir: tests that
// lose Redis's data (FLUSHALL, a restart without persistence, a rollback to an older AOF) must
// never do it to the shared sandbox's Redis.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

export interface OwnRedisOptions {
  /** AOF on, fsync'd on every write (true), or no persistence at all (false). */
  appendonly: boolean;
  /** More redis-server arguments (e.g. `--replicaof 127.0.0.1 <port>`). */
  args?: string[];
}

export interface OwnRedis {
  port: number;
  url: string;
  dir: string;
  /** SIGKILL: whatever was not persisted is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and dir (loading what was persisted there). */
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: a server that holds its connections but answers nothing (a hung replica). */
  pause(): void;
  resume(): void;
  /** Copies the persisted AOF aside, to roll back to later. */
  snapshot(): string;
  /** Kills the server, puts an older AOF copy back and starts it from there. */
  rollBackTo(copy: string): Promise<void>;
  close(): Promise<void>;
}

async function portFree(port: number): Promise<boolean> {
  const srv = createServer();
  return new Promise((resolve) => {
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

async function randomPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 26400 + Math.floor(Math.random() * 600);
    if (await portFree(port)) return port;
  }
  throw new Error("no free port in 26400-26999");
}

export async function startOwnRedis(opts: OwnRedisOptions): Promise<OwnRedis> {
  const port = await randomPort();
  const dir = mkdtempSync(join(tmpdir(), "so-redis-"));
  const data = join(dir, "data");
  let child: ChildProcess | undefined;
  const persistence = opts.appendonly
    ? ["--appendonly", "yes", "--appendfsync", "always"]
    : ["--appendonly", "no"];
  const start = async (): Promise<void> => {
    const args = [
      "--bind",
      "127.0.0.1",
      "--port",
      String(port),
      "--dir",
      data,
      "--save",
      "",
      ...persistence,
      ...(opts.args ?? []),
    ];
    mkdirSync(data, { recursive: true });
    child = spawn("redis-server", args, { stdio: "ignore" });
    const probe = new Redis(port, "127.0.0.1", {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on("error", () => undefined);
    try {
      for (let i = 0; i < 100; i++) {
        try {
          if (probe.status !== "ready") await probe.connect();
          if ((await probe.ping()) === "PONG") return;
        } catch {
          probe.disconnect();
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      throw new Error(`redis-server on ${port} did not answer`);
    } finally {
      probe.disconnect();
    }
  };
  const kill = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGKILL");
    await exited;
  };
  await start();
  let copies = 0;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    kill,
    start,
    pause() {
      child?.kill("SIGSTOP");
    },
    resume() {
      child?.kill("SIGCONT");
    },
    snapshot() {
      const copy = join(dir, `copy-${++copies}`);
      cpSync(data, copy, { recursive: true });
      return copy;
    },
    async rollBackTo(copy) {
      await kill();
      rmSync(data, { recursive: true, force: true });
      cpSync(copy, data, { recursive: true });
      await start();
    },
    async close() {
      child?.kill("SIGCONT");
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
