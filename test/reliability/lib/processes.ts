// The service as real child processes (`node --import tsx src/main.ts`): workers the suite kills with
// SIGKILL (from inside, at a fault point, or from here), API processes, all on one Redis.
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../../sandbox/lib/paths.js";

export interface ServiceChild {
  name: string;
  pid: number;
  /** Resolves when the process is gone, with how it ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** SIGKILL now (kill -9); resolves once it is gone. */
  kill9(): Promise<void>;
  /** SIGTERM, then SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<void>;
}

const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

export interface SpawnOptions {
  name: string;
  configFile: string;
  mode: "all" | "api" | "worker";
  logFile: string;
  auditJsonl: string;
  port?: number;
  env?: Record<string, string>;
}

/**
 * The service's entry point for child processes: src/main.ts bundled by esbuild (tsx's own) into
 * dist/reliability/bin/main.mjs once per suite run — the same code, booting in about half the time of
 * `--import tsx`, which matters when a test starts sixty workers. Falls back to tsx.
 */
let entry: string[] | undefined;
export function serviceEntry(): string[] {
  if (entry) return entry;
  // Three levels below the repository, like src/api/routes/, so paths relative to a module resolve.
  const out = join(repoRoot, "dist", "reliability", "bin", "main.mjs");
  const esbuild = join(repoRoot, "node_modules", ".bin", "esbuild");
  const res = existsSync(esbuild)
    ? spawnSync(
        esbuild,
        [
          join(repoRoot, "src", "main.ts"),
          "--bundle",
          "--platform=node",
          "--format=esm",
          "--packages=external",
          `--outfile=${out}`,
          "--log-level=error",
        ],
        { cwd: repoRoot, encoding: "utf8" },
      )
    : undefined;
  entry = res?.status === 0 ? [out] : ["--import", "tsx", join(repoRoot, "src", "main.ts")];
  return entry;
}

export function spawnService(opts: SpawnOptions): ServiceChild {
  const child = spawn(process.execPath, serviceEntry(), {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      SWITCHOVER_CONFIG: opts.configFile,
      SWITCHOVER_MODE: opts.mode,
      SWITCHOVER_AUDIT_JSONL: opts.auditJsonl,
      PORT: String(opts.port ?? 0),
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      ...opts.env,
    },
  });
  children.add(child);
  const log = createWriteStream(opts.logFile, { flags: "a" });
  // Variable names only: values may be secrets (the fleet token), and this log is scanned for them.
  log.write(`--- ${opts.name} pid ${child.pid} env ${Object.keys(opts.env ?? {}).join(",")}\n`);
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  let alive = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      alive = false;
      children.delete(child);
      resolve({ code, signal });
    });
  });
  const self: ServiceChild = {
    name: opts.name,
    pid: child.pid!,
    exited,
    alive: () => alive,
    async kill9() {
      if (!alive) return;
      child.kill("SIGKILL");
      await exited;
    },
    async stop(graceMs = 10_000) {
      if (!alive) return;
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
  return self;
}

/** Polls until probe returns a value or the deadline passes (then throws naming what). */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
