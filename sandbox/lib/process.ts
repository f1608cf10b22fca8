// Detached child processes the sandbox owns: started with a pid file and a log, found again by
// later CLI invocations, stopped with SIGTERM then SIGKILL.
import { spawn } from "node:child_process";
import {
  existsSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
  closeSync,
} from "node:fs";
import { createServer, connect } from "node:net";
import { createSocket } from "node:dgram";
import { setTimeout as sleep } from "node:timers/promises";
import { SandboxError } from "../components/types.js";

export function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid: number | undefined): pid is number {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0); treat it as gone.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

/** Resident memory of a process in bytes, from /proc (undefined when gone). */
export function rssBytes(pid: number | undefined): number | undefined {
  if (!isAlive(pid)) return undefined;
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface SpawnSpec {
  command: string;
  args: string[];
  log: string;
  pidFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Starts a detached process whose output is appended to its log; returns its pid. */
export function spawnDetached(spec: SpawnSpec): number {
  const fd = openSync(spec.log, "a");
  try {
    const child = spawn(spec.command, spec.args, {
      detached: true,
      stdio: ["ignore", fd, fd],
      env: spec.env ?? process.env,
      cwd: spec.cwd,
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
    child.unref();
    writeFileSync(spec.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export async function stopProcess(pidFile: string, graceMs = 10_000): Promise<void> {
  const pid = readPid(pidFile);
  if (isAlive(pid)) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      /* already gone */
    }
    const deadline = Date.now() + graceMs;
    while (isAlive(pid) && Date.now() < deadline) await sleep(100);
    if (isAlive(pid)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
      while (isAlive(pid)) await sleep(50);
    }
  }
  rmSync(pidFile, { force: true });
}

/** Kills at once, as a datacenter loss would. */
export async function killProcess(pidFile: string): Promise<void> {
  const pid = readPid(pidFile);
  if (isAlive(pid)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
    while (isAlive(pid)) await sleep(50);
  }
  rmSync(pidFile, { force: true });
}

/** True when something already listens on 127.0.0.1:port (TCP). */
export async function tcpPortInUse(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(true));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/** Socket inodes listening on a local TCP port (or bound to a UDP one), from /proc/net (Linux). */
function socketInodes(port: number): Set<string> {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  const out = new Set<string>();
  for (const table of ["tcp", "tcp6", "udp", "udp6"]) {
    let text: string;
    try {
      text = readFileSync(`/proc/net/${table}`, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is ADDR:PORT; st 0A is LISTEN (UDP has no listen state: any bound socket).
      if (f.length < 10 || !f[1]!.endsWith(`:${hex}`)) continue;
      if (table.startsWith("tcp") && f[3] !== "0A") continue;
      out.add(f[9]!);
    }
  }
  return out;
}

/**
 * Who holds a local port, as a person needs it to free the port: "pid 1234 (redis-server
 * 127.0.0.1:16379)". Undefined when it cannot be seen (another user's process, not Linux).
 */
export function portHolder(port: number): string | undefined {
  const inodes = socketInodes(port);
  if (inodes.size === 0) return undefined;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (!m || !inodes.has(m[1]!)) continue;
      let cmd = "";
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
      } catch {
        /* gone meanwhile */
      }
      return `pid ${pid}${cmd ? ` (${cmd.length > 100 ? `${cmd.slice(0, 97)}...` : cmd})` : ""}`;
    }
  }
  return undefined;
}

/** "port 16379 is already in use by pid 1234 (redis-server …)", or "by another process" when unseen. */
export function portTakenMessage(port: number): string {
  return `port ${port} on 127.0.0.1 is already in use by ${portHolder(port) ?? "another process"}`;
}

/** Refuses to start a component on a port something else holds, naming what holds it. */
export async function requirePortFree(id: string, port: number, opts: { udp?: boolean } = {}): Promise<void> {
  if (!(await tcpPortInUse(port)) && !(opts.udp && (await udpPortInUse(port)))) return;
  const holder = portHolder(port);
  throw new SandboxError(
    id,
    portTakenMessage(port),
    holder
      ? `stop it (kill ${holder.split(" ")[1]}) or free port ${port}`
      : `find it with \`ss -ltnup 'sport = :${port}'\` and stop it, or free port ${port}`,
  );
}

export async function udpPortInUse(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    socket.once("error", () => resolve(true));
    socket.bind({ port, address: host, exclusive: true }, () => socket.close(() => resolve(false)));
  });
}

/** True when a TCP connection to 127.0.0.1:port succeeds within timeoutMs. */
export async function tcpAnswers(port: number, timeoutMs = 1_000, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Polls `check` until it returns true or the deadline passes; returns whether it succeeded. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 250,
  stillWorthWaiting: () => boolean = () => true,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    if (!stillWorthWaiting()) return false;
    await sleep(intervalMs);
  }
  return false;
}

/** The last lines of a log, for error messages. */
export function tail(file: string, lines = 5): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}
