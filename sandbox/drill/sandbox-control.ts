// The sandbox CLI as the drills use it (up, stop, start a component) and the few live reads they
// need directly: the DNS record clients follow and the MM2 connector states on the Connect worker.
import { spawnSync } from "node:child_process";
import { Resolver } from "node:dns/promises";
import { join } from "node:path";
import { createDnsZones } from "../../src/adapters/dns/providers/dns-zones.js";
import type { Config } from "../../src/config/schema.js";
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

/** Pauses one connector directly on the worker (drills use it to make replication lag on purpose). */
export async function pauseConnector(name: string): Promise<void> {
  const base = `http://${HOST}:${connectWorker.restPort}`;
  const res = await fetch(`${base}/connectors/${name}/pause`, {
    method: "PUT",
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok && res.status !== 202) throw new Error(`pause ${name}: ${res.status} ${await res.text()}`);
}

/** Resumes one connector paused by pauseConnector. */
export async function resumeConnector(name: string): Promise<void> {
  const base = `http://${HOST}:${connectWorker.restPort}`;
  const res = await fetch(`${base}/connectors/${name}/resume`, {
    method: "PUT",
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok && res.status !== 202) throw new Error(`resume ${name}: ${res.status} ${await res.text()}`);
}

/**
 * Puts the well-known name back on dc1 through the sandbox zone's provider, when a drill failed
 * between its failover and its failback (the next drill needs the before-state).
 */
export async function restorePrimaryCname(config: Config, zone = "sandbox"): Promise<boolean> {
  if ((await primaryCname().catch(() => "")) === "dc1-kafka.dr.test") return false;
  const provider = createDnsZones(config.dns).zone(zone);
  const signal = AbortSignal.timeout(15_000);
  const current = await provider.read(PRIMARY_NAME, "CNAME", signal);
  await provider.replace(
    current,
    { name: PRIMARY_NAME, type: "CNAME", ttl: current?.ttl ?? 30, values: ["dc1-kafka.dr.test"] },
    PRIMARY_NAME,
    "CNAME",
    signal,
  );
  return true;
}

/** Resumes every paused connector on the worker; returns the ones it resumed. */
export async function resumePausedConnectors(): Promise<string[]> {
  const states = await connectorStates();
  const paused = Object.keys(states).filter((n) => states[n] === "PAUSED");
  for (const name of paused) await resumeConnector(name);
  return paused;
}
