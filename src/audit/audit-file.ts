// Reading the fsync'd audit JSONL back, and the small state file beside it that records the epoch
// marker this installation wrote into Redis at its first start. Together they are what the service
// knows without Redis: which entries were acknowledged, and that it has started before.
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import { parseEntry } from "./audit-entry.js";
import type { AuditEntry } from "./audit-entry.js";

export interface AuditFileContents {
  /** Readable entries in file order (seq order: each writer's lines are written in seq order). */
  entries: AuditEntry[];
  /** Lines that are not audit entries. A torn last line (a crash mid-write, never acknowledged) is not counted. */
  unreadable: number;
}

export async function readAuditFile(path: string): Promise<AuditFileContents> {
  if (!existsSync(path)) return { entries: [], unreadable: 0 };
  const lines = (await readFile(path, "utf8")).split("\n");
  const entries: AuditEntry[] = [];
  let unreadable = 0;
  lines.forEach((line, i) => {
    if (line.length === 0) return;
    const entry = parseEntry(line);
    if (entry) entries.push(entry);
    else if (i < lines.length - 1) unreadable += 1;
  });
  return { entries, unreadable };
}

export interface AuditState {
  /** The epoch marker this installation wrote (or found) in Redis at its first start. */
  epoch: string;
  /** When that was (ISO 8601). */
  since: string;
}

/** `<audit file>.state`: beside the audit file, on the same volume. */
export function stateFilePath(auditPath: string): string {
  return `${auditPath}.state`;
}

export async function readAuditState(auditPath: string): Promise<AuditState | undefined> {
  const path = stateFilePath(auditPath);
  if (!existsSync(path)) return undefined;
  const raw = JSON.parse(await readFile(path, "utf8")) as Partial<AuditState>;
  if (typeof raw.epoch !== "string" || raw.epoch.length === 0) {
    throw new Error(`${path} holds no epoch: restore it from a backup or remove it to start a new history`);
  }
  return { epoch: raw.epoch, since: typeof raw.since === "string" ? raw.since : "" };
}

/** Written to a temporary file, fsync'd, renamed over, and the directory fsync'd: all or nothing. */
export async function writeAuditState(auditPath: string, state: AuditState): Promise<void> {
  const path = stateFilePath(auditPath);
  const tmp = `${path}.${randomUUID().slice(0, 8)}.tmp`;
  const handle = await open(tmp, "w", 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(state)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  const dir = await open(dirname(path), "r").catch(() => undefined);
  await dir?.sync().catch(() => undefined);
  await dir?.close();
}

export function newEpoch(): string {
  return randomUUID();
}
