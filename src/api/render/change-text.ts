// One planned or applied change as a terminal line: `resource field: from → to`, or, when a step
// found the world already as desired, `resource field = value (unchanged)`: an equality must never
// read like a change at 3 a.m.
import { isDeepStrictEqual } from "node:util";

export interface ChangeLike {
  resource: string;
  field: string;
  from?: unknown;
  to?: unknown;
}

/** A value on one line, whatever it holds (objects as JSON), cut at 120 characters. */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return "(none)";
  const text = typeof v === "string" ? v : JSON.stringify(v);
  const flat = text.replace(/[\r\n\t]+/g, " ");
  return flat.length > 120 ? `${flat.slice(0, 117)}...` : flat;
}

export function changeText(c: ChangeLike): string {
  if (isDeepStrictEqual(c.from ?? null, c.to ?? null)) {
    return `${c.resource} ${c.field} = ${formatValue(c.to)} (unchanged)`;
  }
  return `${c.resource} ${c.field}: ${formatValue(c.from)} → ${formatValue(c.to)}`;
}
