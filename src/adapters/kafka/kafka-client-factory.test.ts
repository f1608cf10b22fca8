import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { clusterSchema } from "../../config/schema.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import { kafkaOptions } from "./kafka-client-factory.js";

describe("kafka client options from config", () => {
  it("maps SASL (secret from env) and TLS files, with bounded retries and configured timeouts", () => {
    const dir = mkdtempSync(join(tmpdir(), "so-tls-"));
    writeFileSync(join(dir, "ca.pem"), "CA");
    process.env.SO_TEST_KAFKA_PW = "s3cret";
    const c = clusterSchema.parse({
      bootstrapServers: ["k:9093"],
      sasl: { mechanism: "scram-sha-512", username: "so", password: { env: "SO_TEST_KAFKA_PW" } },
      tls: { caFile: join(dir, "ca.pem") },
      connectionTimeoutMs: 1234,
      requestTimeoutMs: 5678,
    });
    const o = kafkaOptions("prod", c);
    expect(o.sasl).toEqual({ mechanism: "scram-sha-512", username: "so", password: "s3cret" });
    expect(o.ssl).toEqual({ rejectUnauthorized: true, ca: ["CA"] });
    expect(o.connectionTimeout).toBe(1234);
    expect(o.requestTimeout).toBe(5678);
    expect(o.retry?.retries).toBe(5);
    // The config object itself never carries the value.
    expect(inspect(c)).not.toContain("s3cret");
  });

  it("fails precisely on a missing secret or TLS file", () => {
    const noSecret = clusterSchema.parse({
      bootstrapServers: ["k:9093"],
      sasl: { mechanism: "plain", username: "so", password: { env: "SO_TEST_UNSET_VAR" } },
    });
    expect(() => kafkaOptions("prod", noSecret)).toThrow(
      "secret environment variable SO_TEST_UNSET_VAR is not set",
    );
    const noCa = clusterSchema.parse({
      bootstrapServers: ["k:9093"],
      tls: { caFile: "/nonexistent/ca.pem" },
    });
    expect(() => kafkaOptions("prod", noCa)).toThrow(
      "cluster prod: TLS file /nonexistent/ca.pem cannot be read",
    );
  });

  it("a missing secret is a configuration error naming the cluster, not an internal one", () => {
    const noSecret = clusterSchema.parse({
      bootstrapServers: ["k:9093"],
      sasl: { mechanism: "scram-sha-512", username: "so", password: { env: "SO_TEST_UNSET_VAR" } },
    });
    let err: unknown;
    try {
      kafkaOptions("prod", noSecret);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SwitchoverError);
    expect(err).toMatchObject({
      code: ErrorCode.Configuration,
      message: "cluster prod: SASL password: secret environment variable SO_TEST_UNSET_VAR is not set",
    });
  });

  it("a purpose changes only the client id suffix, timeouts and retries; security stays the cluster's", () => {
    process.env.SO_TEST_KAFKA_PW = "s3cret";
    const c = clusterSchema.parse({
      bootstrapServers: ["k:9093"],
      clientId: "so",
      sasl: { mechanism: "scram-sha-512", username: "so", password: { env: "SO_TEST_KAFKA_PW" } },
    });
    const o = kafkaOptions("prod", c, {
      clientIdSuffix: "-readyz",
      connectionTimeoutMs: 500,
      requestTimeoutMs: 700,
      retry: { retries: 0 },
    });
    expect(o).toMatchObject({
      clientId: "so-readyz",
      brokers: ["k:9093"],
      connectionTimeout: 500,
      requestTimeout: 700,
      retry: { retries: 0 },
      sasl: { mechanism: "scram-sha-512", username: "so", password: "s3cret" },
    });
  });
});
