// The sandbox CLI: status is machine-readable, and bad input fails with one line naming the
// cause and the fix, a non-zero exit, and nothing left half-started.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { redis } from "../../sandbox/topology.js";
import { repoRoot, sandboxCli } from "./sandbox.js";

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "sandbox/cli.ts", ...args],
      {
        cwd: repoRoot,
        env: { ...process.env, ...env },
        timeout: 120_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split("\n");
  expect(lines, stderr).toHaveLength(1);
  return lines[0]!;
}

describe("sandbox status", () => {
  it("reports every component with endpoints, pid, health and RSS, and the totals", async () => {
    const { code, stdout } = await cli(["status"]);
    expect(code).toBe(0);
    const status = JSON.parse(stdout) as {
      healthy: boolean;
      totalRssBytes: number;
      lastUp: { seconds: number } | null;
      components: { id: string; healthy: boolean; pid?: number; endpoints: string[]; rssBytes?: number }[];
    };
    expect(status.healthy).toBe(true);
    expect(status.components.map((c) => c.id).sort()).toEqual(
      [
        "bind",
        "dc1-kafka",
        "dc1-connect",
        "dc2-connect",
        "dc2-kafka",
        "redis",
        "stretch-1",
        "stretch-2",
        "stretch-3",
        "stretch-4",
        "stretch-5",
      ].sort(),
    );
    for (const c of status.components) {
      expect(c.pid, c.id).toBeGreaterThan(0);
      expect(
        c.endpoints.every((e) => e.includes("127.0.0.1:")),
        c.id,
      ).toBe(true);
      expect(c.rssBytes, c.id).toBeGreaterThan(0);
    }
    // Bar: all services together stay under 6 GiB RSS.
    expect(status.totalRssBytes).toBeLessThan(6 * 1024 ** 3);
    expect(status.lastUp?.seconds).toBeGreaterThan(0);
  });
});

describe("sandbox bad input", () => {
  it("rejects an unknown component and lists the valid ones", async () => {
    const r = await cli(["up", "kafak"]);
    expect(r.code).not.toBe(0);
    expect(oneLine(r.stderr)).toMatch(
      /^sandbox: unknown component "kafak" — fix: use one of: kafka, .*stretch\/dc1/,
    );
  });

  it("names a missing Java and how to fix it", async () => {
    const state = mkdtempSync(join(tmpdir(), "sandbox-nojava-"));
    const r = await cli(["up", "dc1-kafka"], {
      JAVA_HOME: "/nonexistent-jdk",
      SWITCHOVER_SANDBOX_DIR: state,
    });
    expect(r.code).not.toBe(0);
    expect(oneLine(r.stderr)).toBe(
      "sandbox: java: no Java runtime found (/nonexistent-jdk/bin/java) — fix: install Java 17+ (apt-get install openjdk-17-jre-headless) or set JAVA_HOME",
    );
    // Nothing started: no process was given a pid file (the command lock may have created run/).
    const run = join(state, "run");
    expect(existsSync(run) ? readdirSync(run).filter((f) => f.endsWith(".pid")) : []).toEqual([]);
  });

  it("names a Maven failure, points at its log, and leaves no partial jar cache", async () => {
    const state = mkdtempSync(join(tmpdir(), "sandbox-nomaven-"));
    const r = await cli(["fetch"], {
      SWITCHOVER_SANDBOX_DIR: state,
      // Offline with an empty local repository: Maven cannot resolve anything.
      SWITCHOVER_MAVEN_FLAGS: `-o -Dmaven.repo.local=${join(state, "empty-m2")}`,
    });
    expect(r.code).not.toBe(0);
    // The fetch announces itself (it may take a minute), then fails in one line.
    const [announced, ...rest] = r.stderr.trim().split("\n");
    expect(announced).toMatch(
      /^fetching the Kafka 4\.3\.0 jars from Maven Central into .+ \(once; log .+maven\.log\)$/,
    );
    const line = oneLine(rest.join("\n"));
    expect(line).toMatch(
      /^sandbox: maven: could not fetch Kafka 4\.3\.0 jars: .+ — log: .+maven\.log — fix: check access to Maven Central/,
    );
    expect(existsSync(join(state, "cache", "kafka-4.3.0", "lib"))).toBe(false);
    expect(existsSync(join(state, "cache", "kafka-4.3.0", "lib.partial"))).toBe(false);
  });

  it("names a port already taken, and starts nothing", async () => {
    await sandboxCli("stop", "redis");
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(redis.port, "127.0.0.1", resolve));
    try {
      const r = await cli(["up", "redis"]);
      expect(r.code).not.toBe(0);
      expect(oneLine(r.stderr)).toMatch(
        new RegExp(
          `^sandbox: redis: port ${redis.port} on 127\\.0\\.0\\.1 is already in use by pid ${process.pid} \\(.*node.*\\) — fix: stop it \\(kill ${process.pid}\\) or free port ${redis.port}`,
        ),
      );
      const status = JSON.parse((await cli(["status"])).stdout) as {
        components: { id: string; pid?: number }[];
      };
      expect(status.components.find((c) => c.id === "redis")?.pid).toBeUndefined();
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
      await sandboxCli("start", "redis");
    }
  });
});
