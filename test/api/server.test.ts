// Requests Node's HTTP parser refuses before express sees them still get problem+json.
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenApi } from "../../src/api/server.js";
import { startHarness } from "./harness.js";
import type { Harness } from "./harness.js";

let h: Harness;
let server: Server;
let base = "";

beforeAll(async () => {
  h = await startHarness();
  server = listenApi(h.service.app, { port: 0, host: "127.0.0.1" });
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await h.close();
});

/** Raw bytes to the server, the whole answer back. */
async function raw(bytes: string): Promise<string> {
  const { port } = server.address() as AddressInfo;
  const socket = connect(port, "127.0.0.1");
  socket.end(bytes);
  let answer = "";
  for await (const chunk of socket) answer += String(chunk);
  return answer;
}

describe("the HTTP server", () => {
  it("when the URL and headers exceed the limit, then 431 problem+json and the server keeps serving", async () => {
    const res = await fetch(`${base}/v1/runs/${"x".repeat(20_000)}`, { headers: { "x-pad": "y" } });
    expect(res.status).toBe(431);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({
      type: "urn:switchover:problem:headers-too-large",
      status: 431,
    });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it("when the request line is not HTTP, then 400 problem+json", async () => {
    const answer = await raw("GARBAGE\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toContain("Content-Type: application/problem+json");
    expect(JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4))).toMatchObject({
      type: "urn:switchover:problem:malformed-request",
      status: 400,
    });
  });
});
