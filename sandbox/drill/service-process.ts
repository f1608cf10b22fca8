// Starts the switchover service (`npm start`, API and worker in one process) as a child process for
// a drill: an environment file derived from the sandbox's with one-off tokens (the drill's admin, and
// a second person who approves its real runs: the sandbox requires approval of every real run), its
// own Redis key prefix, and the sandbox's fleets; stops it again with SIGTERM to its process group.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { configSchema } from "../../src/config/schema.js";
import { configFile, repoRoot, sandboxPaths } from "../lib/paths.js";
import { portTakenMessage, tail, tcpPortInUse } from "../lib/process.js";
import { SwitchoverApi } from "./api-client.js";

export interface RunningService {
  api: SwitchoverApi;
  url: string;
  configFile: string;
  logFile: string;
  stop(): Promise<void>;
}

/**
 * The sandbox environment plus two API tokens (only their SHA-256 are written): the drill's (admin)
 * and its second person's (approver), who approves the drill's real runs; and a private prefix.
 */
export function writeDrillConfig(
  dir: string,
  token: string,
  approverToken: string,
  runbooksDir = join(repoRoot, "runbooks"),
  service: Record<string, unknown> = {},
): string {
  const base = parse(readFileSync(configFile(sandboxPaths()), "utf8")) as Record<
    string,
    Record<string, unknown>
  >;
  const sha256 = (t: string) => createHash("sha256").update(t).digest("hex");
  const doc = {
    ...base,
    redis: { ...base.redis, prefix: "switchover-drill" },
    service: {
      ...base.service,
      auth: {
        tokens: [
          { name: "drill", sha256: sha256(token), roles: ["admin"] },
          { name: "drill-approver", sha256: sha256(approverToken), roles: ["approver"] },
        ],
      },
      runbooksDir,
      ...service,
    },
  };
  configSchema.parse(doc);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "switchover.yaml");
  writeFileSync(file, `# drill environment: the sandbox's, with one-off API tokens\n${stringify(doc)}`, {
    mode: 0o600,
  });
  return file;
}

export interface ServiceOptions {
  /** More environment for the process (REDIS_URL to use the Redis HA option, say). */
  env?: Record<string, string>;
  /** Runbooks directory instead of the repository's runbooks/. */
  runbooksDir?: string;
  /** Settings merged over the service section (approvals, operatorRunbooks). */
  service?: Record<string, unknown>;
}

export async function startService(
  dir: string,
  port: number,
  opts: ServiceOptions = {},
): Promise<RunningService> {
  // Something else on the port would answer /readyz in its place (an old service: the wrong queue).
  if (await tcpPortInUse(port)) {
    throw new Error(
      `${portTakenMessage(port)}; switchover needs it here (the demo takes another with DEMO_PORT=<port>)`,
    );
  }
  const token = randomBytes(24).toString("hex");
  const approverToken = randomBytes(24).toString("hex");
  const configFile = writeDrillConfig(dir, token, approverToken, opts.runbooksDir, opts.service);
  const logFile = join(dir, "service.log");
  const log = createWriteStream(logFile, { flags: "a" });
  const child: ChildProcess = spawn("npm", ["start", "--silent"], {
    cwd: repoRoot,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      SWITCHOVER_CONFIG: configFile,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
      SWITCHOVER_AUDIT_JSONL: join(dir, "audit.jsonl"),
      ...opts.env,
    },
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exited = false;
  child.on("exit", () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited) {
      throw new Error(
        `switchover exited during start-up: ${tail(logFile, 1).slice(0, 300)} (log ${logFile})`,
      );
    }
    const ok = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3_000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      // Do not leave a half-started service behind (it would hold the port and the queue).
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
      throw new Error(`switchover not ready within 90 s; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    api: new SwitchoverApi(url, token, new SwitchoverApi(url, approverToken)),
    url,
    configFile,
    logFile,
    async stop() {
      const group = child.pid;
      if (group === undefined) return;
      const alive = (): boolean => {
        try {
          process.kill(-group, 0);
          return true;
        } catch {
          return false;
        }
      };
      const signal = (sig: NodeJS.Signals): void => {
        try {
          process.kill(-group, sig);
        } catch {
          /* already gone */
        }
      };
      // npm exits at once; the node process behind it finishes its runs first. Wait for the whole
      // process group, so the port is free for the next service.
      signal("SIGTERM");
      const deadline = Date.now() + 25_000;
      while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      if (alive()) signal("SIGKILL");
      while (alive()) await new Promise((r) => setTimeout(r, 100));
    },
  };
}
