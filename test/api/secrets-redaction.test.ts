// Issue 18, finding 9: step inputs were shown to viewers in clear (an http.request's Authorization
// header), secrets in a webhook URL's path were redacted nowhere, and runbooks had no way to
// reference a secret. Now: `${{ secrets.NAME }}` resolves from the environment file's `secrets`
// refs at the moment a step runs, the value reaches the webhook, and it appears in no run view,
// report, event stream, audit entry or Redis key.
import { createServer } from "node:http";
import type { IncomingHttpHeaders, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "./contract.js";
import { eventually, startHarness } from "./harness.js";
import type { Harness } from "./harness.js";

const HOOK_PATH_SECRET = "T0SECRETPATH99b7";
const HOOK_TOKEN = "tok-SECRETVALUE-42c9";
const LITERAL_KEY = "literal-key-123f";
const LITERAL_BEARER = "literalBearer77d";

let h: Harness;
let hook: Server;
const received: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      received.push({ url: req.url ?? "", headers: req.headers, body });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
  process.env.SO_TEST_HOOK_URL = `${base}/hooks/${HOOK_PATH_SECRET}`;
  process.env.SO_TEST_HOOK_TOKEN = HOOK_TOKEN;
  h = await startHarness({
    http: { allow: [`${base}/`] },
    secrets: { HOOK_URL: { env: "SO_TEST_HOOK_URL" }, HOOK_TOKEN: { env: "SO_TEST_HOOK_TOKEN" } },
    service: { operatorRunbooks: ["hook", "literal"] },
    runbooks: {
      hook: `
apiVersion: switchover/v1
kind: Runbook
metadata: { name: hook }
steps:
  - id: call
    uses: http.request
    with:
      method: POST
      url: "\${{ secrets.HOOK_URL }}"
      headers:
        Authorization: "Bearer \${{ secrets.HOOK_TOKEN }}"
        X-Run: "\${{ run.id }}"
      body: { text: failover started }
`,
      literal: `
apiVersion: switchover/v1
kind: Runbook
metadata: { name: literal }
steps:
  - id: call
    uses: http.request
    with:
      method: POST
      url: "${base}/plain"
      headers:
        Authorization: "Bearer ${LITERAL_BEARER}"
        X-Api-Key: "${LITERAL_KEY}"
`,
    },
  });
});

afterAll(async () => {
  await h?.close();
  hook?.close();
});

async function finished(id: string): Promise<Record<string, unknown>> {
  return eventually(async () => {
    const res = await call(h.service.app, "GET", `/v1/runs/${id}`, { token: h.tokens.viewer });
    const body = res.body as Record<string, unknown>;
    return ["succeeded", "failed"].includes(body.state as string) ? body : undefined;
  }, 20_000);
}

/** Everything a viewer can read about a run, as one string. */
async function everythingVisible(id: string): Promise<string> {
  const app = h.service.app;
  const token = h.tokens.viewer;
  const parts = [
    JSON.stringify((await call(app, "GET", `/v1/runs/${id}`, { token })).body),
    (await call(app, "GET", `/v1/runs/${id}`, { token, accept: "text/plain" })).text,
    JSON.stringify((await call(app, "GET", `/v1/runs/${id}/report`, { token })).body),
    (await call(app, "GET", `/v1/runs/${id}/report`, { token, accept: "text/plain" })).text,
    (await call(app, "GET", `/v1/runs/${id}/events`, { token, accept: "text/plain" })).text,
    JSON.stringify((await call(app, "GET", `/v1/runs?limit=10`, { token })).body),
    JSON.stringify((await call(app, "GET", `/v1/audit?runId=${id}`, { token })).body),
  ];
  return parts.join("\n");
}

/** Every value stored under the service's Redis prefix, as one string. */
async function everythingStored(): Promise<string> {
  const out: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await h.redis.scan(cursor, "MATCH", `${h.prefix}:*`, "COUNT", 1_000);
    cursor = next;
    for (const key of keys) {
      const type = await h.redis.type(key);
      if (type === "string") out.push((await h.redis.get(key)) ?? "");
      else if (type === "hash") out.push(JSON.stringify(await h.redis.hgetall(key)));
      else if (type === "list") out.push(JSON.stringify(await h.redis.lrange(key, 0, -1)));
      else if (type === "set") out.push(JSON.stringify(await h.redis.smembers(key)));
      else if (type === "zset") out.push(JSON.stringify(await h.redis.zrange(key, "0", "-1")));
      else if (type === "stream") out.push(JSON.stringify(await h.redis.xrange(key, "-", "+")));
    }
  } while (cursor !== "0");
  return out.join("\n");
}

describe("secrets in runbooks", () => {
  it("when a step's headers and URL reference secrets, then the webhook gets the values and no view, event, audit entry or Redis key holds them", async () => {
    const start = await call(h.service.app, "POST", "/v1/runbooks/hook/runs", {
      token: h.tokens.operator,
      body: { dryRun: false },
    });
    expect(start.status).toBe(202);
    const id = (start.body as { id: string }).id;
    const run = await finished(id);
    expect(run.state).toBe("succeeded");
    const got = received.find((r) => r.url.includes("/hooks/"));
    expect(got?.url).toBe(`/hooks/${HOOK_PATH_SECRET}`);
    expect(got?.headers.authorization).toBe(`Bearer ${HOOK_TOKEN}`);
    expect(got?.headers["x-run"]).toBe(id);

    const visible = await everythingVisible(id);
    expect(visible).toContain(id);
    expect(visible).not.toContain(HOOK_PATH_SECRET);
    expect(visible).not.toContain(HOOK_TOKEN);
    const stored = await everythingStored();
    expect(stored).toContain(id);
    expect(stored).not.toContain(HOOK_PATH_SECRET);
    expect(stored).not.toContain(HOOK_TOKEN);
  });

  it("when a runbook names a secret the environment does not have, then validation names the path", async () => {
    const res = await call(h.service.app, "POST", "/v1/runbooks/validate", {
      token: h.tokens.viewer,
      contentType: "application/yaml",
      raw: `
apiVersion: switchover/v1
kind: Runbook
metadata: { name: nope }
steps:
  - id: call
    uses: http.request
    with:
      url: "\${{ secrets.NOPE }}"
`,
    });
    const body = res.body as { valid?: boolean; problems?: { path: string; message: string }[] };
    const problems = body.problems ?? [];
    expect(res.status === 422 || body.valid === false).toBe(true);
    const p = problems.find(
      (x) => x.path.includes("steps[0].with.url") || x.path.includes("steps.0.with.url"),
    );
    expect(p?.message).toMatch(/unknown secret "NOPE".*HOOK_TOKEN, HOOK_URL/);
  });
});

describe("literal credentials in step inputs", () => {
  it("when a runbook carries a bearer token and an API key in headers, then viewers never see them", async () => {
    const start = await call(h.service.app, "POST", "/v1/runbooks/literal/runs", {
      token: h.tokens.operator,
      body: { dryRun: false },
    });
    const id = (start.body as { id: string }).id;
    expect((await finished(id)).state).toBe("succeeded");
    expect(received.find((r) => r.url === "/plain")?.headers["x-api-key"]).toBe(LITERAL_KEY);
    const visible = await everythingVisible(id);
    expect(visible).not.toContain(LITERAL_KEY);
    expect(visible).not.toContain(LITERAL_BEARER);
  });
});
