// The webhook controller against a local HTTP server: timeouts and 5xx are retried with backoff and
// reported precisely, secrets from env/file reach the server but never an error, query strings stay hidden.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consumerFleetSchema } from "../../config/schema.js";
import type { SwitchoverError } from "../../engine/errors.js";
import { WebhookController } from "./webhook-controller.js";

const signal = new AbortController().signal;
const target = { cluster: "dc2", bootstrapServers: ["127.0.0.1:29092"], groups: ["orders"] };
let server: Server;
let base: string;
let dir: string;
const seen: { url: string; headers: IncomingMessage["headers"]; delays: number }[] = [];
let script: ("hang" | number)[] = [];
const delays: number[] = [];

const HANG_TIMEOUT = 200;

function webhook(extra: Record<string, unknown> = {}): WebhookController {
  const config = consumerFleetSchema.parse({
    kind: "webhook",
    pause: { url: `${base}/pause?token=query-secret` },
    resume: { url: `${base}/resume`, method: "PUT" },
    headers: {
      "X-Api-Key": { env: "API_KEY" },
      "X-Other": { file: join(dir, "other") },
      "X-Plain": "visible",
    },
    // Long enough that a loaded CI machine never times out an endpoint that answers at once; the
    // hanging cases pass HANG_TIMEOUT.
    timeoutMs: 5_000,
    retries: 2,
    ...extra,
  });
  if (config.kind !== "webhook") throw new Error("unreachable");
  return new WebhookController("orders", config, {
    env: { API_KEY: "env-secret-value" },
    retry: {
      baseDelayMs: 50,
      sleep: async (ms) => {
        delays.push(ms);
      },
    },
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "switchover-webhook-"));
  writeFileSync(join(dir, "other"), "file-secret-value\n");
  server = createServer((req, res) => {
    seen.push({ url: `${req.method} ${req.url}`, headers: req.headers, delays: delays.length });
    const next = script.shift() ?? 204;
    if (next === "hang") return; // never answers: the client's timeout must fire
    res.writeHead(next, { "content-type": "text/plain" }).end(next >= 300 ? "nope" : "");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

function reset(next: ("hang" | number)[]): void {
  seen.length = 0;
  delays.length = 0;
  script = next;
}

describe("WebhookController", () => {
  it("sends the configured method, secret headers resolved from env and file, and the target as JSON", async () => {
    reset([204]);
    await webhook().resume(target, undefined, signal);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe("PUT /resume");
    expect(seen[0]!.headers).toMatchObject({
      "x-api-key": "env-secret-value",
      "x-other": "file-secret-value",
      "x-plain": "visible",
      "content-type": "application/json",
    });
  });

  it("when the endpoint hangs and then answers 502, then each try times out or fails, with exponential backoff, and the last is reported", async () => {
    reset(["hang", 502, 502]);
    const err = (await webhook({ timeoutMs: HANG_TIMEOUT })
      .pause(target, signal)
      .catch((e: unknown) => e)) as SwitchoverError;
    expect(seen.map((s) => s.url)).toEqual([
      "POST /pause?token=query-secret",
      "POST /pause?token=query-secret",
      "POST /pause?token=query-secret",
    ]);
    expect(delays).toEqual([50, 100]);
    expect([err.code, err.retryable]).toEqual(["UPSTREAM_UNAVAILABLE", true]);
    expect(err.message).toBe(
      `fleet orders: POST ${base}/pause answered 502 Bad Gateway on attempt 3 of 3 (expected 200, 202, 204): "nope"`,
    );
    const everything = `${err.message} ${JSON.stringify(err.details)}`;
    for (const secret of ["query-secret", "env-secret-value", "file-secret-value"])
      expect(everything).not.toContain(secret);
  });

  it("when every try times out, then the timeout is the reported cause", async () => {
    reset(["hang", "hang", "hang"]);
    const err = (await webhook({ timeoutMs: HANG_TIMEOUT })
      .pause(target, signal)
      .catch((e: unknown) => e)) as SwitchoverError;
    expect(err.message).toBe(
      `fleet orders: POST ${base}/pause did not answer within ${HANG_TIMEOUT} ms (attempt 3 of 3)`,
    );
  });

  it("when the answer is a 404, then it fails at once: retrying cannot help", async () => {
    reset([404]);
    const err = (await webhook()
      .pause(target, signal)
      .catch((e: unknown) => e)) as SwitchoverError;
    expect([err.code, err.retryable, seen.length, delays]).toEqual(["UPSTREAM", false, 1, []]);
  });

  it("when a secret cannot be resolved, then CONFIGURATION names the header and the reference, and nothing is sent", async () => {
    reset([]);
    const config = consumerFleetSchema.parse({
      kind: "webhook",
      pause: { url: `${base}/pause` },
      resume: { url: `${base}/resume` },
      headers: { Authorization: { env: "MISSING_TOKEN" } },
    });
    if (config.kind !== "webhook") throw new Error("unreachable");
    const err = (await new WebhookController("orders", config, { env: {} })
      .pause(target, signal)
      .catch((e: unknown) => e)) as SwitchoverError;
    expect([err.code, err.message]).toEqual([
      "CONFIGURATION",
      "fleet orders: header Authorization: secret environment variable MISSING_TOKEN is not set",
    ]);
    expect(seen).toEqual([]);
  });
});
