// Param typing: checks declared defaults and enums, and turns a run request's params into the typed
// values expressions see. Unknown, missing and mistyped params are all reported together.
import { ErrorCode, SwitchoverError } from "../errors.js";
import { isDuration } from "../duration.js";
import type { ParamSpec, ParamValue } from "./model.js";

/** Why value does not fit spec, or undefined when it does. */
export function checkParamValue(spec: Pick<ParamSpec, "type" | "enum">, value: unknown): string | undefined {
  switch (spec.type) {
    case "string":
      if (typeof value !== "string") return `expected string, received ${describe(value)}`;
      break;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value))
        return `expected number, received ${describe(value)}`;
      break;
    case "boolean":
      if (typeof value !== "boolean") return `expected boolean, received ${describe(value)}`;
      break;
    case "duration":
      if (typeof value !== "string" || !isDuration(value)) {
        return `expected a duration such as "30s" or "5m", received ${describe(value)}`;
      }
      break;
    case "string[]":
      if (!Array.isArray(value)) return `expected a list of strings, received ${describe(value)}`;
      {
        const bad = (value as unknown[]).findIndex((v) => typeof v !== "string");
        if (bad >= 0)
          return `expected a list of strings, item [${bad}] is ${describe((value as unknown[])[bad])}`;
      }
      break;
  }
  if (spec.enum) {
    const values = Array.isArray(value) ? (value as unknown[]) : [value];
    const bad = values.find((v) => !spec.enum!.includes(v as string | number));
    if (bad !== undefined) {
      return `${JSON.stringify(bad)} is not one of ${spec.enum.map((e) => JSON.stringify(e)).join(", ")}`;
    }
  }
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "list";
  if (typeof value === "string")
    return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)}`;
  return typeof value;
}

/** Typed param values for a run, or a PARAMS_INVALID error listing every problem. */
export function resolveParams(specs: Record<string, ParamSpec>, given: unknown): Record<string, ParamValue> {
  const problems: { path: string; message: string }[] = [];
  const input = given ?? {};
  if (typeof input !== "object" || Array.isArray(input)) {
    throw new SwitchoverError(ErrorCode.ParamsInvalid, "params must be an object", {
      details: { problems: [{ path: "params", message: "expected object" }] },
    });
  }
  const values: Record<string, ParamValue> = {};
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(specs, key)) {
      problems.push({
        path: `params.${key}`,
        message: `unknown param (declared: ${Object.keys(specs).join(", ") || "none"})`,
      });
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    const value = (input as Record<string, unknown>)[name];
    if (value === undefined || !Object.hasOwn(input, name)) {
      if (spec.default !== undefined) values[name] = spec.default;
      else if (spec.required)
        problems.push({ path: `params.${name}`, message: `required ${spec.type} param is missing` });
      continue;
    }
    const why = checkParamValue(spec, value);
    if (why) problems.push({ path: `params.${name}`, message: why });
    else values[name] = value as ParamValue;
  }
  if (problems.length > 0) {
    throw new SwitchoverError(
      ErrorCode.ParamsInvalid,
      `invalid params: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`,
      { details: { problems } },
    );
  }
  return values;
}
