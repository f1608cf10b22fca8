// How the page writes states, times, durations and planned changes. States always carry words
// and a symbol, never colour alone.

/** @typedef {import("./types.js").RunState} RunState */
/** @typedef {import("./types.js").StepState} StepState */
/** @typedef {import("./types.js").Change} Change */

/** @type {Record<RunState | StepState, { symbol: string, label: string, tone: string }>} */
const STATES = {
  queued: { symbol: "○", label: "queued", tone: "wait" },
  running: { symbol: "▶", label: "running", tone: "busy" },
  waiting_approval: { symbol: "‖", label: "waiting for approval", tone: "attention" },
  succeeded: { symbol: "✓", label: "succeeded", tone: "good" },
  failed: { symbol: "✗", label: "failed", tone: "bad" },
  cancelled: { symbol: "⊘", label: "cancelled", tone: "muted" },
  pending: { symbol: "·", label: "pending", tone: "wait" },
  planning: { symbol: "▶", label: "planning", tone: "busy" },
  applying: { symbol: "▶", label: "applying", tone: "busy" },
  verifying: { symbol: "▶", label: "verifying", tone: "busy" },
  skipped: { symbol: "↷", label: "skipped", tone: "muted" },
};

export const RUN_STATES = /** @type {RunState[]} */ ([
  "queued",
  "running",
  "waiting_approval",
  "succeeded",
  "failed",
  "cancelled",
]);

/** @param {string} state */
export function stateInfo(state) {
  return STATES[/** @type {RunState} */ (state)] ?? { symbol: "?", label: state, tone: "muted" };
}

/** @param {string} state */
export function isTerminal(state) {
  return state === "succeeded" || state === "failed" || state === "cancelled";
}

/**
 * @param {number | undefined | null} ms
 * @returns {string}
 */
export function duration(ms) {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return "—";
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1_000);
  const h = Math.floor(s / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h} h ${String(m).padStart(2, "0")} m ${rest} s` : `${m} m ${rest} s`;
}

/**
 * From `from` to `to`, or to now while it is still going.
 * @param {number | undefined} from
 * @param {number | undefined} to
 * @param {number} now
 */
export function span(from, to, now) {
  if (from === undefined) return undefined;
  return (to ?? now) - from;
}

/**
 * UTC, second precision: what an incident channel compares against.
 * @param {number | string | undefined} at epoch ms or ISO 8601
 * @returns {string}
 */
export function utc(at) {
  if (at === undefined) return "—";
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return String(at);
  return `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/**
 * A planned value as text, as the text API writes it: strings bare, the rest as JSON, absence as
 * "(none)", on one line (the page wraps long values instead of cutting them).
 * @param {unknown} v
 * @returns {string}
 */
export function value(v) {
  if (v === undefined || v === null) return "(none)";
  const text = typeof v === "string" ? v : JSON.stringify(v);
  return text.replace(/[\r\n\t]+/g, " ");
}

/**
 * `resource field: from → to`, the same line the CLI and the text API print.
 * @param {Change} c
 */
export function changeLine(c) {
  return `${c.resource} ${c.field}: ${value(c.from)} → ${value(c.to)}`;
}
