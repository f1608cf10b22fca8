// Outbound calls only to hosts the environment allows (http.allow): an http.request step to any
// other URL is refused when the runbook is validated and again at run time when the URL comes from
// a parameter — and the would-be target never sees a request.
import { createServer } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startHarness } from "../api/harness.js";
import type { Harness } from "../api/harness.js";
import { addFigures } from "./lib/figures.js";

let h: Harness;
let hits = 0;
const server = createServer((_req, res) => {
  hits += 1;
  res.writeHead(200).end("{}");
});
let target = "";

beforeAll(async () => {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  h = await startHarness();
}, 60_000);

afterAll(async () => {
  server.close();
  await h?.close();
});

const doc = (url: string): string =>
  [
    "apiVersion: switchover/v1",
    "kind: Runbook",
    "metadata: { name: egress }",
    "params:",
    `  url: { type: string, default: "${target}" }`,
    "steps:",
    "  - id: call",
    "    uses: http.request",
    `    with: { method: POST, url: ${JSON.stringify(url)}, body: { hello: world } }`,
    "",
  ].join("\n");

describe("egress allow-list", () => {
  it("a literal URL outside http.allow fails validation, naming the field", async () => {
    const res = await fetch(`${await base()}/v1/runbooks/validate`, {
      method: "POST",
      headers: { authorization: `Bearer ${h.tokens.viewer}`, "content-type": "application/yaml" },
      body: doc(target),
    });
    const body = (await res.json()) as { valid: boolean; problems: { path?: string; message: string }[] };
    expect(res.status).toBe(200);
    expect(body.valid).toBe(false);
    expect(JSON.stringify(body.problems)).toMatch(/url/);
  });

  it("a URL from a parameter is checked again at run time: the run fails FORBIDDEN and nothing is called", async () => {
    writeFileSync(join(h.runbooksDir, "egress.yaml"), doc("${{ params.url }}"));
    for (const url of [target, "http://169.254.169.254/latest/meta-data/", "file:///etc/passwd"]) {
      const res = await fetch(`${await base()}/v1/runbooks/egress/runs`, {
        method: "POST",
        headers: { authorization: `Bearer ${h.tokens.admin}`, "content-type": "application/json" },
        body: JSON.stringify({ params: { url }, dryRun: false, reason: "reliability: egress" }),
      });
      const started = (await res.json()) as { id?: string };
      addFigures({ inputsTried: 1 });
      if (res.status >= 400) {
        expect(res.status).toBeLessThan(500);
        continue;
      }
      const run = await eventually(
        async () => {
          const r = await h.service.engine.get(started.id!);
          return r && ["succeeded", "failed", "cancelled"].includes(r.state) ? r : undefined;
        },
        30_000,
        "the egress run to finish",
      );
      expect(run.state).toBe("failed");
      expect(run.error?.message ?? "").toMatch(/http\.allow/);
    }
    expect(hits).toBe(0);
  });
});

let url = "";
async function base(): Promise<string> {
  if (url) return url;
  const s = h.service.app.listen(0, "127.0.0.1");
  await once(s, "listening");
  afterAll(() => void s.close());
  url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  return url;
}
