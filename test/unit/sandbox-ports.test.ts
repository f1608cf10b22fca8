// A port the sandbox or the demo needs is taken: the message says which port and by what (pid and
// command line), and nothing is started in its place.
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SandboxError } from "../../sandbox/components/types.js";
import { startService } from "../../sandbox/drill/service-process.js";
import { portHolder, requirePortFree } from "../../sandbox/lib/process.js";

let server: Server;
let port: number;
beforeAll(async () => {
  server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

describe("a taken port", () => {
  it("is attributed to the process that listens on it", () => {
    const holder = portHolder(port);
    expect(holder).toMatch(new RegExp(`^pid ${process.pid} \\(.*node`));
  });

  it("stops a component from starting, naming the port, the holder and how to free it", async () => {
    const err = await requirePortFree("redis", port).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SandboxError);
    expect((err as Error).message).toContain(
      `port ${port} on 127.0.0.1 is already in use by pid ${process.pid} (`,
    );
    expect(JSON.stringify(err)).toContain(`kill ${process.pid}`);
  });

  it("stops the demo's service from starting (an old service there would answer in its place)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "so-port-"));
    await expect(startService(dir, port)).rejects.toThrow(
      new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use by pid ${process.pid} .*DEMO_PORT`),
    );
  });

  it("a free port passes", async () => {
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, "127.0.0.1", r));
    const p = (free.address() as AddressInfo).port;
    await new Promise((r) => free.close(r));
    await expect(requirePortFree("redis", p)).resolves.toBeUndefined();
    expect(portHolder(p)).toBeUndefined();
  });
});
