// Canonical JSON (sorted keys, no whitespace) and SHA-256 for the audit chain. Kept here, not shared
// with the engine, because every stored hash depends on these exact bytes: changing it breaks old chains.
import { hash } from "node:crypto";
import type { JsonValue } from "../engine/json.js";

export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i === 0 ? "" : ",") + canonicalJson(value[i]!);
    return `${out}]`;
  }
  // Default sort compares UTF-16 code units, the same order as `<` on strings.
  const keys = Object.keys(value).sort();
  let out = "{";
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    out += `${i === 0 ? "" : ","}${JSON.stringify(k)}:${canonicalJson(value[k]!)}`;
  }
  return `${out}}`;
}

export function sha256Hex(text: string): string {
  return hash("sha256", text, "hex");
}
