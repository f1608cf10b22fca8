// GET /v1/runs/:id/events — Server-Sent Events: every recorded event after Last-Event-ID (all of
// them without it), then live ones, then `event: end` once the run is finished; with Accept:
// text/plain, one human line per event instead (render/event-text.ts). Each client gets
// its own Redis connection for blocking reads, closed as soon as the client goes away.
import { Router } from "express";
import type { Request } from "express";
import { z } from "zod";
import { isTerminalRun } from "../../engine/states.js";
import { principalOf, requireRole } from "../auth.js";
import type { ApiDeps } from "../deps.js";
import { ApiProblem, ProblemType } from "../problem.js";
import { eventLines } from "../render/event-text.js";
import { lastEventIdSchema, noQuery, runIdSchema } from "../schemas.js";
import { parseRequest } from "../validation.js";
import type { StoredRunEvent } from "../../queue/run-events.js";
import { ANY_ROLE } from "./roles.js";

const idParams = z.strictObject({ id: runIdSchema });
const headers = z.object({ "last-event-id": lastEventIdSchema.optional() });

const FOLLOW_BLOCK_MS = 15_000;
/** Once the run is finished, how long to wait for its final event before ending anyway. */
const SETTLE_BLOCK_MS = 500;
const SETTLE_TRIES = 4;

/** How the stream is written: Server-Sent Events for programs, or lines for a person (text/plain). */
interface StreamFormat {
  contentType: string;
  preamble(runId: string): string;
  event(e: StoredRunEvent): string;
  end(runId: string, state: string): string;
  /** Written while nothing happens, so proxies keep the connection; plain text has no comments. */
  keepAlive: string;
}

const SSE: StreamFormat = {
  contentType: "text/event-stream; charset=utf-8",
  preamble: (runId) => `retry: 2000\n: events of run ${runId}\n\n`,
  event: (e) => `id: ${e.id}\nevent: ${e.event.type}\ndata: ${JSON.stringify(e.event)}\n\n`,
  end: (runId, state) => `event: end\ndata: ${JSON.stringify({ runId, state })}\n\n`,
  keepAlive: ": keep-alive\n\n",
};

const TEXT: StreamFormat = {
  contentType: "text/plain; charset=utf-8",
  preamble: () => "",
  event: (e) => `${eventLines(e.event).join("\n")}\n`,
  end: (runId, state) => `run ${runId} ${state}\n`,
  keepAlive: "",
};

/** text/plain only when preferred to event-stream: curl's default Accept (any type) still gets SSE. */
function formatFor(req: Request): StreamFormat {
  return req.accepts(["text/event-stream", "text/plain"]) === "text/plain" ? TEXT : SSE;
}

const isFinalEvent = (e: StoredRunEvent): boolean =>
  e.event.type === "run.transition" &&
  (e.event.to === "succeeded" || e.event.to === "failed" || e.event.to === "cancelled");

export function runEventsRoute(deps: ApiDeps): Router {
  const r = Router();
  let clients = 0;
  // Open streams per principal: one viewer holding every slot would leave on-call without live progress.
  const perPrincipal = new Map<string, number>();

  r.get("/runs/:id/events", requireRole(...ANY_ROLE), async (req, res) => {
    const { id } = parseRequest(idParams, req.params, "params");
    parseRequest(noQuery, req.query, "query");
    let lastId = parseRequest(headers, req.headers, "headers")["last-event-id"];
    const format = formatFor(req);
    await deps.runs.record(id);
    if (clients >= deps.service.limits.sseClients) {
      throw new ApiProblem(
        503,
        ProblemType.TooManyStreams,
        "Too many event streams",
        "too many open event streams; retry shortly",
        {
          headers: { "Retry-After": "5" },
        },
      );
    }
    const who = principalOf(res).name;
    const held = perPrincipal.get(who) ?? 0;
    const maxHeld = deps.service.limits.sseStreamsPerPrincipal;
    if (held >= maxHeld) {
      throw new ApiProblem(
        429,
        ProblemType.TooManyStreams,
        "Too many event streams for this principal",
        `${who} already has ${held} open event streams, the most one principal may hold (service.limits.sseStreamsPerPrincipal); close one first`,
        { headers: { "Retry-After": "5" } },
      );
    }
    clients++;
    perPrincipal.set(who, held + 1);
    const follower = deps.eventFollower();
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      clients--;
      const left = (perPrincipal.get(who) ?? 1) - 1;
      if (left > 0) perPrincipal.set(who, left);
      else perPrincipal.delete(who);
      follower.close();
    };
    // The response's close is the client going away (or the stream ending); end the blocking read.
    res.on("close", close);
    res.writeHead(200, {
      "Content-Type": format.contentType,
      "Cache-Control": "no-cache, no-transform",
      Connection: "keep-alive",
      "X-Accel-Buffering": "no",
    });
    const preamble = format.preamble(id);
    if (preamble) res.write(preamble);
    try {
      let sawFinal = false;
      let settleTries = 0;
      while (!closed) {
        const batch = await deps.events.range(id, lastId, 500);
        for (const e of batch) {
          res.write(format.event(e));
          lastId = e.id;
          sawFinal = isFinalEvent(e);
        }
        if (batch.length === 500) continue;
        const run = await deps.runs.record(id).then(
          (x) => x.run,
          () => undefined,
        );
        const finished = run !== undefined && isTerminalRun(run.state);
        if (finished && (sawFinal || settleTries >= SETTLE_TRIES)) {
          res.write(format.end(id, run.state));
          break;
        }
        if (finished) settleTries++;
        const live = await follower
          .next(id, lastId ?? "0-0", finished ? SETTLE_BLOCK_MS : FOLLOW_BLOCK_MS)
          .catch(async () => {
            // The blocking connection failed (Redis restart): back off instead of spinning.
            await new Promise((r) => setTimeout(r, 1_000));
            return [] as StoredRunEvent[];
          });
        if (closed) break;
        if (live.length === 0 && !finished && format.keepAlive) res.write(format.keepAlive);
        for (const e of live) {
          res.write(format.event(e));
          lastId = e.id;
          sawFinal = isFinalEvent(e);
        }
      }
    } finally {
      close();
      res.end();
    }
  });
  return r;
}
