// `-p key=value` into a run's params, typed by the runbook's parameter schema (GET
// /v1/runbooks/{name}): numbers and booleans become JSON numbers and booleans, lists split on
// commas. Anything else goes as a string; the API names whatever does not fit.
import type { components } from "../contract/openapi.js";
import { usageError } from "./cli-error.js";

type ParamSchema = components["schemas"]["ParamSchema"];
export type ParamValue = components["schemas"]["ParamValue"];

/** commander's collector for a repeatable -p. */
export function collectParam(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function typeOf(schema: ParamSchema | undefined, key: string): string | undefined {
  const prop = schema?.properties[key] as { type?: unknown } | undefined;
  return typeof prop?.type === "string" ? prop.type : undefined;
}

export function parseParams(pairs: readonly string[], schema?: ParamSchema): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw usageError(`-p ${pair}: expected key=value`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    if (key in out) throw usageError(`-p ${key} given twice`);
    switch (typeOf(schema, key)) {
      case "number": {
        const n = Number(raw);
        if (raw.trim() === "" || !Number.isFinite(n))
          throw usageError(`-p ${key}=${raw}: ${key} is a number`);
        out[key] = n;
        break;
      }
      case "boolean":
        if (raw !== "true" && raw !== "false") throw usageError(`-p ${key}=${raw}: ${key} is true or false`);
        out[key] = raw === "true";
        break;
      case "array":
        out[key] = raw === "" ? [] : raw.split(",").map((s) => s.trim());
        break;
      default:
        out[key] = raw;
    }
  }
  return out;
}
