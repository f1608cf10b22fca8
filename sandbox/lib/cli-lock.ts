// One sandbox command that changes processes at a time (up, down, start, stop): two concurrent
// `up`s would otherwise both find a node down and both start it. Waits for a live holder; takes
// over the lock of a holder that died.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { SandboxError } from "../components/types.js";
import type { SandboxPaths } from "../components/types.js";
import { isAlive } from "./process.js";
import { pidFile } from "./paths.js";

export async function withCliLock<T>(
  paths: SandboxPaths,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const lock = join(dirname(pidFile(paths, "cli")), "cli.lock");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(lock, "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let holder: number | undefined;
      try {
        holder = Number.parseInt(readFileSync(lock, "utf8"), 10);
      } catch {
        continue; // released between our open and read
      }
      if (!Number.isInteger(holder) || !isAlive(holder)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new SandboxError(
          "sandbox",
          `another sandbox command (pid ${holder}) is still changing the sandbox`,
          `wait for it, or kill ${holder} if it hangs`,
        );
      }
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}
