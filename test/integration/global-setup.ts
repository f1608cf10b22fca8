// Integration tests run against the real sandbox. This brings it up (idempotent: a running
// sandbox is reused) before any integration file runs; `.ci/run` stops it afterwards.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

export default function setup(): void {
  const root = resolve(import.meta.dirname, "..", "..");
  const res = spawnSync(process.execPath, ["--import", "tsx", "sandbox/cli.ts", "up", "--timeout", "180"], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
    env: process.env,
  });
  if (res.status !== 0)
    throw new Error("sandbox did not come up (see the line above); integration tests need it");
}
