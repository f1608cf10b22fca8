// The timeline chart of a drill report as one self-contained SVG (no scripts, fonts or external
// assets): a row per step, a bar from its start to its end on a shared time axis (run start = 0),
// coloured by outcome, the duration at the bar's end, and a marker where recovery completed.
// Pure: the same report JSON gives the same SVG text, so pages and tests can embed or compare it.
import type { components } from "../../contract/openapi.js";

type Report = components["schemas"]["RunReport"];

export interface TimelineSvgOptions {
  /** Total width in px (default 880). */
  width?: number;
  /** Reference time for steps still running (default: the report's finishedAt, else its last event). */
  now?: number;
}

const ROW = 22;
const BAR = 14;
const LABEL = 210;
const RIGHT = 70;
const TOP = 30;
const AXIS = 26;

/** Fill per step state: green done, red failed, grey skipped, blue in progress, light pending. */
export const STATE_COLOURS: Readonly<Record<string, string>> = {
  succeeded: "#2e7d32",
  failed: "#c62828",
  skipped: "#9e9e9e",
  pending: "#e0e0e0",
  planning: "#1565c0",
  applying: "#1565c0",
  verifying: "#1565c0",
};

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&apos;",
  );
}

function seconds(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} m ${String(Math.round((ms % 60_000) / 1_000)).padStart(2, "0")} s`;
}

/** A "nice" tick step (1, 2 or 5 × 10^n ms) giving at most ~8 ticks over `span`. */
function tickStep(span: number): number {
  const raw = Math.max(1, span / 8);
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

function round(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/** The SVG timeline of a report's steps; valid standalone (xmlns set) and inline in HTML. */
export function renderTimelineSvg(report: Report, opts: TimelineSvgOptions = {}): string {
  const width = Math.max(400, opts.width ?? 880);
  const steps = report.steps;
  const lastEvent = report.timeline.reduce((m, e) => Math.max(m, e.at), 0);
  const t0 = report.startedAt ?? report.createdAt;
  const end = Math.max(
    t0 + 1,
    opts.now ?? report.finishedAt ?? lastEvent,
    ...steps.map((s) => s.finishedAt ?? s.startedAt ?? t0),
  );
  const span = end - t0;
  const plotW = width - LABEL - RIGHT;
  const x = (at: number) => LABEL + (Math.min(Math.max(at, t0), end) - t0) * (plotW / span);
  const height = TOP + Math.max(1, steps.length) * ROW + AXIS;
  const parts: string[] = [];
  const title = `${report.runbook} ${report.runId}: ${report.state}${report.rtoMs !== null ? `, ${seconds(report.rtoMs)}` : ""}`;
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(`Step timeline of ${title}`)}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(`Step timeline of ${title}`)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="8" y="18" font-weight="bold">${escapeXml(title)}</text>`,
  );

  // Axis: grid lines and labels every tick.
  const step = tickStep(span);
  const axisY = TOP + Math.max(1, steps.length) * ROW;
  for (let t = 0; t <= span; t += step) {
    const gx = round(x(t0 + t));
    parts.push(
      `<line x1="${gx}" y1="${TOP - 4}" x2="${gx}" y2="${axisY}" stroke="#eeeeee"/>`,
      `<text x="${gx}" y="${axisY + 16}" text-anchor="middle" fill="#555555">${escapeXml(seconds(t))}</text>`,
    );
  }
  parts.push(`<line x1="${LABEL}" y1="${axisY}" x2="${LABEL + plotW}" y2="${axisY}" stroke="#999999"/>`);

  steps.forEach((s, i) => {
    const y = TOP + i * ROW;
    const colour = STATE_COLOURS[s.state] ?? "#757575";
    const label = s.id.length > 30 ? `${s.id.slice(0, 29)}…` : s.id;
    parts.push(
      `<g class="step" data-step="${escapeXml(s.id)}" data-state="${escapeXml(s.state)}">`,
      `<text x="${LABEL - 8}" y="${y + BAR - 2}" text-anchor="end">${escapeXml(label)}</text>`,
    );
    if (s.startedAt !== undefined) {
      const x1 = x(s.startedAt);
      const x2 = x(s.finishedAt ?? end);
      const w = Math.max(2, x2 - x1);
      const dur = s.durationMs ?? (s.finishedAt ?? end) - s.startedAt;
      parts.push(
        `<rect x="${round(x1)}" y="${y}" width="${round(w)}" height="${BAR}" rx="2" fill="${colour}"><title>${escapeXml(`${s.id} (${s.uses}) ${s.state}, ${seconds(dur)}, ${s.changes} change(s)${s.error ? `: ${s.error.message}` : ""}`)}</title></rect>`,
        `<text x="${round(x1 + w + 4)}" y="${y + BAR - 2}" fill="#333333">${escapeXml(seconds(dur))}</text>`,
      );
    } else {
      parts.push(
        `<text x="${LABEL + 4}" y="${y + BAR - 2}" fill="#9e9e9e">${escapeXml(s.state === "skipped" ? "skipped" : "not started")}</text>`,
      );
    }
    parts.push(`</g>`);
  });

  // Recovery marker: where the run finished (the time to recovery of this runbook).
  if (report.finishedAt !== undefined) {
    const fx = round(x(report.finishedAt));
    parts.push(
      `<line x1="${fx}" y1="${TOP - 6}" x2="${fx}" y2="${axisY}" stroke="#6a1b9a" stroke-dasharray="4 3"/>`,
      `<text x="${fx}" y="${TOP - 9}" text-anchor="end" fill="#6a1b9a">${escapeXml(`${report.state} at ${seconds(report.finishedAt - t0)}`)}</text>`,
    );
  }
  parts.push(`</svg>`);
  return parts.join("\n");
}
