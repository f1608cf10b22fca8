// The Kubernetes scale client over real local servers: HTTPS trusted through the configured CA (and
// refused without it), an API server behind a path prefix, retries on 5xx, and a token from env.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consumerFleetSchema } from "../../config/schema.js";
import { SwitchoverError } from "../../engine/errors.js";
import { KubernetesController } from "./kubernetes-controller.js";

const signal = new AbortController().signal;
const seen: string[] = [];
let replicas = 4;
let failures = 0;

function handler(req: IncomingMessage, res: ServerResponse): void {
  seen.push(`${req.method} ${req.url} ${req.headers.authorization}`);
  if (failures > 0) {
    failures--;
    res
      .writeHead(503, { "content-type": "application/json" })
      .end('{"kind":"Status","message":"etcdserver: leader changed"}');
    return;
  }
  let body = "";
  req.on("data", (c: Buffer) => (body += c.toString()));
  req.on("end", () => {
    if (req.method === "PATCH") replicas = (JSON.parse(body) as { spec: { replicas: number } }).spec.replicas;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ spec: { replicas } }));
  });
}

let dir: string;
let httpsUrl: string;
let httpUrl: string;
const servers: { close(cb: () => void): void }[] = [];

function controller(
  apiServer: string,
  extra: Record<string, unknown> = {},
  retries = 2,
): KubernetesController {
  const config = consumerFleetSchema.parse({
    kind: "kubernetes",
    apiServer,
    namespace: "shop",
    workload: { kind: "Deployment", name: "orders" },
    token: { env: "K8S_TOKEN" },
    ...extra,
  });
  if (config.kind !== "kubernetes") throw new Error("unreachable");
  return new KubernetesController("orders", config, {
    env: { K8S_TOKEN: "tok-123" },
    retry: { retries, baseDelayMs: 1 },
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "switchover-k8s-tls-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      join(dir, "key.pem"),
      "-out",
      join(dir, "ca.pem"),
    ],
    { stdio: "ignore" },
  );
  const https = createHttpsServer(
    { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "ca.pem")) },
    handler,
  );
  const http = createHttpServer(handler);
  for (const s of [https, http]) {
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    servers.push(s);
  }
  httpsUrl = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
  httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

describe("KubernetesController", () => {
  it("when the API server's certificate is signed by the configured CA, then HTTPS calls succeed with the bearer token", async () => {
    seen.length = 0;
    replicas = 4;
    const k = controller(httpsUrl, { caFile: join(dir, "ca.pem") });
    expect(await k.pause(undefined, signal)).toBe(4);
    expect(replicas).toBe(0);
    expect(seen).toEqual([
      "GET /apis/apps/v1/namespaces/shop/deployments/orders/scale Bearer tok-123",
      "PATCH /apis/apps/v1/namespaces/shop/deployments/orders/scale Bearer tok-123",
    ]);
  });

  it("when no CA is configured for a self-signed server, then the TLS failure is reported, not hidden", async () => {
    const err = (await controller(httpsUrl, {}, 0)
      .replicas(signal)
      .catch((e: unknown) => e)) as SwitchoverError;
    expect(err).toBeInstanceOf(SwitchoverError);
    expect(err.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(err.message).toMatch(
      /^fleet orders: Kubernetes API GET https:\/\/127\.0\.0\.1:\d+\/apis\/apps\/v1\/namespaces\/shop\/deployments\/orders\/scale failed: self[- ]signed certificate/,
    );
  });

  it("when the API server sits behind a path prefix, then the scale path is appended to it", async () => {
    seen.length = 0;
    await controller(`${httpUrl}/clusters/prod/`).replicas(signal);
    expect(seen).toEqual([
      "GET /clusters/prod/apis/apps/v1/namespaces/shop/deployments/orders/scale Bearer tok-123",
    ]);
  });

  it("when the API answers 503, then it retries; when it keeps failing, the last status and message are reported", async () => {
    seen.length = 0;
    failures = 2;
    replicas = 0;
    expect(await controller(httpUrl).resume(undefined, 5, signal)).toBe(0);
    expect(replicas).toBe(5);
    expect(seen.map((s) => s.split(" ")[0])).toEqual(["GET", "GET", "GET", "PATCH"]);

    failures = 10;
    const err = (await controller(httpUrl)
      .replicas(signal)
      .catch((e: unknown) => e)) as SwitchoverError;
    failures = 0;
    expect([err.code, err.retryable]).toEqual(["UPSTREAM_UNAVAILABLE", true]);
    expect(err.message).toBe(
      `fleet orders: Kubernetes API GET ${httpUrl}/apis/apps/v1/namespaces/shop/deployments/orders/scale answered 503 on attempt 3 of 3: etcdserver: leader changed`,
    );
  });

  it("when the CA file is missing or the token variable unset, then a precise error before any request (VALIDATION for the CA file, CONFIGURATION for the secret)", async () => {
    seen.length = 0;
    const noCa = (await controller(httpsUrl, { caFile: join(dir, "missing.pem") })
      .replicas(signal)
      .catch((e: unknown) => e)) as SwitchoverError;
    expect([noCa.code, noCa.message]).toEqual([
      "VALIDATION",
      `fleet orders: CA file ${join(dir, "missing.pem")} cannot be read (ENOENT)`,
    ]);
    const config = consumerFleetSchema.parse({
      kind: "kubernetes",
      apiServer: httpUrl,
      namespace: "shop",
      workload: { kind: "StatefulSet", name: "ledger" },
      token: { env: "NOT_SET_ANYWHERE" },
    });
    if (config.kind !== "kubernetes") throw new Error("unreachable");
    const noToken = (await new KubernetesController("ledger", config, { env: {} })
      .replicas(signal)
      .catch((e: unknown) => e)) as SwitchoverError;
    expect([noToken.code, noToken.message]).toEqual([
      "CONFIGURATION",
      "fleet ledger: service-account token: secret environment variable NOT_SET_ANYWHERE is not set",
    ]);
    expect(seen).toEqual([]);
  });
});
