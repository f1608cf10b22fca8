// Builds the real service (API + worker) on the sandbox's Redis for one test file: unique key
// prefix and queue, generated tokens per role, test runbooks in a temp dir, and a test-only step
// kind whose side effects are counted in Redis. close() removes everything it created.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { z } from "zod";
import { sha256Hex } from "../../src/api/auth.js";
import type { DependencyCheck } from "../../src/api/readiness.js";
import { configSchema } from "../../src/config/schema.js";
import type { Config } from "../../src/config/schema.js";
import { MemoryLogger } from "../../src/engine/ports/logger.js";
import { defineStep } from "../../src/engine/step-contract.js";
import type { AnyStep } from "../../src/engine/step-contract.js";
import { clusterRef } from "../../src/engine/target-ref.js";
import { buildService } from "../../src/main.js";
import type { Mode, Service } from "../../src/main.js";
import { port } from "../../sandbox/topology.js";

export const REDIS_URL = process.env.SWITCHOVER_TEST_REDIS ?? `redis://127.0.0.1:${port(16379)}`;

export const ROLE_TOKENS = ["viewer", "operator", "approver", "admin", "approver2", "nobody"] as const;
export type TokenName = (typeof ROLE_TOKENS)[number];

export const RUNBOOKS: Record<string, string> = {
  "touch-dc1": `
apiVersion: switchover/v1
kind: Runbook
metadata: { name: touch-dc1, description: touches dc1 once }
params:
  key: { type: string, default: k }
steps:
  - id: touch
    uses: test.touch
    with: { cluster: dc1, key: "\${{ params.key }}" }
  - id: check
    uses: assert
    with: { that: true, message: never fails }
`,
  hold: `
apiVersion: switchover/v1
kind: Runbook
metadata: { name: hold }
params:
  key: { type: string, default: h }
  holdMs: { type: number, default: 1500 }
steps:
  - id: touch
    uses: test.touch
    with: { cluster: dc2, key: "\${{ params.key }}", holdMs: "\${{ params.holdMs }}" }
  - id: after
    uses: assert
    with: { that: true, message: never fails }
`,
  gated: `
apiVersion: switchover/v1
kind: Runbook
metadata: { name: gated }
params:
  key: { type: string, default: g }
steps:
  - id: go
    uses: approval
    with: { message: confirm the drill }
  - id: touch
    uses: test.touch
    with: { cluster: dc1, key: "\${{ params.key }}" }
`,
  fails: `
apiVersion: switchover/v1
kind: Runbook
metadata: { name: fails }
params:
  ok: { type: boolean, default: false }
steps:
  - id: gate
    uses: assert
    with: { that: "\${{ params.ok }}", message: the world is not ready }
  - id: touch
    uses: test.touch
    with: { cluster: dc2, key: after-fail }
`,
  "by-param": `
apiVersion: switchover/v1
kind: Runbook
metadata: { name: by-param }
params:
  cluster: { type: string, enum: [dc1, dc2], required: true }
steps:
  - id: touch
    uses: test.touch
    with: { cluster: "\${{ params.cluster }}", key: by-param }
`,
  "sleepy-wait": `
apiVersion: switchover/v1
kind: Runbook
metadata: { name: sleepy-wait }
params:
  for: { type: duration, default: 3s }
steps:
  - id: pause
    uses: wait
    with: { duration: "\${{ params.for }}" }
  - id: done
    uses: assert
    with: { that: true, message: never fails }
`,
  broken: `
apiVersion: switchover/v1
kind: Runbook
metadata: { name: broken }
steps:
  - id: nope
    uses: no.such.kind
    with: {}
`,
};

/** test.touch: counts its applies in Redis (the side effect tests count) and can hold for a while. */
export function touchStep(redis: Redis, prefix: string): AnyStep {
  const input = (t: Parameters<typeof clusterRef>[0]) =>
    z.strictObject({
      cluster: clusterRef(t),
      key: z.string().min(1),
      holdMs: z.number().int().min(0).default(0),
    });
  return defineStep<z.infer<ReturnType<typeof input>>>({
    kind: "test.touch",
    description: "count an apply in Redis (tests)",
    adapters: [],
    targets: { cluster: "cluster" },
    input,
    async plan(_ctx, i) {
      const now = Number((await redis.get(`${prefix}:touch:${i.key}`)) ?? 0);
      return {
        changes: [{ resource: `cluster/${i.cluster}`, field: `touch.${i.key}`, from: now, to: now + 1 }],
        // Shaped like kafka.verifyTranslatedOffsets' estimates, so reports have an RPO to show.
        outputs: { key: i.key, rpoMessages: now, rpoAgeMs: 1_500, reprocessWindow: 7 },
      };
    },
    async apply(ctx, _plan, i) {
      if (i.holdMs > 0) await ctx.clock.sleep(i.holdMs, ctx.signal);
      const n = await redis.incr(`${prefix}:touch:${i.key}`);
      await redis.rpush(`${prefix}:touch-log`, `${i.key}:${ctx.runId}`);
      return { count: n - 1 };
    },
    async verify() {},
    revert: ({ input: i }) => ({ with: { cluster: i.cluster, key: `${i.key}-revert` } }),
  });
}

