// Canonical JSON (sorted keys, no whitespace) and SHA-256 for the audit chain. Kept here, not shared
// with the engine, because every stored hash depends on these exact bytes: changing it breaks old chains.
import { createHash } from "node:crypto";
import type { JsonValue } from "../engine/json.js";

export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(",")}}`;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
