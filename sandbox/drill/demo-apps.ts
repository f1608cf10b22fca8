// Runs the demo order producer and consumer (sandbox/apps) as child processes on the control ports
// the environment's fleets call, and reads their JSONL ledgers back.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../lib/paths.js";

export interface LedgerEntry {
  id: number;
  cluster: string;
  topic?: string;
  partition: number;
  offset: string;
  /** Producer ledger: when the broker acknowledged it (epoch ms). */
  at?: number;
}

export interface DemoApp {
  name: string;
  port: number;
  ledger: string;
  status(): Promise<Record<string, unknown>>;
  command(name: string): Promise<Record<string, unknown>>;
  entries(): LedgerEntry[];
  stop(): Promise<void>;
}

// Children must not outlive the drill (a timed-out test would leave them holding the fleet ports).
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export async function startApp(
  kind: "order-producer" | "order-consumer",
  dir: string,
  port: number,
  args: Record<string, string>,
): Promise<DemoApp> {
  const ledger = join(dir, `${kind}.jsonl`);
  const argv = Object.entries({ ...args, port: String(port), ledger }).flatMap(([k, v]) => [`--${k}`, v]);
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", join(repoRoot, "sandbox", "apps", `${kind}.ts`), ...argv],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  const log = createWriteStream(join(dir, `${kind}.log`), { flags: "a" });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  running.add(child);
  let exited = false;
  child.on("exit", () => {
    exited = true;
    running.delete(child);
  });
  const base = `http://127.0.0.1:${port}`;
  const call = async (path: string, method = "GET"): Promise<Record<string, unknown>> => {
    const res = await fetch(`${base}/${path}`, { method, signal: AbortSignal.timeout(20_000) });
    return (await res.json()) as Record<string, unknown>;
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`${kind} exited during start-up; see ${join(dir, `${kind}.log`)}`);
    if (
      await call("status").then(
        () => true,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) throw new Error(`${kind} control port ${port} not answering`);
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    name: kind,
    port,
    ledger,
    status: () => call("status"),
    command: (name) => call(name, "POST"),
    entries: () => readLedger(ledger),
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

export function readLedger(file: string): LedgerEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as LedgerEntry];
      } catch {
        return []; // a line cut by a kill
      }
    })
    .filter((e) => typeof e.id === "number");
}
