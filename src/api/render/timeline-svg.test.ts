import { describe, expect, it } from "vitest";
import type { components } from "../../contract/openapi.js";
import { renderReportHtml } from "./report-html.js";
import { renderTimelineSvg } from "./timeline-svg.js";

type Report = components["schemas"]["RunReport"];

const T0 = 1_700_000_000_000;

function report(over: Partial<Report> = {}): Report {
  return {
    runId: "run-1",
    runbook: "mm2-failover",
    dryRun: false,
    state: "succeeded",
    trigger: "schedule",
    createdAt: T0 - 500,
    startedAt: T0,
    finishedAt: T0 + 10_000,
    queuedMs: 500,
    rtoMs: 10_000,
    timeToRecoveryMs: 10_500,
    recovery: {
      rpoMessages: null,
      rpoAgeMs: 2_300,
      rpoStepId: "verify-offsets",
      reprocessWindow: 41,
      reprocessExact: false,
      reprocessBasis: "upper bound without dc1",
      reprocessStepId: "verify-offsets",
    },
    comparison: null,
    rpo: null,
    reprocess: null,
    steps: [
      {
        id: "check",
        uses: "kafka.checkReplication",
        state: "succeeded",
        attempt: 1,
        changes: 0,
        changeList: [],
        startedAt: T0,
        finishedAt: T0 + 2_000,
        durationMs: 2_000,
      },
      {
        id: 'repoint <dns> & "co"',
        uses: "dns.repoint",
        state: "failed",
        attempt: 2,
        changes: 1,
        changeList: [],
        startedAt: T0 + 5_000,
        finishedAt: T0 + 10_000,
        durationMs: 5_000,
        error: { code: "VERIFY_FAILED", message: "a <b> & c", retryable: false },
      },
      {
        id: "go",
        uses: "approval",
        state: "skipped",
        attempt: 0,
        changes: 0,
        changeList: [],
        durationMs: null,
      },
    ],
    timeline: [{ type: "run.transition", runId: "run-1", at: T0 + 10_000 }],
    ...over,
  };
}

/** Opening and closing tags balance (a cheap well-formedness check for the renderer's output). */
function balanced(xml: string): boolean {
  const stack: string[] = [];
  for (const m of xml.matchAll(/<(\/?)([a-zA-Z][\w-]*)[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    if (self) continue;
    if (!close) stack.push(name!);
    else if (stack.pop() !== name) return false;
  }
  return stack.length === 0;
}

describe("renderTimelineSvg", () => {
  it("draws one bar per started step, scaled on the run's time axis, coloured by state", () => {
    const svg = renderTimelineSvg(report(), { width: 880 });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(balanced(svg)).toBe(true);
    // Plot area: 880 − 210 (labels) − 70 (right margin) = 600 px for 10 s.
    const bars = [
      ...svg.matchAll(/<rect x="([\d.]+)" y="\d+" width="([\d.]+)" height="14" rx="2" fill="(#\w+)">/g),
    ];
    expect(bars.map((b) => [Number(b[1]), Number(b[2]), b[3]])).toEqual([
      [210, 120, "#2e7d32"],
      [510, 300, "#c62828"],
    ]);
    expect(svg).toContain(">2.0 s</text>");
    expect(svg).toContain(">5.0 s</text>");
    expect(svg).toContain('data-step="go" data-state="skipped"');
    expect(svg).toContain(">skipped</text>");
    // The recovery marker at the run's end.
    expect(svg).toContain("succeeded at 10.0 s");
  });

  it("escapes step ids and errors, and uses no external references or scripts", () => {
    const svg = renderTimelineSvg(report());
    expect(svg).toContain("repoint &lt;dns&gt; &amp; &quot;co&quot;");
    expect(svg).toContain("a &lt;b&gt; &amp; c");
    expect(svg).not.toMatch(/<script|href=|url\(|@import/);
  });

  it("is pure: the same report gives the same text; a running run extends to `now`", () => {
    expect(renderTimelineSvg(report())).toBe(renderTimelineSvg(report()));
    const running = report({ state: "running", finishedAt: undefined, rtoMs: null });
    running.steps[1] = { ...running.steps[1]!, state: "applying", finishedAt: undefined, durationMs: null };
    const svg = renderTimelineSvg(running, { now: T0 + 20_000, width: 880 });
    // 600 px for 20 s: the running step spans 5 s → 20 s.
    expect(svg).toMatch(/<rect x="360" y="\d+" width="450" height="14" rx="2" fill="#1565c0">/);
    expect(svg).not.toContain("succeeded at");
  });
});

describe("renderReportHtml", () => {
  it("is a standalone page with the figures, the inline SVG and a row per step", () => {
    const html = renderReportHtml(
      report({
        comparison: {
          scheduleId: "weekly",
          previousRunId: "run-0",
          previousState: "succeeded",
          previousRtoMs: 5_000,
          rtoMs: 10_000,
          slowerByPercent: 100,
          outcomeChanged: false,
          regressed: true,
        },
      }),
    );
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(balanced(html.replace(/<meta[^>]*>/g, ""))).toBe(true);
    expect(html).toContain("<svg xmlns=");
    expect(html).toContain("<dt>Time to recovery</dt><dd>10.5s</dd>");
    expect(html).toContain("newest replicated message 2.3s old (source unreachable)");
    expect(html).toContain("≤ 41 message(s): upper bound without dc1");
    expect(html).toContain("run-0 (succeeded): +100 % time (5.0s → 10.0s) — REGRESSION");
    expect(html.match(/<tr><td>/g)).toHaveLength(3);
    expect(html).not.toMatch(/<script|<link|src=|href=/);
  });
});
