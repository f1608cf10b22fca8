// The shape of one audit entry, how its hash is computed, and the strict reader that loads it back
// from storage. The hash covers every field but itself (prevHash included), so entries form a chain.
import type { JsonObject } from "../engine/json.js";
import { canonicalJson, sha256Hex } from "./canonical-json.js";

/** prevHash of entry 1. */
export const GENESIS_HASH = "0".repeat(64);

export interface AuditEntry {
  /** 1, 2, 3, … with no gaps across every writer. */
  seq: number;
  /** ISO 8601 (UTC, ms) from the Redis server clock; never earlier than the previous entry's. */
  at: string;
  actor: string;
  action: string;
  runId?: string;
  stepId?: string;
  /** Already redacted, JSON only. */
  data: JsonObject;
  prevHash: string;
  /** sha256 (hex) of the canonical JSON of this entry without `hash`. */
  hash: string;
}

export type UnhashedAuditEntry = Omit<AuditEntry, "hash">;

export function entryHash(entry: UnhashedAuditEntry): string {
  const { seq, at, actor, action, runId, stepId, data, prevHash } = entry;
  const body: JsonObject = { seq, at, actor, action, data, prevHash };
  if (runId !== undefined) body.runId = runId;
  if (stepId !== undefined) body.stepId = stepId;
  return sha256Hex(canonicalJson(body));
}

/** The stored form (Redis stream field and JSONL line): canonical JSON of the whole entry. */
export function serializeEntry(entry: AuditEntry): string {
  const { runId, stepId, ...rest } = entry;
  const doc: JsonObject = { ...rest };
  if (runId !== undefined) doc.runId = runId;
  if (stepId !== undefined) doc.stepId = stepId;
  return canonicalJson(doc);
}

const HEX64 = /^[0-9a-f]{64}$/;
// toISOString's shape: what append writes, and all verify needs to compare times.
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const FIELDS = new Set(["seq", "at", "actor", "action", "runId", "stepId", "data", "prevHash", "hash"]);

/**
 * Reads a stored entry; undefined when it is not valid JSON or not entry-shaped. Hand-written rather
 * than a schema because verify runs it on every entry of the log.
 */
export function parseEntry(text: string): AuditEntry | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) if (!FIELDS.has(key)) return undefined;
  const { seq, at, actor, action, runId, stepId, data, prevHash, hash } = r;
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1) return undefined;
  if (typeof at !== "string" || !ISO_UTC.test(at) || Number.isNaN(Date.parse(at))) return undefined;
  if (typeof actor !== "string" || typeof action !== "string") return undefined;
  if (runId !== undefined && typeof runId !== "string") return undefined;
  if (stepId !== undefined && typeof stepId !== "string") return undefined;
  if (data === null || typeof data !== "object" || Array.isArray(data)) return undefined;
  if (typeof prevHash !== "string" || !HEX64.test(prevHash)) return undefined;
  if (typeof hash !== "string" || !HEX64.test(hash)) return undefined;
  // JSON.parse output is JSON by construction, so `data` needs no deeper check.
  const entry: AuditEntry = { seq, at, actor, action, data: data as JsonObject, prevHash, hash };
  if (runId !== undefined) entry.runId = runId;
  if (stepId !== undefined) entry.stepId = stepId;
  return entry;
}
