// The run's timeline chart, drawn from the steps' own timestamps: one bar per step from its start
// to its finish (to now while it runs), on a time axis from the run's start. The steps list
// beside it carries the same facts as text, so the chart is a picture, not the only record.

import { svg } from "./dom.js";
import { duration, stateInfo } from "./format.js";

/** @typedef {import("./types.js").Run} Run */

const WIDTH = 800;
const LABEL = 170;
const RIGHT = 20;
const ROW = 26;
const TOP = 8;
const AXIS = 26;

/**
 * @param {Run} run
 * @param {number} now
 * @returns {SVGElement}
 */
export function timelineChart(run, now) {
  const t0 = run.startedAt ?? run.createdAt;
  const starts = run.steps.map((s) => s.startedAt).filter((t) => t !== undefined);
  const ends = run.steps.map((s) => s.finishedAt ?? (s.startedAt !== undefined ? now : undefined));
  const last = Math.max(t0 + 1, run.finishedAt ?? 0, ...starts, ...ends.filter((t) => t !== undefined));
  const total = last - t0;
  const scale = (WIDTH - LABEL - RIGHT) / total;
  const x = (/** @type {number} */ t) => LABEL + Math.max(0, t - t0) * scale;
  const height = TOP + run.steps.length * ROW + AXIS;

  const rows = run.steps.map((s, i) => {
    const y = TOP + i * ROW;
    const info = stateInfo(
      s.approval?.status === "pending" && s.finishedAt === undefined ? "waiting_approval" : s.state,
    );
    const label = svg(
      "text",
      { x: LABEL - 8, y: y + ROW / 2 + 4, class: "tl-label", "text-anchor": "end" },
      s.id,
    );
    if (s.startedAt === undefined) {
      return svg(
        "g",
        { class: "tl-row" },
        label,
        svg("text", { x: LABEL + 4, y: y + ROW / 2 + 4, class: "tl-note" }, `${info.symbol} ${info.label}`),
      );
    }
    const end = s.finishedAt ?? now;
    const x0 = x(s.startedAt);
    const w = Math.max(2, x(end) - x0);
    const text = `${s.id}: ${info.label}, ${duration(end - s.startedAt)}${s.finishedAt === undefined ? " so far" : ""}`;
    // The duration goes right of the bar when there is room, else inside a long bar, else left of it.
    const note = `${info.symbol} ${duration(end - s.startedAt)}`;
    const right = x0 + w + 6;
    const place =
      right + 110 <= WIDTH
        ? { x: right, anchor: "start", cls: "tl-note" }
        : w >= 120
          ? { x: x0 + w - 6, anchor: "end", cls: "tl-note tl-inside" }
          : { x: x0 - 6, anchor: "end", cls: "tl-note" };
    return svg(
      "g",
      { class: `tl-row tone-${info.tone}` },
      label,
      svg(
        "rect",
        { x: x0, y: y + 5, width: w, height: ROW - 10, rx: 3, class: "tl-bar" },
        svg("title", {}, text),
      ),
      svg("text", { x: place.x, y: y + ROW / 2 + 4, class: place.cls, "text-anchor": place.anchor }, note),
    );
  });

  const axisY = TOP + run.steps.length * ROW + 4;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) =>
    svg(
      "g",
      { class: "tl-tick" },
      svg("line", { x1: x(t0 + f * total), x2: x(t0 + f * total), y1: TOP, y2: axisY, class: "tl-grid" }),
      svg(
        "text",
        {
          x: x(t0 + f * total),
          y: axisY + 14,
          "text-anchor": f === 0 ? "start" : f === 1 ? "end" : "middle",
        },
        `+${duration(f * total)}`,
      ),
    ),
  );

  const summary = `Timeline of ${run.steps.length} steps over ${duration(total)}`;
  return svg(
    "svg",
    {
      viewBox: `0 0 ${WIDTH} ${height}`,
      class: "timeline",
      role: "img",
      "aria-label": summary,
      preserveAspectRatio: "xMinYMin meet",
    },
    ...ticks,
    ...rows,
  );
}
