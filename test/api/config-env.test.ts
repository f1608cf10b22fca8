// Boot-time inputs of the service: the env schema (parsed once, every problem named, values never
// echoed), Redis URLs (plain, TLS, Sentinel), and the service section's defaults.
import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "../../src/config/env.js";
import { configSchema } from "../../src/config/schema.js";
import { redisOptionsFromUrl } from "../../src/queue/redis-connection.js";

describe("env", () => {
  it("when nothing is set, then the defaults run API and worker together", () => {
    expect(parseEnv({})).toMatchObject({ PORT: 8080, SWITCHOVER_MODE: "all", LOG_LEVEL: "info" });
  });
  it("when values are wrong, then every problem is named and no value is echoed", () => {
    try {
      parseEnv({ PORT: "99999", SWITCHOVER_MODE: "both", REDIS_URL: "http://secret-host:1234" });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(EnvError);
      const e = err as EnvError;
      expect(e.problems.map((p) => p.split(":")[0]).sort()).toEqual(["PORT", "REDIS_URL", "SWITCHOVER_MODE"]);
      expect(e.message).not.toContain("secret-host");
    }
  });
});

describe("Redis URLs", () => {
  it("reads host, port, db, user and password from redis://", () => {
    expect(redisOptionsFromUrl("redis://u:p%40ss@cache.internal:6380/2")).toEqual({
      host: "cache.internal",
      port: 6380,
      db: 2,
      username: "u",
      password: "p@ss",
    });
  });
  it("turns rediss:// into TLS, and lets a configured secret override the URL's password", () => {
    expect(redisOptionsFromUrl("rediss://:inline@h:6379", "from-secret")).toEqual({
      host: "h",
      port: 6379,
      password: "from-secret",
      tls: {},
    });
  });
  it("reads Sentinel: several sentinels and the master name", () => {
    expect(redisOptionsFromUrl("redis+sentinel://s1:26379,s2:26380,s3/mymaster?db=1")).toEqual({
      sentinels: [
        { host: "s1", port: 26379 },
        { host: "s2", port: 26380 },
        { host: "s3", port: 26379 },
      ],
      name: "mymaster",
      db: 1,
    });
  });
  it("refuses other schemes", () => {
    expect(() => redisOptionsFromUrl("http://h:1")).toThrow(/unsupported Redis URL scheme/);
  });
});

describe("service section", () => {
  const base = { apiVersion: "switchover/v1", kind: "Environment" };
  it("when absent, then safe defaults: no tokens (everything refused), two-person rule on", () => {
    const c = configSchema.parse(base);
    expect(c.service).toMatchObject({ auth: { tokens: [] }, twoPersonRule: true, operatorRunbooks: [] });
    expect(c.service.limits.bodyBytes).toBe(65_536);
    expect(c.service.queue).toMatchObject({ lockDurationMs: 30_000, maxStalledCount: 5 });
  });
  it("when a token is not a sha256 or has an unknown role, then the config is refused", () => {
    const bad = configSchema.safeParse({
      ...base,
      service: { auth: { tokens: [{ name: "x", sha256: "plaintext-token", roles: ["root"] }] } },
    });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join(".")).sort()).toEqual([
      "service.auth.tokens.0.roles.0",
      "service.auth.tokens.0.sha256",
    ]);
  });
});
