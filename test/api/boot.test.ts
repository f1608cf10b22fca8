// Boot refusals (issue 18, finding 12): a service that cannot write its audit file must not start.
// Before the fix it listened, answered a run start with 500 and left a stray `queued` run.
import { spawn } from "node:child_process";
import { createServer as createNetServer } from "node:net";
import type { AddressInfo } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { REDIS_URL } from "./harness.js";

const ROOT = resolve(import.meta.dirname, "../..");

function boot(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: ROOT,
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`still running after 30 s (it booted):\n${output}`));
    }, 30_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

describe("boot", () => {
  it("when the audit file cannot be written, then the service refuses to start and says where", async () => {
    const dir = mkdtempSync(join(tmpdir(), "so-boot-"));
    const config = join(dir, "switchover.yaml");
    writeFileSync(
      config,
      stringify({
        apiVersion: "switchover/v1",
        kind: "Environment",
        clusters: { a: { bootstrapServers: ["127.0.0.1:1"] } },
        redis: { url: REDIS_URL, prefix: `boot-${process.pid}` },
      }),
    );
    // A directory that does not exist stands in for the container's read-only /etc/switchover:
    // as root (CI), a mode-0555 directory would still be writable.
    const unwritable = join(dir, "missing", "audit.jsonl");
    const { code, output } = await boot({ SWITCHOVER_CONFIG: config, SWITCHOVER_AUDIT_JSONL: unwritable });
    expect(code).toBe(1);
    expect(output).toContain(`audit file ${unwritable} is not writable`);
    expect(output).toContain("SWITCHOVER_AUDIT_JSONL");
    expect(output).not.toContain("switchover listening");
  });

  it("when the port is taken, then one line says which and how to fix it, and the process exits 1", async () => {
    const holder = createNetServer();
    await new Promise<void>((r) => holder.listen(0, "127.0.0.1", r));
    const port = (holder.address() as AddressInfo).port;
    try {
      const dir = mkdtempSync(join(tmpdir(), "so-boot-"));
      const config = join(dir, "switchover.yaml");
      writeFileSync(
        config,
        stringify({
          apiVersion: "switchover/v1",
          kind: "Environment",
          redis: { url: REDIS_URL, prefix: `boot-${process.pid}` },
        }),
      );
      const { code, output } = await boot({
        SWITCHOVER_CONFIG: config,
        SWITCHOVER_AUDIT_JSONL: join(dir, "audit.jsonl"),
        PORT: String(port),
      });
      expect(code).toBe(1);
      expect(output).toContain(
        `switchover failed to start: port ${port} on 127.0.0.1 is already in use (another switchover, or another service): stop it, or set PORT to a free port`,
      );
      expect(output).not.toMatch(/\n\s+at /);
    } finally {
      holder.close();
    }
  });
});
