// The sandbox CLI as the drills use it (up, stop, start a component) and the few live reads they
// need directly: the DNS record clients follow and the MM2 connector states on the Connect worker.
import { spawnSync } from "node:child_process";
import { Resolver } from "node:dns/promises";
import { join } from "node:path";
import { repoRoot } from "../lib/paths.js";
import { connectWorker, dns, HOST } from "../topology.js";

export function sandboxCli(args: string[], inherit = false): { status: number | null; stdout: string } {
  const res = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "sandbox", "cli.ts"), ...args], {
    cwd: repoRoot,
    stdio: ["ignore", inherit ? "inherit" : "pipe", inherit ? "inherit" : "pipe"],
    encoding: "utf8",
  });
  if (res.status !== 0 && !inherit) {
    throw new Error(`sandbox ${args.join(" ")} failed (${res.status}): ${(res.stderr ?? "").slice(-800)}`);
  }
  return { status: res.status, stdout: res.stdout ?? "" };
}

export const PRIMARY_NAME = `kafka-primary.${dns.zone}`;

/** Where the well-known name points now, asked at the authoritative server. */
export async function primaryCname(): Promise<string> {
  const resolver = new Resolver({ timeout: 2_000, tries: 2 });
  resolver.setServers([`${HOST}:${dns.port}`]);
  const [target] = await resolver.resolveCname(PRIMARY_NAME);
  return target ?? "";
}

/** Connector name → state, for every connector on the sandbox's Connect worker. */
export async function connectorStates(): Promise<Record<string, string>> {
  const base = `http://${HOST}:${connectWorker.restPort}`;
  const res = await fetch(`${base}/connectors?expand=status`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as Record<string, { status: { connector: { state: string } } }>;
  return Object.fromEntries(
    Object.entries(body)
      .map(([name, v]) => [name, v.status.connector.state] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}