export interface Harness {
  service: Service;
  config: Config;
  prefix: string;
  redis: Redis;
  tokens: Record<TokenName, string>;
  runbooksDir: string;
  touches(key: string): Promise<number>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  mode?: Mode;
  service?: Record<string, unknown>;
  readinessChecks?: DependencyCheck[];
  /** Use the service's own readiness and target checks (built from config) instead of Redis alone. */
  defaultChecks?: boolean;
  clusters?: Record<string, unknown>;
  /** Connect workers and DNS zones of the environment file (none by default). */
  connect?: Record<string, unknown>;
  dns?: Record<string, unknown>;
  http?: { allow: string[] };
  /** The environment file's `secrets` (name → {env} or {file}) that runbooks reference. */
  secrets?: Record<string, unknown>;
  /** More runbooks (name → YAML) beside RUNBOOKS, for one test file. */
  runbooks?: Record<string, string>;
  /** Another Redis than the sandbox's (tests that lose or restart their own). */
  redisUrl?: string;
  /** The audit JSONL file (and its state file beside it); none by default. */
  auditJsonlPath?: string;
  /** More settings under `redis` (e.g. replicaAckTimeoutMs). */
  redisConfig?: Record<string, unknown>;
  /** Reuse a key prefix (a second service on the same keyspace); a fresh one by default. */
  prefix?: string;
  /** Tokens to reuse (with `prefix`), so a restarted service accepts the same ones. */
  tokens?: Record<TokenName, string>;
  /** Keep the service's log (silent by default). */
  logger?: MemoryLogger;
}

export function testConfig(
  prefix: string,
  tokens: Record<TokenName, string>,
  runbooksDir: string,
  extra: HarnessOptions = {},
): Config {
  const roles: Record<TokenName, string[]> = {
    viewer: ["viewer"],
    operator: ["operator"],
    approver: ["approver"],
    admin: ["admin"],
    approver2: ["approver", "operator"],
    nobody: [],
  };
  return configSchema.parse({
    apiVersion: "switchover/v1",
    kind: "Environment",
    clusters: extra.clusters ?? {
      dc1: { bootstrapServers: [`127.0.0.1:${port(19092)}`] },
      dc2: { bootstrapServers: [`127.0.0.1:${port(29092)}`] },
    },
    replication: {},
    ...(extra.connect ? { connect: extra.connect } : {}),
    ...(extra.dns ? { dns: extra.dns } : {}),
    ...(extra.http ? { http: extra.http } : {}),
    ...(extra.secrets ? { secrets: extra.secrets } : {}),
    redis: { url: extra.redisUrl ?? REDIS_URL, prefix, ...extra.redisConfig },
    service: {
      auth: {
        tokens: ROLE_TOKENS.filter((n) => roles[n].length > 0).map((n) => ({
          name: n,
          sha256: sha256Hex(tokens[n]),
          roles: roles[n],
        })),
      },
      twoPersonRule: true,
      // Most API tests are about something else than the server's approval policy: only the
      // runbooks' own gates wait (approvals.test.ts tests "all" and its rules).
      approvals: { required: "runbook" },
      runbooksDir,
      // by-param is deliberately missing: operators may only dry-run it.
      operatorRunbooks: ["touch-dc1", "hold", "gated", "fails", "sleepy-wait"],
      queue: {
        lockDurationMs: 2_000,
        stalledIntervalMs: 1_000,
        leaseMs: 2_000,
        shutdownGraceMs: 2_000,
        reconcileIntervalMs: 1_000,
      },
      ...extra.service,
    },
  });
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const prefix = opts.prefix ?? `sotest:${randomUUID().slice(0, 8)}`;
  const tokens =
    opts.tokens ??
    (Object.fromEntries(ROLE_TOKENS.map((n) => [n, `so_${n}_${randomBytes(12).toString("hex")}`])) as Record<
      TokenName,
      string
    >);
  const runbooksDir = mkdtempSync(join(tmpdir(), "so-runbooks-"));
  for (const [name, text] of Object.entries({ ...RUNBOOKS, ...opts.runbooks }))
    writeFileSync(join(runbooksDir, `${name}.yaml`), text);
  const config = testConfig(prefix, tokens, runbooksDir, opts);
  const redis = new Redis(opts.redisUrl ?? REDIS_URL);
  // Tests that kill their own Redis on purpose: reconnects are expected, not unhandled errors.
  redis.on("error", () => undefined);
  const service = await buildService({
    ...(opts.auditJsonlPath ? { auditJsonlPath: opts.auditJsonlPath } : {}),
    config,
    mode: opts.mode ?? "all",
    logger: opts.logger ?? MemoryLogger.silent(),
    extraSteps: [touchStep(redis, prefix)],
    ...(opts.defaultChecks
      ? {}
      : {
          readinessChecks: opts.readinessChecks ?? [
            { name: "redis", check: async () => void (await redis.ping()) },
          ],
        }),
  });
  await service.worker?.ready();
  return {
    service,
    config,
    prefix,
    redis,
    tokens,
    runbooksDir,
    touches: async (key) => Number((await redis.get(`${prefix}:touch:${key}`)) ?? 0),
    async close() {
      await service.close(0);
      // BullMQ's keys live under the same prefix (<prefix>:bull:…), so this removes the queue too.
      await deleteKeys(redis, prefix);
      redis.disconnect();
      rmSync(runbooksDir, { recursive: true, force: true });
    },
  };
}

export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1_000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
}

/** Polls until check returns a value (not undefined) or the timeout passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
