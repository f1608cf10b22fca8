// `npm run demo`: brings up the whole sandbox and shows what is running where. (The full failover
// and failback drill on top of it arrives with the drills issue.)
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { repoRoot } from "./lib/paths.js";

function cli(...args: string[]): { status: number | null; stdout: string } {
  const res = spawnSync(process.execPath, ["--import", "tsx", resolve(repoRoot, "sandbox/cli.ts"), ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  return { status: res.status, stdout: res.stdout };
}

const up = cli("up");
if (up.status !== 0) process.exit(up.status ?? 1);

interface Status {
  totalRss: string;
  environment: string | null;
  lastUp: { seconds: number } | null;
  components: {
    id: string;
    healthy: boolean;
    pid?: number;
    endpoints: string[];
    rssBytes?: number;
    detail?: string;
  }[];
}
const status = JSON.parse(cli("status").stdout) as Status;
const rows = status.components.map((c) => [
  c.healthy ? "ok  " : "DOWN",
  c.id,
  c.endpoints.join(" "),
  c.rssBytes ? `${Math.round(c.rssBytes / 1024 / 1024)} MiB` : "-",
  c.detail ?? "",
]);
const widths = [4, 12, 34, 8];
console.log("\nswitchover sandbox");
for (const row of rows)
  console.log(row.map((cell, i) => (widths[i] ? cell.padEnd(widths[i]) : cell)).join("  "));
console.log(`\nstarted in ${status.lastUp?.seconds.toFixed(1) ?? "?"} s, total RSS ${status.totalRss}`);
console.log(`environment file: ${status.environment ?? "(not written)"}`);
console.log("try: npm run sandbox -- stop stretch/dc1   (lose dc1 of the stretched cluster)");
console.log("     npm run sandbox -- start stretch/dc1  (bring it back)");
console.log("     npm run sandbox -- down               (stop everything)");
