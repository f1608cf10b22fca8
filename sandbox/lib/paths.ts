// Where the sandbox keeps its state: everything under .sandbox/ (git-ignored) in the repository.
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { SandboxPaths } from "../components/types.js";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export function sandboxPaths(root = repoRoot): SandboxPaths {
  const state = process.env.SWITCHOVER_SANDBOX_DIR ?? join(root, ".sandbox");
  return { root, state, cache: join(state, "cache") };
}

export function logFile(paths: SandboxPaths, id: string): string {
  mkdirSync(join(paths.state, "logs"), { recursive: true });
  return join(paths.state, "logs", `${id}.log`);
}

export function pidFile(paths: SandboxPaths, id: string): string {
  mkdirSync(join(paths.state, "run"), { recursive: true });
  return join(paths.state, "run", `${id}.pid`);
}

export function configFile(paths: SandboxPaths): string {
  return join(paths.state, "switchover.yaml");
}
