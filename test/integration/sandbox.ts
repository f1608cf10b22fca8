// Shared helpers for integration tests: the sandbox's environment file, CLI, and unique names.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { Kafka, logLevel } from "kafkajs";
import { loadConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/schema.js";

export const repoRoot = resolve(import.meta.dirname, "..", "..");

export function sandboxConfig(): Config {
  return loadConfig(
    resolve(process.env.SWITCHOVER_SANDBOX_DIR ?? resolve(repoRoot, ".sandbox"), "switchover.yaml"),
  );
}

export function kafkaFor(cluster: string, opts: { retries?: number } = {}): Kafka {
  const c = sandboxConfig().clusters[cluster];
  if (!c) throw new Error(`no cluster ${cluster} in the sandbox environment`);
  return new Kafka({
    clientId: `switchover-test-${cluster}`,
    brokers: c.bootstrapServers,
    logLevel: logLevel.NOTHING,
    retry: { retries: opts.retries ?? 5, initialRetryTime: 200 },
  });
}

/** A short unique suffix so tests never share topics, groups or keys. */
export function unique(prefix: string): string {
  return `${prefix}${randomBytes(4).toString("hex")}`;
}

/** Runs the sandbox CLI (`stop dc1`, `start stretch/dc1` …) and returns its stderr. */
export async function sandboxCli(...args: string[]): Promise<string> {
  const { stderr } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "sandbox/cli.ts", ...args],
    {
      cwd: repoRoot,
      timeout: 240_000,
    },
  );
  return stderr;
}

/** `sandbox status` as data: the default components, and the opt-in ones under `optional`. */
export async function sandboxStatus(): Promise<{
  healthy: boolean;
  components: { id: string; healthy: boolean; pid?: number }[];
  optional: { id: string; healthy: boolean; pid?: number }[];
}> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "sandbox/cli.ts", "status"],
    {
      cwd: repoRoot,
      timeout: 60_000,
    },
  );
  return JSON.parse(stdout) as Awaited<ReturnType<typeof sandboxStatus>>;
}

export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ""}`,
  );
}

/**
 * One acks=all produce, by default with no client retries: undefined when acknowledged, else the
 * error (a stretched cluster that lost a DC answers NOT_ENOUGH_REPLICAS while min-ISR exceeds what
 * is left). With retries, the client refreshes its metadata after NOT_LEADER_FOR_PARTITION and tries
 * again, as any producer does just after leaders moved.
 */
export async function produceOnce(kafka: Kafka, topic: string, retries = 0): Promise<unknown> {
  const producer = kafka.producer({ retry: { retries }, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, timeout: 5_000, messages: [{ key: "k", value: "v" }] });
    return undefined;
  } catch (err) {
    return err;
  } finally {
    await producer.disconnect();
  }
}

/** kafkajs wraps the broker's error code in retry errors: collect the types along the cause chain. */
export function errorTypes(err: unknown): string[] {
  const types: string[] = [];
  for (let e = err as { type?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.type) types.push(e.type);
  }
  return types;
}
