// Redaction before anything is hashed or written: Secrets, values under sensitive keys, bearer tokens and
// URL passwords in strings. The result is plain JSON, so its hash survives a storage round trip.
import { maskSecretValues, Secret } from "../config/secret.js";
import type { JsonObject, JsonValue } from "../engine/json.js";

export const REDACTED = "[redacted]";
export const CIRCULAR = "[circular]";
export const TRUNCATED = "[truncated]";
/** Nesting deeper than this is cut: audit data describes changes, it is not a dump. */
export const MAX_REDACT_DEPTH = 32;

const SENSITIVE_KEY = /password|passwd|secret|token|authorization|api[-_]?key|tsig|sasl/i;
// RFC 6750 b64token after "Bearer"; the scheme word is kept so the entry still says what it was.
const BEARER = /\b(bearer)\s+[A-Za-z0-9\-._~+/]+=*/gi;
// scheme://user:password@host → scheme://user:[redacted]@host
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]*@/gi;
// ?token=…&sig=… : query parameters that carry credentials (signed URLs, webhook keys).
const QUERY_SECRET =
  /([?&](?:[a-z0-9_.-]*(?:password|passwd|secret|token|api[-_]?key|signature|auth)[a-z0-9_.-]*|sig|key|code|access_key)=)[^&#\s"']+/gi;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

export function redactString(text: string): string {
  return maskSecretValues(text)
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(URL_PASSWORD, `$1:${REDACTED}@`)
    .replace(QUERY_SECRET, `$1${REDACTED}`);
}

/** Deep, cycle-safe copy of `value` as JSON with secrets replaced by "[redacted]". */
export function redact(value: unknown): JsonValue {
  return walk(value, 0, new Set<object>()) ?? null;
}

/** `redact` for an object: always returns an object (non-objects are wrapped as `{value}`). */
export function redactObject(value: unknown): JsonObject {
  const out = redact(value);
  return out !== null && typeof out === "object" && !Array.isArray(out) ? out : { value: out };
}

// undefined means "no JSON form": dropped from objects, null in arrays (as JSON.stringify does).
function walk(value: unknown, depth: number, ancestors: Set<object>): JsonValue | undefined {
  if (value instanceof Secret) return REDACTED;
  switch (typeof value) {
    case "string":
      return redactString(value);
    case "number":
      return Number.isFinite(value) ? value : null;
    case "boolean":
      return value;
    case "bigint":
      return value.toString();
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  if (value === null) return null;
  const obj = value as object;
  if (ancestors.has(obj)) return CIRCULAR;
  if (depth >= MAX_REDACT_DEPTH) return TRUNCATED;
  ancestors.add(obj);
  try {
    return walkObject(obj, depth, ancestors);
  } finally {
    ancestors.delete(obj);
  }
}

function walkObject(obj: object, depth: number, ancestors: Set<object>): JsonValue | undefined {
  const next = depth + 1;
  if (Array.isArray(obj)) return obj.map((v: unknown) => walk(v, next, ancestors) ?? null);
  if (obj instanceof String || obj instanceof Number || obj instanceof Boolean) {
    return walk(obj.valueOf(), next, ancestors);
  }
  if (obj instanceof Map) {
    const out: JsonObject = {};
    for (const [k, v] of obj as Map<unknown, unknown>) setField(out, String(k), v, next, ancestors);
    return out;
  }
  if (obj instanceof Set) return [...(obj as Set<unknown>)].map((v) => walk(v, next, ancestors) ?? null);
  if (obj instanceof Error) {
    const out: JsonObject = { name: obj.name, message: redactString(obj.message) };
    for (const [k, v] of Object.entries(obj)) setField(out, k, v, next, ancestors);
    return out;
  }
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return walk((toJSON as () => unknown).call(obj), next, ancestors);
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) setField(out, k, v, next, ancestors);
  return out;
}

function setField(out: JsonObject, key: string, value: unknown, depth: number, ancestors: Set<object>): void {
  if (isSensitiveKey(key)) {
    out[key] = REDACTED;
    return;
  }
  const v = walk(value, depth, ancestors);
  // defineProperty, not assignment: a key named "__proto__" must stay data, not change the prototype.
  if (v !== undefined)
    Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
}
