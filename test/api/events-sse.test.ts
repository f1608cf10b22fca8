// Live progress over Server-Sent Events on a real listening server: the stream replays earlier
// events, follows live ones, ends after the run finishes, and resumes after a disconnect from
// Last-Event-ID without repeating or losing an event.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- response bodies are JSON the contract check has validated */
import { request as httpRequest } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "./contract.js";
import { eventually, startHarness } from "./harness.js";
import type { Harness } from "./harness.js";

let h: Harness;
let server: Server;
let base: string;

beforeAll(async () => {
  h = await startHarness();
  server = h.service.app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await h?.close();
});

interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

/** Opens the stream; collects events until `stopAfter` says so (then disconnects) or the server ends it. */
function stream(
  runId: string,
  opts: { lastEventId?: string; stopAfter?: (events: SseEvent[]) => boolean } = {},
): Promise<{ status: number; contentType: string; events: SseEvent[]; endedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${h.tokens.viewer}`,
      Accept: "text/event-stream",
    };
    if (opts.lastEventId) headers["Last-Event-ID"] = opts.lastEventId;
    const req = httpRequest(`${base}/v1/runs/${runId}/events`, { headers }, (res) => {
      const events: SseEvent[] = [];
      let buffer = "";
      let stopped = false;
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const e: SseEvent = {};
          for (const line of block.split("\n")) {
            if (line.startsWith("id: ")) e.id = line.slice(4);
            else if (line.startsWith("event: ")) e.event = line.slice(7);
            else if (line.startsWith("data: ")) e.data = line.slice(6);
          }
          if (e.event) events.push(e);
          if (!stopped && opts.stopAfter?.(events)) {
            stopped = true;
            req.destroy();
            resolve({
              status: res.statusCode!,
              contentType: String(res.headers["content-type"]),
              events,
              endedByServer: false,
            });
          }
        }
      });
      res.on("end", () => {
        if (!stopped)
          resolve({
            status: res.statusCode!,
            contentType: String(res.headers["content-type"]),
            events,
            endedByServer: true,
          });
      });
      res.on("error", () => undefined);
    });
    req.on("error", (err) => {
      if (!(err as NodeJS.ErrnoException).code?.startsWith("ECONNRESET")) reject(err);
    });
    req.end();
  });
}

describe("GET /v1/runs/:id/events", () => {
  it("when a client disconnects mid-run and reconnects with Last-Event-ID, then it gets exactly the events it missed", async () => {
    const started = await call(h.service.app, "POST", "/v1/runbooks/hold/runs", {
      token: h.tokens.operator,
      body: { params: { key: "sse1", holdMs: 1_200 }, dryRun: false },
    });
    expect(started.status).toBe(202);
    const runId = started.body.id as string;

    // First connection: leave as soon as the step starts applying.
    const first = await stream(runId, {
      stopAfter: (ev) => ev.some((e) => e.event === "step.transition" && e.data?.includes('"to":"applying"')),
    });
    expect(first.status).toBe(200);
    expect(first.contentType).toMatch(/^text\/event-stream/);
    expect(first.events[0]!.event).toBe("run.created");
    const lastSeen = first.events[first.events.length - 1]!.id!;

    // Reconnect after the gap: the rest, then the server ends the stream.
    const second = await stream(runId, { lastEventId: lastSeen });
    expect(second.endedByServer).toBe(true);
    expect(second.events[second.events.length - 1]!.event).toBe("end");
    const resumed = second.events.filter((e) => e.event !== "end");
    expect(resumed.length).toBeGreaterThan(0);
    expect(resumed.every((e) => e.id! > lastSeen)).toBe(true);

    // A full replay from scratch is exactly first ∪ second, in order, without duplicates.
    const full = await stream(runId);
    const ids = full.events.filter((e) => e.event !== "end").map((e) => e.id);
    expect(ids).toEqual([...first.events.map((e) => e.id), ...resumed.map((e) => e.id)]);
    const types = full.events.map((e) => e.event);
    expect(types).toContain("step.applied");
    expect(types.slice(-2)).toEqual(["run.transition", "end"]);
    const final = JSON.parse(full.events[full.events.length - 2]!.data!) as { to: string; runId: string };
    expect(final).toMatchObject({ to: "succeeded", runId });
  });

  it("when a run is already finished, then the stream replays it and ends", async () => {
    const started = await call(h.service.app, "POST", "/v1/runbooks/touch-dc1/runs", {
      token: h.tokens.operator,
      body: {},
    });
    const runId = started.body.id as string;
    await eventually(async () => {
      const r = await call(h.service.app, "GET", `/v1/runs/${runId}`, { token: h.tokens.viewer });
      return r.body.state === "succeeded" ? true : undefined;
    });
    const s = await stream(runId);
    expect(s.endedByServer).toBe(true);
    expect(s.events.at(-1)!.event).toBe("end");
  });

  it("when Last-Event-ID is malformed or the run unknown, then problem+json, not a stream", async () => {
    const bad = await call(h.service.app, "GET", "/v1/runs/abc/events", {
      token: h.tokens.viewer,
      headers: { "Last-Event-ID": "../../x" },
    });
    expect(bad.status).toBe(422);
    const unknown = await call(h.service.app, "GET", "/v1/runs/no-such-run/events", {
      token: h.tokens.viewer,
    });
    expect(unknown.status).toBe(404);
  });
});

describe("event stream limits", () => {
  it("when more streams are opened than service.limits.sseClients, then 503 with Retry-After", async () => {
    const limited = await startHarness({ service: { limits: { sseClients: 1 } } });
    const srv = limited.service.app.listen(0, "127.0.0.1");
    await new Promise((r) => srv.once("listening", r));
    try {
      const started = await call(limited.service.app, "POST", "/v1/runbooks/hold/runs", {
        token: limited.tokens.operator,
        body: { params: { key: "limit", holdMs: 3_000 }, dryRun: false },
      });
      const id = started.body.id as string;
      const port = (srv.address() as AddressInfo).port;
      // One open stream holds the only slot.
      const open = httpRequest(`http://127.0.0.1:${port}/v1/runs/${id}/events`, {
        headers: { Authorization: `Bearer ${limited.tokens.viewer}` },
      });
      await new Promise<void>((resolve) => {
        open.on("response", () => resolve());
        open.end();
      });
      const second = await call(limited.service.app, "GET", `/v1/runs/${id}/events`, {
        token: limited.tokens.viewer,
      });
      expect(second.status).toBe(503);
      expect(second.headers["retry-after"]).toBe("5");
      expect(second.body.type).toBe("urn:switchover:problem:too-many-streams");
      open.destroy();
    } finally {
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
      await limited.close();
    }
  });

  it("when one principal opens more streams than service.limits.sseStreamsPerPrincipal, then 429 for that principal only", async () => {
    const limited = await startHarness({ service: { limits: { sseStreamsPerPrincipal: 2 } } });
    const srv = limited.service.app.listen(0, "127.0.0.1");
    await new Promise((r) => srv.once("listening", r));
    const open: ReturnType<typeof httpRequest>[] = [];
    try {
      const started = await call(limited.service.app, "POST", "/v1/runbooks/hold/runs", {
        token: limited.tokens.operator,
        body: { params: { key: "per-principal", holdMs: 5_000 }, dryRun: false },
      });
      const id = started.body.id as string;
      const port = (srv.address() as AddressInfo).port;
      const openStream = (token: string): Promise<number> =>
        new Promise<number>((resolve) => {
          const req = httpRequest(`http://127.0.0.1:${port}/v1/runs/${id}/events`, {
            headers: { Authorization: `Bearer ${token}` },
          });
          open.push(req);
          req.on("response", (res) => resolve(res.statusCode ?? 0));
          req.end();
        });
      expect(await openStream(limited.tokens.viewer)).toBe(200);
      expect(await openStream(limited.tokens.viewer)).toBe(200);
      const third = await call(limited.service.app, "GET", `/v1/runs/${id}/events`, {
        token: limited.tokens.viewer,
      });
      expect(third.status).toBe(429);
      expect(third.headers["retry-after"]).toBeDefined();
      expect(third.body.type).toBe("urn:switchover:problem:too-many-streams");
      expect(third.body.detail).toBe(
        "viewer already has 2 open event streams, the most one principal may hold (service.limits.sseStreamsPerPrincipal); close one first",
      );
      // Another principal is not affected by the viewer's streams.
      expect(await openStream(limited.tokens.approver)).toBe(200);
      // A stream that closes gives its slot back.
      open[0]!.destroy();
      await eventually(
        async () => ((await openStream(limited.tokens.viewer)) === 200 ? true : undefined),
        5_000,
      );
    } finally {
      for (const r of open) r.destroy();
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
      await limited.close();
    }
  });
});
