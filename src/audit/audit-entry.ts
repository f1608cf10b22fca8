// The shape of one audit entry, how its hash is computed, and the schema that reads it back from
// storage. The hash covers every field but itself (prevHash included), so entries form a chain.
import { z } from "zod";
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

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

export const auditEntrySchema = z.strictObject({
  seq: z.number().int().positive(),
  at: z.iso.datetime(),
  actor: z.string(),
  action: z.string(),
  runId: z.string().optional(),
  stepId: z.string().optional(),
  data: z.record(z.string(), z.json()),
  prevHash: hex64,
  hash: hex64,
});

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

/** Reads a stored entry; undefined when it is not valid JSON or not entry-shaped. */
export function parseEntry(text: string): AuditEntry | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = auditEntrySchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const { runId, stepId, ...rest } = parsed.data;
  const entry: AuditEntry = { ...rest };
  if (runId !== undefined) entry.runId = runId;
  if (stepId !== undefined) entry.stepId = stepId;
  return entry;
}
