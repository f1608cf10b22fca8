// The sandbox Redis keeps data across a crash: AOF with fsync every second, so a write made
// more than a second before a SIGKILL is still there after restart.
import { afterAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { eventually, sandboxCli, sandboxConfig, unique } from "./sandbox.js";
import { port } from "../../sandbox/topology.js";

const clients: Redis[] = [];
function connect(): Redis {
  const client = new Redis(sandboxConfig().redis.url, { maxRetriesPerRequest: 1, lazyConnect: true });
  client.on("error", () => undefined);
  clients.push(client);
  return client;
}

afterAll(() => clients.forEach((c) => c.disconnect()));

describe("sandbox Redis persistence", () => {
  it("runs with appendonly on its own port", async () => {
    const redis = connect();
    await redis.connect();
    expect(await redis.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
    expect(sandboxConfig().redis.url).toBe(`redis://127.0.0.1:${port(16379)}`);
  });

  it("keeps acknowledged writes through kill -9 and restart", async () => {
    const key = unique("switchover-test:aof:");
    const before = connect();
    await before.connect();
    await before.set(key, "survives", "EX", 600);
    await before.xadd(`${key}:stream`, "*", "event", "one");
    await new Promise((r) => setTimeout(r, 1_500));
    before.disconnect();

    await sandboxCli("stop", "redis");
    await sandboxCli("start", "redis");

    const after = connect();
    await after.connect();
    expect(
      await eventually(
        "redis to answer",
        async () => ((await after.ping()) === "PONG" ? true : undefined),
        20_000,
      ),
    ).toBe(true);
    expect(await after.get(key)).toBe("survives");
    expect(await after.xlen(`${key}:stream`)).toBe(1);
    await after.del(key, `${key}:stream`);
  });
});
