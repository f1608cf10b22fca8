// Readiness (and boot) check of the audit JSONL file: an audit entry that cannot be written means a
// run start that cannot be acknowledged, so the service is not ready without it.
import { accessSync, constants, existsSync } from "node:fs";
import { access } from "node:fs/promises";
import { dirname } from "node:path";

/** Throws a precise error unless the file (or, before it exists, its directory) is writable. */
export function assertAuditWritable(path: string): void {
  const target = existsSync(path) ? path : dirname(path);
  try {
    accessSync(target, constants.W_OK);
  } catch (err) {
    const code = err instanceof Error && "code" in err ? String(err.code) : "unwritable";
    throw new Error(
      `audit file ${path} is not writable (${code} on ${target}); set SWITCHOVER_AUDIT_JSONL to a writable path or mount a writable volume there`,
    );
  }
}

export function auditFileCheck(path: string | undefined): { name: string; check(): Promise<void> } {
  return {
    name: "audit",
    async check() {
      if (!path) return;
      try {
        await access(existsSync(path) ? path : dirname(path), constants.W_OK);
      } catch {
        throw new Error("audit file is not writable");
      }
    },
  };
}
