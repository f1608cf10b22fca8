// The `state-lost` condition: whether Redis still holds what the fsync'd audit file proves was
// acknowledged. Checked at start-up and on every verify (the whole file against Redis), cheaply on
// every readiness probe (epoch marker, head), and by every append (see audit-log.ts). Once lost, the
// service refuses anything that records a change until an admin restores the chain from the file.
import { ErrorCode, SwitchoverError } from "../engine/errors.js";
import type { Logger } from "../engine/ports/logger.js";
import type { AuditEntry } from "./audit-entry.js";
import { newEpoch, readAuditFile, readAuditState, writeAuditState } from "./audit-file.js";
import type { AuditLog, RestoreOutcome } from "./audit-log.js";
import { compareChains } from "./chain-comparison.js";
import type { ChainComparison, StateLostCondition } from "./chain-comparison.js";

export interface StateLost {
  condition: StateLostCondition;
  detail: string;
  /** Highest seq the file (or this process) knows was acknowledged. */
  fileHead: number;
  /** Redis's head when it was detected (-1 when not read). */
  redisHead: number;
  /** First seq the two disagree on, when known. */
  seq?: number;
  /** When this process detected it (ISO 8601). */
  since: string;
}

export interface StateIntegrityOptions {
  audit: AuditLog;
  /** The fsync'd audit JSONL; without it only the epoch marker (kept in memory) is checked. */
  jsonlPath?: string;
  logger: Logger;
  /** Told on every change of the condition (the switchover_state_lost gauge). */
  onChange?: (lost: boolean) => void;
  clock?: () => Date;
}

export interface RestoreResult extends RestoreOutcome {
  condition: StateLostCondition;
  /** The audit entry recording the restore: the first entry after the restored head. */
  entry: AuditEntry;
}

/** How often a process already in state-lost re-reads the whole file to see whether it was restored. */
const RECHECK_MS = 5_000;

export class StateIntegrity {
  private lost: StateLost | undefined;
  private epoch: string | undefined;
  /** False until the start-up comparison could reach Redis; the readiness probe retries it. */
  private compared = false;
  private lastFullCheck = 0;
  private restoring: Promise<RestoreResult> | undefined;
  private readonly now: () => Date;

  constructor(private readonly o: StateIntegrityOptions) {
    this.now = o.clock ?? (() => new Date());
    o.audit.onStateLost((r) =>
      this.trip({
        condition: r.condition,
        detail: r.detail,
        fileHead: r.floor,
        redisHead: r.redisHead ?? -1,
      }),
    );
  }

