// Durations as people write them in runbooks ("250ms", "30s", "5m", "1h30m") ↔ milliseconds.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:\d{1,9}(?:ms|s|m|h|d))+$/;
const PART = /(\d{1,9})(ms|s|m|h|d)/g;

/** Longest duration accepted anywhere: a runbook that waits longer than a week is a mistake. */
export const MAX_DURATION_MS = 7 * 86_400_000;

export function isDuration(text: string): boolean {
  return text.length <= 32 && DURATION.test(text) && parseDurationMs(text) <= MAX_DURATION_MS;
}

/** Returns NaN for text that is not a duration, so callers decide how to report it. */
export function parseDurationMs(text: string): number {
  if (text.length > 32 || !DURATION.test(text)) return Number.NaN;
  let total = 0;
  for (const m of text.matchAll(PART)) total += Number(m[1]) * (UNIT_MS[m[2] ?? ""] ?? Number.NaN);
  return total;
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0 && ms > 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}
