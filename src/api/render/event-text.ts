// One human line per run event: what `Accept: text/plain` on GET /v1/runs/{id}/events streams and
// what `switchover watch` prints. Transitions read `from → to`; planned and applied changes follow
// on their own lines as `resource field: from → to`; skip reasons and errors are written out.
import type { components } from "../../contract/openapi.js";
import { changeText } from "./change-text.js";
import type { ChangeLike } from "./change-text.js";

type RunEvent = components["schemas"]["RunEvent"];

const DETAIL = "      ";

/** HH:MM:SS.mmm in UTC: the run record and the audit log are in UTC too. */
export function eventTime(at: number): string {
  return new Date(at).toISOString().slice(11, 23);
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);

function changesOf(data: Record<string, unknown> | undefined): ChangeLike[] {
  const list = data?.changes;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (c): c is ChangeLike => typeof c === "object" && c !== null && "resource" in c && "field" in c,
  );
}

function by(e: RunEvent): string {
  return e.actor ? ` by ${e.actor}` : "";
}

function errorText(v: unknown): string | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const { code, message } = v as { code?: unknown; message?: unknown };
  return str(message) ? `${str(code) ? `${str(code)}: ` : ""}${str(message)}` : undefined;
}

/** The event's headline (without the time). */
export function eventHeadline(e: RunEvent): string {
  const d = e.data ?? {};
  const reason = str(d.reason);
  switch (e.type) {
    case "run.created": {
      const mode = d.dryRun === false ? "REAL RUN" : "dry-run";
      const pin = str(d.fromPlan) ? `, pinned to dry-run ${str(d.fromPlan)}` : "";
      return `run ${e.runId} created: ${str(d.runbook) ?? "?"} ${mode}${by(e)}${pin}${reason ? ` — ${reason}` : ""}`;
    }
    case "run.transition":
      return `run ${e.from ?? "?"} → ${e.to ?? "?"}${by(e)}${reason ? ` — ${reason}` : ""}`;
    case "step.transition": {
      let tail = "";
      if (e.to === "skipped") tail = `: ${reason ?? "no reason recorded"}`;
      else if (e.to === "failed") tail = errorText(d.error) ? `: ${errorText(d.error)}` : "";
      else if (reason) tail = ` — ${reason}`;
      return `step ${e.stepId ?? "?"} ${e.from ?? "?"} → ${e.to ?? "?"}${by(e)}${tail}`;
    }
    case "step.planned": {
      const n = changesOf(d).length;
      return `step ${e.stepId ?? "?"} planned ${n === 0 ? "no changes" : `${n} change${n === 1 ? "" : "s"}`}`;
    }
    case "step.applied": {
      const n = changesOf(d).length;
      const again = typeof d.applyTry === "number" && d.applyTry > 1 ? ` (apply try ${d.applyTry})` : "";
      return `step ${e.stepId ?? "?"} applied ${n === 0 ? "no changes" : `${n} change${n === 1 ? "" : "s"}`}${again}`;
    }
    case "step.approval":
      if (d.status === "pending") return `step ${e.stepId ?? "?"} waits for approval`;
      return `step ${e.stepId ?? "?"} ${str(d.status) ?? "approval"}${by(e)}`;
    case "run.drift":
      return `step ${e.stepId ?? "?"} DRIFT: the world changed since dry-run ${str(d.pinnedRunId) ?? "?"}; nothing was applied`;
    default:
      return `${e.type}${e.stepId ? ` ${e.stepId}` : ""}${e.from || e.to ? ` ${e.from ?? "?"} → ${e.to ?? "?"}` : ""}${by(e)}`;
  }
}

/** Lines under the headline: each change of a plan or an apply; for drift, reviewed vs now. */
export function eventDetails(e: RunEvent): string[] {
  const d = e.data ?? {};
  if (e.type === "step.planned" || e.type === "step.applied") {
    return changesOf(d).map((c) => `${DETAIL}${changeText(c)}`);
  }
  if (e.type === "run.drift") {
    const reviewed = changesOf({ changes: d.expected }).map((c) => `${DETAIL}reviewed ${changeText(c)}`);
    const now = changesOf({ changes: d.actual }).map((c) => `${DETAIL}now      ${changeText(c)}`);
    return [...reviewed, ...now];
  }
  return [];
}

/** The event as terminal lines: `HH:MM:SS.mmm  headline`, then its details. */
export function eventLines(e: RunEvent): string[] {
  return [`${eventTime(e.at)}  ${eventHeadline(e)}`, ...eventDetails(e)];
}
