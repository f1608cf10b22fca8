// The API side of the suite, in the test process: the real service (mode api) on the suite's Redis
// prefix, listening on an ephemeral port, with its pino log in a file (scanned for secrets) and
// every response body kept (scanned too).
import { once } from "node:events";
import { appendFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pino } from "pino";
import { buildService } from "../../../src/main.js";
import type { Service } from "../../../src/main.js";
import type { SuiteEnvironment } from "./environment.js";

export interface ApiHandle {
  service: Service;
  url: string;
  logFile: string;
  responses: string[];
  call(
    token: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

/** One request to the service as a client makes it: JSON in, JSON (or text) out, 30 s at most. */
export async function callApi(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  onResponse?: (status: number, text: string) => void,
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  onResponse?.(res.status, text);
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* text/plain */
  }
  return { status: res.status, body: parsed };
}

export async function startApi(env: SuiteEnvironment, name = "api"): Promise<ApiHandle> {
  const logFile = join(env.dir, `${name}.log`);
  const destination = pino.destination({ dest: logFile, sync: true });
  const logger = pino({ level: "info", base: { service: "switchover", proc: name } }, destination);
  const service = await buildService({
    config: env.config,
    mode: "api",
    logger,
    auditJsonlPath: join(env.dir, `audit-${name}.jsonl`),
  });
  const server = service.app.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const responses: string[] = [];
  return {
    service,
    url,
    logFile,
    responses,
    async call(token, method, path, body) {
      return callApi(url, token, method, path, body, (status, text) => {
        responses.push(text);
        // Kept on disk too: the secret scan reads everything the suite's processes and clients saw.
        appendFileSync(join(env.dir, "api-responses.log"), `${method} ${path} ${status}\n${text}\n`);
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await service.close(0);
      destination.flushSync();
    },
  };
}
