// `npm run demo`: the whole replicated-cluster DR drill against the sandbox — sandbox up, switchover
// (API + worker) up, demo apps, dry-run plan, dc1 killed, live failover, dc1 back, failback, reports.
// Exits 0 only if no replicated order was lost, duplicates stayed within the predicted window and
// the world after failback equals the world before. Cleans up what it started; the sandbox stays up.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { sandboxPaths } from "./lib/paths.js";
import { KAFKA_VERSION, port } from "./topology.js";
import { checkMm2Invariants, failedChecks } from "./drill/invariants.js";
import { runMm2Drill } from "./drill/mm2-drill.js";
import { sandboxCli } from "./drill/sandbox-control.js";
import { startService } from "./drill/service-process.js";
import type { RunningService } from "./drill/service-process.js";

const t0 = Date.now();
const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s]`;
const say = (line: string) => console.log(`${stamp()} ${line}`);
const section = (title: string) =>
  console.log(`\n${stamp()} ── ${title} ${"─".repeat(Math.max(0, 60 - title.length))}`);

const { cache, state } = sandboxPaths();
const warm = existsSync(join(cache, `kafka-${KAFKA_VERSION}`, "lib"));
section("sandbox");
if (!warm)
  say(
    "first run: checking prerequisites and fetching the Kafka jars from Maven Central (about a minute; progress below)",
  );
say("npm run sandbox -- up (idempotent: starts only what is not running)");
if (sandboxCli(["up"], true).status !== 0) {
  console.error("sandbox up failed");
  process.exit(1);
}

let service: RunningService | undefined;
let exitCode = 1;
const stopAll = async () => {
  await service?.stop().catch(() => undefined);
};
process.on("SIGINT", () => void stopAll().finally(() => process.exit(130)));
try {
  section("switchover service");
  const dir = join(state, "drill", new Date().toISOString().replace(/[:.]/g, "-"));
  mkdirSync(dir, { recursive: true });
  service = await startService(dir, Number(process.env.DEMO_PORT ?? port(18080)));
  say(`npm start (API + worker) on ${service.url}; log ${service.logFile}`);

  section("failover and failback drill (identity naming: orders.*)");
  const result = await runMm2Drill({
    api: service.api,
    naming: "identity",
    dir,
    say,
    verbose: true,
    strandForMs: 3_000,
  });

  section("drill reports (GET /v1/runs/{id}/report, Accept: text/plain)");
  // The step table and figures; the full timeline is in the JSON report and the SSE log above.
  const head = (text: string) => text.split("\ntimeline")[0]!.trimEnd();
  console.log(head(result.reports.failover));
  console.log("");
  console.log(head(result.reports.failback));

  section("invariants");
  const checks = checkMm2Invariants(result);
  for (const c of checks)
    console.log(`  ${c.ok ? "PASS" : c.informational ? "GAP " : "FAIL"}  ${c.name}: ${c.detail}`);
  const t = result.timings;
  console.log(
    `\n  failover ${(t.failoverMs / 1000).toFixed(1)} s, kill → consuming on dc2 ${(t.outageToConsumingMs / 1000).toFixed(1)} s, failback ${(t.failbackMs / 1000).toFixed(1)} s, drill ${(t.totalMs / 1000).toFixed(1)} s`,
  );
  exitCode = failedChecks(checks).length === 0 ? 0 : 1;
  console.log(exitCode === 0 ? "\nDEMO PASSED" : "\nDEMO FAILED: an invariant does not hold");
} catch (err) {
  console.error(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  await stopAll();
  say(
    `stopped what the demo started (apps, service); the sandbox keeps running. Total ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
}
process.exit(exitCode);
