// The environment file the reliability suite's processes read: the sandbox's (clusters, Connect,
// replication flows, BIND zone with its TSIG key file), with the suite's own Redis prefix, API
// tokens (hashes only), short queue timings so a killed worker's job and lease come back in
// seconds, and a consumer fleet whose webhooks reach a server inside the test (with a secret header).
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { configSchema, ROLES } from "../../../src/config/schema.js";
import type { Config, Role } from "../../../src/config/schema.js";
import { configFile, repoRoot, sandboxPaths } from "../../../sandbox/lib/paths.js";

export interface SuiteEnvironment {
  dir: string;
  file: string;
  config: Config;
  prefix: string;
  tokens: Record<Role | "approver2", string>;
  /** Secret values the suite checks never leak (tokens, fleet header, TSIG key, Redis password…). */
  secrets: string[];
}

export interface EnvironmentOptions {
  name: string;
  fleets?: Record<string, { pause: string; resume: string; cluster: string; groups: string[] }>;
  fleetHeaderEnv?: string;
  queue?: Record<string, number>;
  service?: Record<string, unknown>;
  http?: { allow: string[] };
  /** Per Connect worker overrides (e.g. its url through a delaying proxy, a shorter timeoutMs). */
  connect?: Record<string, { url?: string; timeoutMs?: number }>;
}

export function writeEnvironment(opts: EnvironmentOptions): SuiteEnvironment {
  const state = sandboxPaths().state;
  const dir = join(state, "reliability", `${opts.name}-${Date.now().toString(36)}`);
  mkdirSync(dir, { recursive: true });
  const base = parse(readFileSync(configFile(sandboxPaths()), "utf8")) as Record<string, unknown>;
  const prefix = `sorel:${opts.name}:${randomBytes(3).toString("hex")}`;
  const names = [...ROLES, "approver2"] as const;
  const tokens = Object.fromEntries(
    names.map((r) => [r, `so_rel_${r}_${randomBytes(16).toString("base64url")}`]),
  ) as SuiteEnvironment["tokens"];
  const sha = (t: string): string => createHash("sha256").update(t).digest("hex");
  const consumers = Object.fromEntries(
    Object.entries(opts.fleets ?? {}).map(([name, f]) => [
      name,
      {
        kind: "webhook",
        cluster: f.cluster,
        groups: f.groups,
        pause: { url: f.pause },
        resume: { url: f.resume },
        ...(opts.fleetHeaderEnv ? { headers: { "x-fleet-token": { env: opts.fleetHeaderEnv } } } : {}),
        timeoutMs: 10_000,
        retries: 1,
      },
    ]),
  );
  const doc = {
    ...base,
    consumers: { ...(base.consumers as object), ...consumers },
    connect: Object.fromEntries(
      Object.entries((base.connect ?? {}) as Record<string, object>).map(([name, c]) => [
        name,
        { ...c, ...opts.connect?.[name] },
      ]),
    ),
    redis: { ...(base.redis as object), prefix },
    ...(opts.http ? { http: opts.http } : {}),
    service: {
      ...(base.service as object),
      auth: {
        tokens: names.map((r) => ({
          name: `rel-${r}`,
          sha256: sha(tokens[r]),
          roles: r === "approver2" ? ["approver"] : [r],
        })),
      },
      runbooksDir: join(repoRoot, "runbooks"),
      operatorRunbooks: ["*"],
      // The sandbox says "all" (every real run waits for a second person); the suite's scenarios
      // are about crashes, outages and leases, so only the runbooks' own gates wait here. A
      // scenario about the policy passes its own approvals in opts.service.
      approvals: { required: "runbook" },
      queue: {
        // Short enough that a killed worker's run comes back in seconds; not shorter: on a loaded
        // 2-core machine a live worker's renewals then arrive late and its job and lease move to
        // another worker (safe — the lease fences every save and apply, see lease-loss.test.ts —
        // but each such move repeats an interrupted apply and slows the suite).
        lockDurationMs: 2_500,
        stalledIntervalMs: 500,
        maxStalledCount: 1_000,
        leaseMs: 2_500,
        shutdownGraceMs: 2_000,
        reconcileIntervalMs: 1_000,
        ...opts.queue,
      },
      ...opts.service,
    },
  };
  const config = configSchema.parse(doc);
  const file = join(dir, "switchover.yaml");
  writeFileSync(file, `# reliability suite environment (generated)\n${stringify(doc)}`, { mode: 0o600 });
  const tsigFile = join(state, "bind", "tsig.secret");
  const secrets = [...Object.values(tokens)];
  try {
    const tsig = readFileSync(tsigFile, "utf8").trim();
    if (tsig) secrets.push(tsig);
  } catch {
    /* no BIND key in this sandbox */
  }
  return { dir, file, config, prefix, tokens, secrets };
}
