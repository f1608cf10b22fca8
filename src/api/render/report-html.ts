// The drill report as one standalone HTML page (Accept: text/html): inline CSS, the inline SVG
// timeline, the recovery figures and a per-step table. No scripts, no external assets, so it can be
// saved, mailed or attached to a post-mortem as it is.
import type { components } from "../../contract/openapi.js";
import { comparisonText, reprocessText, rpoText } from "./report-text.js";
import { breakGlassLines, formatDuration } from "./run-text.js";
import { escapeXml, renderTimelineSvg, STATE_COLOURS } from "./timeline-svg.js";

type Report = components["schemas"]["RunReport"];

const CSS = `
body{font-family:sans-serif;margin:2em;color:#212121;max-width:1000px}
h1{font-size:1.4em;margin-bottom:.2em}
.sub{color:#616161;margin-top:0}
dl.figures{display:grid;grid-template-columns:max-content auto;gap:.3em 1.2em}
dl.figures dt{font-weight:bold}
dl.figures dd{margin:0}
table{border-collapse:collapse;margin-top:1em;width:100%}
th,td{border-bottom:1px solid #e0e0e0;padding:.3em .6em;text-align:left;font-size:.9em}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.state{display:inline-block;padding:0 .4em;border-radius:3px;color:#fff}
.regressed{color:#c62828;font-weight:bold}
.break-glass{background:#b71c1c;color:#fff;font-weight:bold;padding:.6em 1em;border-radius:4px;margin:.4em 0}
figure{margin:1em 0}
`;

function iso(ms: number | undefined): string {
  return ms === undefined ? "-" : new Date(ms).toISOString();
}

function badge(state: string): string {
  return `<span class="state" style="background:${STATE_COLOURS[state] ?? (state === "succeeded" ? "#2e7d32" : "#757575")}">${escapeXml(state)}</span>`;
}

export function renderReportHtml(r: Report): string {
  const e = escapeXml;
  const title = `Drill report ${r.runbook} ${r.runId}`;
  const figures: [string, string][] = [
    ["Outcome", `${badge(r.state)} ${r.dryRun ? "dry-run" : "real run"}, trigger ${e(r.trigger)}`],
    [
      "Time to recovery",
      r.timeToRecoveryMs === null ? "not recovered" : e(formatDuration(r.timeToRecoveryMs)),
    ],
    ["Run time (RTO contribution)", e(formatDuration(r.rtoMs ?? undefined))],
    ["Queued", e(formatDuration(r.queuedMs ?? undefined))],
    ["RPO", e(rpoText(r.recovery))],
    ["Reprocess window", e(reprocessText(r.recovery))],
    ["Created / started / finished", e(`${iso(r.createdAt)} / ${iso(r.startedAt)} / ${iso(r.finishedAt)}`)],
  ];
  if (r.comparison)
    figures.push([
      "Previous drill",
      `<span class="${r.comparison.regressed ? "regressed" : ""}">${e(comparisonText(r.comparison))}</span>`,
    ]);
  const rows = r.steps.map(
    (s) =>
      `<tr><td>${e(s.id)}</td><td>${e(s.uses)}</td><td>${badge(s.state)}</td><td class="num">${s.attempt ?? "-"}</td>` +
      `<td class="num">${e(formatDuration(s.durationMs ?? undefined))}</td><td class="num">${e(formatDuration(s.planMs))}</td>` +
      `<td class="num">${e(formatDuration(s.applyMs))}</td><td class="num">${e(formatDuration(s.verifyMs))}</td>` +
      `<td class="num">${s.changes}</td><td>${s.error ? e(`${s.error.code}: ${s.error.message}`) : ""}</td></tr>`,
  );
  return [
    "<!DOCTYPE html>",
    `<html lang="en"><head><meta charset="utf-8"><title>${e(title)}</title><style>${CSS}</style></head><body>`,
    ...breakGlassLines(r.breakGlass).map((l) => `<p class="break-glass" role="alert">${e(l)}</p>`),
    `<h1>${e(title)}</h1>`,
    `<p class="sub">switchover drill report</p>`,
    `<dl class="figures">${figures.map(([k, v]) => `<dt>${e(k)}</dt><dd>${v}</dd>`).join("")}</dl>`,
    `<figure>${renderTimelineSvg(r)}<figcaption>Step timeline (run start = 0)</figcaption></figure>`,
    "<table><thead><tr><th>Step</th><th>Kind</th><th>State</th><th>Try</th><th>Duration</th><th>Plan</th><th>Apply</th><th>Verify</th><th>Changes</th><th>Error</th></tr></thead>",
    `<tbody>${rows.join("")}</tbody></table>`,
    "</body></html>",
    "",
  ].join("\n");
}