  /**
   * Start-up: protects the audit log with what the local files prove (no Redis needed, so a Redis
   * that comes back empty later is never written on), then establishes the epoch marker and
   * compares the whole file with Redis. A Redis that does not answer yet is compared later.
   */
  async start(): Promise<void> {
    const path = this.o.jsonlPath;
    const recorded = path === undefined ? undefined : await readAuditState(path);
    const file = path === undefined ? [] : (await readAuditFile(path)).entries;
    this.epoch = recorded?.epoch;
    this.o.audit.protect({
      ...(recorded ? { epoch: recorded.epoch } : {}),
      floorSeq: file.reduce((m, e) => Math.max(m, e.seq), 0),
    });
    try {
      await this.compareNow(file);
    } catch (err) {
      this.o.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        "could not compare the audit file with Redis at start-up; retrying on the next readiness probe",
      );
    }
  }

  /** The current condition, if any. */
  current(): StateLost | undefined {
    return this.lost;
  }

  /** Throws the state-lost problem while the condition holds. */
  assertIntact(): void {
    if (this.lost) throw stateLostError(this.lost);
  }

  /** The whole file against Redis (GET /v1/audit/verify). Resolves with the condition, if any. */
  async check(): Promise<StateLost | undefined> {
    const file = this.o.jsonlPath === undefined ? [] : (await readAuditFile(this.o.jsonlPath)).entries;
    await this.compareNow(file);
    return this.lost;
  }

  /** The readiness probe's check: cheap reads (epoch marker, head), the whole file only now and then. */
  async probe(): Promise<StateLost | undefined> {
    if (!this.compared || (this.lost && Date.now() - this.lastFullCheck > RECHECK_MS)) return this.check();
    if (this.lost) return this.lost;
    const [marker, head] = await Promise.all([this.o.audit.readEpoch(), this.o.audit.currentHead()]);
    const floor = this.o.audit.floorSeq();
    if (this.epoch !== undefined && marker !== this.epoch) {
      this.trip({
        condition: "keyspace-lost",
        detail:
          marker === undefined
            ? `the epoch marker ${this.epoch} written at first start is missing from Redis: its keyspace was lost (entries up to ${floor} were acknowledged, Redis's chain holds ${head.seq})`
            : `Redis carries epoch marker ${marker}, not ${this.epoch}: this is not the keyspace the service wrote to`,
        fileHead: floor,
        redisHead: head.seq,
      });
    } else if (head.seq < floor) {
      this.trip({
        condition: head.seq === 0 ? "genesis-restart" : "head-behind",
        detail: `entries up to ${floor} were acknowledged but Redis's audit head is ${head.seq}: acknowledged entries are gone`,
        fileHead: floor,
        redisHead: head.seq,
        seq: head.seq + 1,
      });
    }
    return this.lost;
  }

  /**
   * POST /v1/audit/restore: re-imports the chain from the file into Redis (continuing it at the next
   * seq, never at 1), re-writes the epoch marker, lifts the condition and audits the restore.
   */
  restore(actor: string): Promise<RestoreResult> {
    this.restoring ??= this.restoreNow(actor).finally(() => (this.restoring = undefined));
    return this.restoring;
  }

  private async restoreNow(actor: string): Promise<RestoreResult> {
    const path = this.o.jsonlPath;
    if (path === undefined) {
      throw new SwitchoverError(
        ErrorCode.Conflict,
        "no audit file is configured: there is nothing to restore from",
      );
    }
    const lost = this.lost ?? (await this.check());
    if (!lost) {
      throw new SwitchoverError(
        ErrorCode.Conflict,
        "nothing to restore: Redis holds every entry of the audit file and the epoch marker",
      );
    }
    const file = (await readAuditFile(path)).entries.sort((a, b) => a.seq - b.seq);
    const epoch = this.epoch ?? newEpoch();
    if (this.epoch === undefined) await writeAuditState(path, { epoch, since: this.now().toISOString() });
    this.epoch = epoch;
    const outcome = await this.o.audit.restoreFrom(file, epoch);
    this.clear();
    const entry = await this.o.audit.append({
      actor,
      action: "audit.restored",
      data: {
        condition: lost.condition,
        detail: lost.detail,
        detectedAt: lost.since,
        fileHead: lost.fileHead,
        redisHeadBefore: lost.redisHead,
        imported: outcome.imported,
        displaced: outcome.displaced,
        ...(outcome.displacedKey ? { displacedKey: outcome.displacedKey } : {}),
      },
    });
    this.o.logger.warn(
      {
        condition: lost.condition,
        head: outcome.head,
        imported: outcome.imported,
        displaced: outcome.displaced,
        actor,
      },
      "audit chain restored from the audit file; state-lost lifted",
    );
    return { ...outcome, condition: lost.condition, entry };
  }

  private async compareNow(file: readonly AuditEntry[]): Promise<void> {
    if (this.epoch === undefined) {
      // First start against this file: write the marker (or adopt the one another process wrote).
      const epoch = await this.o.audit.establishEpoch(newEpoch());
      if (this.o.jsonlPath !== undefined) {
        await writeAuditState(this.o.jsonlPath, { epoch, since: this.now().toISOString() });
      }
      this.epoch = epoch;
      this.o.audit.protect({ epoch, floorSeq: 0 });
    }
    const fileEntries = new Map(file.map((e) => [e.seq, e.hash]));
    const [head, marker, hashes] = await Promise.all([
      this.o.audit.currentHead(),
      this.o.audit.readEpoch(),
      this.o.audit.hashesAt(new Set(fileEntries.keys())),
    ]);
    const result: ChainComparison = compareChains({
      file: { entries: fileEntries, epoch: this.epoch },
      redis: { head, entries: hashes, epoch: marker },
    });
    this.compared = true;
    this.lastFullCheck = Date.now();
    if (result.status === "lost") {
      const { condition, detail, fileHead, redisHead, seq } = result;
      this.trip({ condition, detail, fileHead, redisHead, ...(seq !== undefined ? { seq } : {}) });
    } else if (this.lost) {
      // Redis holds the whole file and the marker again: another process restored it.
      this.o.logger.warn({ condition: this.lost.condition }, "audit chain found restored; state-lost lifted");
      this.clear();
    }
  }

  private trip(lost: Omit<StateLost, "since">): void {
    if (this.lost) return;
    this.lost = { ...lost, since: this.now().toISOString() };
    this.o.audit.block(stateLostError(this.lost));
    this.o.onChange?.(true);
    this.o.logger.error(
      {
        condition: lost.condition,
        fileHead: lost.fileHead,
        redisHead: lost.redisHead,
        ...(lost.seq ? { seq: lost.seq } : {}),
      },
      `state-lost (${lost.condition}): ${lost.detail}; refusing run commands until an admin restores the audit chain (POST /v1/audit/restore)`,
    );
  }

  private clear(): void {
    this.lost = undefined;
    this.o.audit.block(undefined);
    this.o.onChange?.(false);
  }
}

export function stateLostError(lost: StateLost): SwitchoverError {
  return new SwitchoverError(
    ErrorCode.StateLost,
    `state-lost (${lost.condition}): ${lost.detail}. Nothing that records a change is accepted until an admin restores the audit chain from the audit file (POST /v1/audit/restore)`,
    { details: { condition: lost.condition, since: lost.since } },
  );
}
