// `switchover` CLI entry point (bin/switchover.js loads it): run the command line, exit with its code.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runCli } from "./program.js";

/** package.json is two levels up from src/cli, three from the compiled dist/src/cli. */
function version(): string {
  for (const rel of ["../../package.json", "../../../package.json"]) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
  }
  return "unknown";
}

process.exitCode = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env },
  version(),
);
