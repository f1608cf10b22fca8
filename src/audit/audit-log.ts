// The audit log: append-only, hash-chained entries in a Redis stream (one entry per seq, stream id
// `<seq>-0`), copied to an fsync'd JSONL file. Safe with many writers: appends are compare-and-append.
// Group commit: appends made while a batch is being stored queue up and go as the next batch — one
// script call chaining N entries, one JSONL write, one fsync — and each resolves once it is durable.
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import { ErrorCode, SwitchoverError } from "../engine/errors.js";
import type { JsonObject } from "../engine/json.js";
import { GENESIS_HASH, entryHash, parseEntry, serializeEntry } from "./audit-entry.js";
import type { AuditEntry, UnhashedAuditEntry } from "./audit-entry.js";
import { JsonlFile } from "./jsonl-file.js";
import { redactObject, redactString } from "./redact.js";

export interface AuditLogOptions {
  /**
   * Key prefix: entries in `<prefix>:audit`, head in `<prefix>:audit:head`, run index
   * `<prefix>:audit:run:<id>`, writers' turn `<prefix>:audit:turn`, the epoch marker written at first
   * start `<prefix>:epoch`. On Redis Cluster use a hash tag (`{switchover}`): the append touches all of them.
   */
  prefix: string;
  /**
   * Local JSONL copy: each append by this instance writes its line (the stored document) and fsyncs.
   * It holds this instance's entries in seq order — with a single writer, exactly the stream.
   */
  jsonlPath?: string;
  /** Entries per Redis read in `verify` and `query` (default 1000): bounds memory whatever the log size. */
  pageSize?: number;
  /** Entries one `query` call may examine before it returns a partial page with a cursor (default 10000). */
  queryScanLimit?: number;
  /** Compare-and-append attempts before giving up under contention (default 100). */
  maxAppendAttempts?: number;
  /** Most entries one group commit stores (default 256); more waiting appends go in the next batch. */
  maxBatchEntries?: number;
  /** Most stored bytes one group commit sends (default 4 MiB); a single larger entry goes alone. */
  maxBatchBytes?: number;
}

export interface AuditAppendInput {
  actor: string;
  action: string;
  runId?: string;
  stepId?: string;
  data?: Record<string, unknown>;
}

export interface AuditQuery {
  runId?: string;
  actor?: string;
  action?: string;
  /** Inclusive lower bound on `at` (ISO 8601 string or Date). */
  since?: string | Date;
  /** Inclusive upper bound on `at`. */
  until?: string | Date;
  /** Cursor: only entries with seq > afterSeq. */
  afterSeq?: number;
  /** 1–1000, default 100. */
  limit?: number;
}

export interface AuditPage {
  /** Oldest first (ascending seq). */
  entries: AuditEntry[];
  /** Pass as `afterSeq` for the next page; null when the scan reached the end of the log. */
  nextAfterSeq: number | null;
}

/** Why an append was refused because Redis lost entries (see APPEND: -2 and -3). */
export interface AppendRefusal {
  condition: "head-behind" | "genesis-restart" | "keyspace-lost";
  detail: string;
  redisHead?: number;
  floor: number;
}

/** What restoreFrom did to the chain in Redis. */
export interface RestoreOutcome {
  /** Entries written back into Redis from the file (or kept from Redis where the file has none). */
  imported: number;
  /** Head seq after the import (before any new entry). */
  head: number;
  /** Entries Redis held that disagreed with the file, moved aside (never deleted) to displacedKey. */
  displaced: number;
  displacedKey?: string;
}

export type AuditVerifyResult =
  { ok: true; entries: number; headHash: string } | { ok: false; brokenAt: number; reason: string };

export const MAX_QUERY_LIMIT = 1000;
export const MAX_ENTRY_BYTES = 1024 * 1024;
const MAX_NAME_LENGTH = 256;

// KEYS[1] head; ARGV[1] genesis hash. Returns {seq, hash, at, time seconds, time microseconds}.
const HEAD = `
local h = redis.call('HMGET', KEYS[1], 'seq', 'hash', 'at')
local t = redis.call('TIME')
return {h[1] or '0', h[2] or ARGV[1], h[3] or '', t[1], t[2]}`;

// Group commit. KEYS[1] stream, KEYS[2] head, KEYS[3] turn, KEYS[4] epoch marker, KEYS[5..] run
// indexes; ARGV: expected seq, expected hash, genesis hash, writer id, claim the turn (1/0), entry
// count, floor seq, epoch ('' = none known yet), then per entry: seq, hash, at, document, run index
// key number (0 = none). Appends every entry only if the head is still what the caller built on and
// no other writer holds the turn: {1, time s, time us}; otherwise {0, seq, hash, at, time s, time us}
// so the caller rebuilds the batch at once; {-1, why} when stream and head disagree (tampering):
// writing on would fork the chain. A head below the floor (the highest seq this writer has seen,
// or its fsync'd file holds) or a missing epoch marker means Redis lost acknowledged entries:
// {-2, seq} and {-3, marker} refuse before anything is written, so a writer whose view of the head
// is stale can never write a seq twice. The turn keeps a busy writer, whose next batch always
// arrives first, from starving another: a writer that already lost a race claims it, and until it
// has appended (or the turn expires) everybody else waits.
const APPEND = `
if ARGV[8] ~= '' then
  local marker = redis.call('GET', KEYS[4])
  if marker ~= ARGV[8] then return {-3, marker or ''} end
end
local turn = redis.call('GET', KEYS[3])
local h = redis.call('HMGET', KEYS[2], 'seq', 'hash', 'at')
local seq = h[1] or '0'
local hash = h[2] or ARGV[3]
if tonumber(seq) < tonumber(ARGV[7]) then return {-2, seq} end
if (turn and turn ~= ARGV[4]) or seq ~= ARGV[1] or hash ~= ARGV[2] then
  if ARGV[5] == '1' and not turn then redis.call('SET', KEYS[3], ARGV[4], 'PX', 1000) end
  local t = redis.call('TIME')
  return {0, seq, hash, h[3] or '', t[1], t[2]}
end
if seq == '0' and redis.call('XLEN', KEYS[1]) > 0 then return {-1, 'head record missing but entries exist'} end
local n = tonumber(ARGV[6])
for i = 0, n - 1 do
  local a = 9 + i * 5
  local added = redis.pcall('XADD', KEYS[1], ARGV[a] .. '-0', 'e', ARGV[a + 3])
  -- Only the first XADD can fail (an entry beyond the head); after it the ids only go up.
  if type(added) == 'table' and added.err then return {-1, added.err} end
  local k = tonumber(ARGV[a + 4])
  if k > 0 then redis.call('ZADD', KEYS[k], ARGV[a], ARGV[a]) end
end
local last = 9 + (n - 1) * 5
redis.call('HSET', KEYS[2], 'seq', ARGV[last], 'hash', ARGV[last + 1], 'at', ARGV[last + 2])
if turn then redis.call('DEL', KEYS[3]) end
local t = redis.call('TIME')
return {1, t[1], t[2]}`;

interface Head {
  seq: number;
  hash: string;
  /** ms since epoch of the head entry, or -Infinity for an empty log. */
  atMs: number;
  /** Redis server clock, ms. */
  nowMs: number;
}

interface StoredItem {
  id: string;
  /** Seq named by the stream id, or NaN when the id is not `<n>-0`. */
  idSeq: number;
  entry: AuditEntry | undefined;
}

type Prepared = Omit<UnhashedAuditEntry, "seq" | "at" | "prevHash">;

/** One caller's append, waiting for (or in) a group commit. */
interface Pending {
  prepared: Prepared;
  resolve: (entry: AuditEntry) => void;
  reject: (err: unknown) => void;
}

/** A batch chained on one head: the entries and their stored documents, in seq order. */
interface Built {
  items: Array<{ pending: Pending; entry: AuditEntry; doc: string }>;
  args: string[];
  keys: string[];
}

const timeBound = z
  .union([z.date(), z.iso.datetime({ offset: true })])
  .transform((v) => new Date(v).getTime());
const querySchema = z.strictObject({
  runId: z.string().min(1).optional(),
  actor: z.string().min(1).optional(),
  action: z.string().min(1).optional(),
  since: timeBound.optional(),
  until: timeBound.optional(),
  afterSeq: z.number().int().min(0).optional(),
  limit: z.number().int().min(1).max(MAX_QUERY_LIMIT).optional(),
});

const HEAD_CMD = "switchoverAuditHead";
/** The epoch marker key for a prefix (written once, at the first start against this keyspace). */
export const epochKey = (prefix: string): string => `${prefix}:epoch`;
const APPEND_CMD = "switchoverAuditAppend";

export class AuditLog {
  private readonly streamKey: string;
  private readonly headKey: string;
  private readonly turnKey: string;
  private readonly epochKey: string;
  /** Lowest head an append accepts: the highest seq this instance wrote, saw, or holds in its file. */
  private floor = 0;
  /** The epoch marker every append checks; undefined until the service established it. */
  private epoch: string | undefined;
  /** Set while the service is in state-lost: every append is refused with it. */
  private blocked: SwitchoverError | undefined;
  private lostListener: ((refusal: AppendRefusal) => void) | undefined;
  /** Names this instance in the turn key. */
  private readonly writerId = randomUUID();
  private readonly file: JsonlFile | undefined;
  private readonly pageSize: number;
  private readonly queryScanLimit: number;
  private readonly maxAppendAttempts: number;
  private readonly maxBatchEntries: number;
  private readonly maxBatchBytes: number;
  /** Appends waiting for the next group commit, in call order. */
  private queue: Pending[] = [];
  /** The commit loop while it runs: one batch in Redis at a time, so seqs follow call order. */
  private committing: Promise<void> | undefined;
  /** JSONL writes, one batch after another, so the file's lines are in seq order. */
  private fileTail: Promise<void> = Promise.resolve();
  /** The head this instance last wrote or saw: the next batch builds on it without reading first. */
  private head: Head | undefined;
  /** Redis clock minus local clock (ms), from the last reply: `at` comes from the Redis clock. */
  private clockOffsetMs = 0;

  constructor(
    private readonly redis: Redis,
    private readonly options: AuditLogOptions,
  ) {
    this.streamKey = `${options.prefix}:audit`;
    this.headKey = `${options.prefix}:audit:head`;
    this.turnKey = `${options.prefix}:audit:turn`;
    this.epochKey = epochKey(options.prefix);
    this.file = options.jsonlPath === undefined ? undefined : new JsonlFile(options.jsonlPath);
    this.pageSize = options.pageSize ?? 1000;
    this.queryScanLimit = options.queryScanLimit ?? 10_000;
    this.maxAppendAttempts = options.maxAppendAttempts ?? 100;
    this.maxBatchEntries = options.maxBatchEntries ?? 256;
    this.maxBatchBytes = options.maxBatchBytes ?? 4 * 1024 * 1024;
    redis.defineCommand(HEAD_CMD, { numberOfKeys: 1, lua: HEAD });
    redis.defineCommand(APPEND_CMD, { lua: APPEND });
  }

  /**
   * Redacts, chains and stores one entry; resolves once it is in Redis and (if configured) fsync'd to
   * the JSONL file. Concurrent calls are committed together (see the top of the file); entries get
   * seqs in call order. If the batch fails, every caller in it is rejected. Not idempotent: a caller
   * retrying after an ambiguous failure may record twice, which the chain tolerates (two valid
   * entries) — losing an entry is the worse outcome.
   */
  async append(input: AuditAppendInput): Promise<AuditEntry> {
    if (this.blocked) throw this.blocked;
    const prepared = prepare(input);
    return new Promise<AuditEntry>((resolve, reject) => {
      this.queue.push({ prepared, resolve, reject });
      this.committing ??= this.commitLoop().finally(() => (this.committing = undefined));
    });
  }

  /**
   * From now on every append checks the epoch marker and refuses a head below `floorSeq` (what the
   * fsync'd file proves was acknowledged): Redis that lost entries is never written on.
   */
  protect(state: { epoch?: string; floorSeq: number }): void {
    if (state.epoch !== undefined) this.epoch = state.epoch;
    this.floor = Math.max(this.floor, state.floorSeq);
  }

  /** The lowest head an append accepts now. */
  floorSeq(): number {
    return this.floor;
  }

  /** While `err` is set, every append is refused with it (state-lost); undefined lifts the block. */
  block(err: SwitchoverError | undefined): void {
    this.blocked = err;
  }

  /** Told when an append is refused because Redis lost entries. */
  onStateLost(listener: (refusal: AppendRefusal) => void): void {
    this.lostListener = listener;
  }

  /** The recorded head: seq 0 (and the genesis hash) when Redis holds no chain. */
  async currentHead(): Promise<{ seq: number; hash: string }> {
    const head = await this.store(() => this.readHead());
    return { seq: head.seq, hash: head.hash };
  }

  /** The epoch marker in Redis, if any. */
  async readEpoch(): Promise<string | undefined> {
    return (await this.store(() => this.redis.get(this.epochKey))) ?? undefined;
  }

  /** Writes the epoch marker unless one exists; resolves with the marker Redis holds afterwards. */
  async establishEpoch(candidate: string): Promise<string> {
    await this.store(() => this.redis.set(this.epochKey, candidate, "NX"));
    return (await this.readEpoch()) ?? candidate;
  }

  /** seq → hash of the stored entries whose seq is in `seqs` (read in pages over their range). */
  async hashesAt(seqs: ReadonlySet<number>): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    if (seqs.size === 0) return out;
    let min = Infinity;
    let max = 0;
    for (const s of seqs) {
      min = Math.min(min, s);
      max = Math.max(max, s);
    }
    for (let start = `${min}-0`; ;) {
      const rows = await this.store(() =>
        this.redis.xrange(this.streamKey, start, `${max}-0`, "COUNT", this.pageSize),
      );
      for (const item of rows.map(toItem)) {
        if (seqs.has(item.idSeq) && item.entry !== undefined) out.set(item.idSeq, item.entry.hash);
      }
      if (rows.length < this.pageSize) return out;
      start = `(${rows.at(-1)![0]}`;
    }
  }

  /**
   * Puts the chain the file holds back into Redis and continues it: entries Redis still holds that
   * agree with the file are kept, entries that disagree (a restarted or forked chain) are moved
   * aside to `<prefix>:audit:displaced:<time>`, and the head becomes the file's last entry, so the
   * next append is the file's head + 1, never seq 1. `fileEntries` must be the file's entries in
   * seq order; the merged chain must be complete and hash-linked from seq 1, or nothing is written.
   */
  async restoreFrom(fileEntries: readonly AuditEntry[], epoch: string): Promise<RestoreOutcome> {
    const fromFile = new Map(fileEntries.map((e) => [e.seq, e]));
    const fileHead = fileEntries.at(-1)?.seq ?? 0;
    const redisHead = (await this.currentHead()).seq;
    const inRedis = new Map<number, AuditEntry>();
    let xlen = 0;
    for (let start = "-"; ;) {
      const rows = await this.store(() =>
        this.redis.xrange(this.streamKey, start, "+", "COUNT", this.pageSize),
      );
      xlen += rows.length;
      for (const item of rows.map(toItem)) if (item.entry) inRedis.set(item.idSeq, item.entry);
      if (rows.length < this.pageSize) break;
      start = `(${rows.at(-1)![0]}`;
    }
    // The first seq where Redis does not hold what the file holds; Redis's entries from there on go.
    let diverge = Infinity;
    for (const e of fileEntries) {
      if (inRedis.get(e.seq)?.hash !== e.hash) {
        diverge = e.seq;
        break;
      }
    }
    const top = Math.max(fileHead, diverge === Infinity ? redisHead : 0);
    const merged: AuditEntry[] = [];
    for (let seq = 1; seq <= top; seq++) {
      const e = fromFile.get(seq) ?? (seq < diverge ? inRedis.get(seq) : undefined);
      if (e === undefined) {
        throw new SwitchoverError(
          ErrorCode.Conflict,
          `cannot restore: entry ${seq} is neither in the audit file nor intact in Redis; the chain cannot be rebuilt from this file`,
          { details: { seq, fileHead, redisHead } },
        );
      }
      merged.push(e);
    }
    const problem = chainProblem(merged);
    if (problem !== undefined) {
      throw new SwitchoverError(ErrorCode.Conflict, `cannot restore: ${problem}`, {
        details: { fileHead, redisHead },
      });
    }
    // Redis entries past the divergence (or anything the head does not account for) are set aside.
    const displace = [...inRedis.keys()].some((s) => s >= diverge) || xlen > inRedis.size || xlen > redisHead;
    let displacedKey: string | undefined;
    let keep = 0;
    if (displace) {
      displacedKey = `${this.streamKey}:displaced:${new Date().toISOString()}`;
      await this.store(() => this.redis.rename(this.streamKey, displacedKey!));
      await this.deleteRunIndexes();
    } else {
      keep = Math.min(redisHead, merged.length);
    }
    for (let i = keep; i < merged.length; i += this.pageSize) {
      const pipeline = this.redis.pipeline();
      for (const e of merged.slice(i, i + this.pageSize)) {
        pipeline.xadd(this.streamKey, `${e.seq}-0`, "e", serializeEntry(e));
        if (e.runId !== undefined) pipeline.zadd(this.runIndexKey(e.runId), e.seq, String(e.seq));
      }
      const results = (await this.store(() => pipeline.exec())) ?? [];
      const failed = results.find(([err]) => err);
      if (failed)
        throw new SwitchoverError(ErrorCode.UpstreamUnavailable, `restore failed: ${String(failed[0])}`);
    }
    const last = merged.at(-1);
    const tx = this.redis.multi();
    if (last) tx.hset(this.headKey, "seq", String(last.seq), "hash", last.hash, "at", last.at);
    else tx.del(this.headKey);
    tx.del(this.turnKey);
    tx.set(this.epochKey, epoch);
    await this.store(() => tx.exec());
    this.head = undefined;
    // The restored head is the truth now; a higher floor from the lost chain would refuse every append.
    this.floor = last?.seq ?? 0;
    this.epoch = epoch;
    return {
      imported: merged.length - keep,
      head: last?.seq ?? 0,
      displaced: displace ? xlen : 0,
      ...(displacedKey ? { displacedKey } : {}),
    };
  }

  /** Entries oldest first, filtered; use `nextAfterSeq` to page. */
  async query(query: AuditQuery = {}): Promise<AuditPage> {
    const parsed = querySchema.safeParse(query);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
      throw new SwitchoverError(
        ErrorCode.Validation,
        `invalid audit query: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
        { details: { issues } },
      );
    }
    const q = parsed.data;
    const limit = q.limit ?? 100;
    let cursor = q.afterSeq ?? 0;
    if (q.since !== undefined) cursor = Math.max(cursor, (await this.firstSeqAtOrAfter(q.since)) - 1);

    const entries: AuditEntry[] = [];
    let scanned = 0;
    while (scanned < this.queryScanLimit) {
      const page =
        q.runId === undefined
          ? await this.readAfter(cursor, this.pageSize)
          : await this.readRunAfter(q.runId, cursor);
      if (page.length === 0) return { entries, nextAfterSeq: null };
      for (const item of page) {
        scanned += 1;
        if (Number.isFinite(item.idSeq)) cursor = item.idSeq;
        const e = item.entry;
        if (e === undefined) continue;
        const atMs = Date.parse(e.at);
        // `at` never decreases along the chain, so the first entry past `until` ends the scan.
        if (q.until !== undefined && atMs > q.until) return { entries, nextAfterSeq: null };
        if (q.runId !== undefined && e.runId !== q.runId) continue;
        if (q.actor !== undefined && e.actor !== q.actor) continue;
        if (q.action !== undefined && e.action !== q.action) continue;
        if (q.since !== undefined && atMs < q.since) continue;
        entries.push(e);
        if (entries.length === limit) return { entries, nextAfterSeq: cursor };
      }
    }
    return { entries, nextAfterSeq: cursor };
  }

  /**
   * Walks the whole chain in pages and names the first broken entry: unreadable or misplaced
   * entries, gaps (deleted entries), content that does not match its hash, a broken prevHash link,
   * time going backwards, and a tail that disagrees with the recorded head (truncation, rewrite).
   */
  async verify(): Promise<AuditVerifyResult> {
    let expected = 1;
    let prevHash = GENESIS_HASH;
    let prevAtMs = -Infinity;
    let lastId: string | undefined;
    const after = (id: string | undefined) => (id === undefined ? "-" : `(${id}`);
    let next = this.readIds(after(undefined), this.pageSize);
    for (;;) {
      let page = await next;
      if (page.length === 0) {
        // Stream and head change together in one script: once the head says H, entries ≤ H exist.
        const head = await this.readHead();
        page = await this.readIds(after(lastId), this.pageSize);
        if (page.length === 0) return this.compareHead(head, expected - 1, prevHash);
      }
      // Fetch the next page while this one is hashed; an early return leaves it to settle unobserved.
      next = this.readIds(after(page.at(-1)!.id), this.pageSize);
      next.catch(() => undefined);
      for (const item of page) {
        lastId = item.id;
        const e = item.entry;
        // A misplaced or unreadable item is reported at the chain position it occupies.
        if (e === undefined)
          return broken(expected, `entry stored as ${item.id} is not a readable audit entry`);
        if (e.seq !== item.idSeq) {
          return broken(
            expected,
            `entry stored as ${item.id} claims seq ${e.seq}: entries were reordered or forged`,
          );
        }
        if (e.seq !== expected) {
          return broken(expected, `entry ${expected} is missing (next stored entry is ${e.seq}): deleted`);
        }
        if (entryHash(e) !== e.hash) return broken(e.seq, `entry ${e.seq} does not match its hash: altered`);
        if (e.prevHash !== prevHash) {
          return e.seq === 1
            ? broken(1, "entry 1 does not start from the genesis hash")
            : broken(
                e.seq - 1,
                `entry ${e.seq - 1} does not have the hash entry ${e.seq} recorded as prevHash: rewritten (or entry ${e.seq} forged)`,
              );
        }
        const atMs = Date.parse(e.at);
        if (atMs < prevAtMs) return broken(e.seq, `entry ${e.seq} is timed before entry ${e.seq - 1}`);
        prevHash = e.hash;
        prevAtMs = atMs;
        expected += 1;
      }
    }
  }

  /** Waits for in-flight appends and closes the JSONL file. The Redis client belongs to the caller. */
  async close(): Promise<void> {
    while (this.committing) await this.committing;
    await this.fileTail;
    await this.file?.close();
  }

  private compareHead(head: Head, last: number, lastHash: string): AuditVerifyResult {
    if (head.seq > last) {
      return broken(last + 1, `entries ${last + 1}..${head.seq} are missing: the log was truncated`);
    }
    if (head.seq < last) {
      return broken(
        head.seq + 1,
        `entry ${head.seq + 1} is beyond the recorded head (seq ${head.seq}): appended outside the log, or the head was rolled back`,
      );
    }
    if (head.hash !== lastHash) {
      return broken(last, `entry ${last} does not have the hash the head recorded: rewritten`);
    }
    return { ok: true, entries: last, headHash: lastHash };
  }

  /** Commits batches until nobody is waiting. Never throws: failures reject their batch's callers. */
  private async commitLoop(): Promise<void> {
    // Appends made in the same tick as the one that started the loop join its first batch.
    await Promise.resolve();
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatchEntries);
      let stored: Built["items"];
      try {
        stored = await this.commit(batch);
      } catch (err) {
        for (const p of batch) p.reject(err);
        continue;
      }
      // The next batch goes to Redis while this one is written and fsync'd; callers hear back after.
      const write = this.fileTail.then(() => this.writeFile(stored));
      this.fileTail = write.then(
        () => stored.forEach((s) => s.pending.resolve(s.entry)),
        (err: unknown) => stored.forEach((s) => s.pending.reject(err)),
      );
    }
  }

  /**
   * Stores one batch with compare-and-append, rebuilding it on the head another writer moved.
   * Resolves with the stored entries; entries too large to store are rejected on their own.
   */
  private async commit(batch: Pending[]): Promise<Built["items"]> {
    let head = this.head;
    if (head === undefined) {
      head = await this.store(() => this.readHead());
      this.clockOffsetMs = head.nowMs - Date.now();
    }
    for (let attempt = 1; attempt <= this.maxAppendAttempts; attempt++) {
      const built = this.build(batch, head, attempt > 1);
      if (built.items.length === 0) return [];
      const reply = await this.store(
        () =>
          this.call(APPEND_CMD, built.keys.length, ...built.keys, ...built.args) as Promise<
            Array<string | number>
          >,
      ).catch((err: unknown) => {
        // Ambiguous (the script may have run): read the head again before the next batch.
        this.head = undefined;
        throw err;
      });
      if (reply[0] === -2 || reply[0] === -3) throw this.refused(reply);
      if (reply[0] === 1) {
        const last = built.items.at(-1)!.entry;
        this.floor = Math.max(this.floor, last.seq);
        const nowMs = redisMs(reply[1], reply[2]);
        this.head = { seq: last.seq, hash: last.hash, atMs: Date.parse(last.at), nowMs };
        this.clockOffsetMs = nowMs - Date.now();
        return built.items;
      }
      if (reply[0] === -1) {
        this.head = undefined;
        throw new SwitchoverError(
          ErrorCode.Internal,
          `audit chain in Redis is inconsistent (${String(reply[1])}); not appending — run verify`,
          { retryable: false, details: { key: this.streamKey, seq: built.items[0]!.entry.seq } },
        );
      }
      head = toHead(reply.slice(1));
      // Heads only move forward in a healthy store: remember how far this one has been seen.
      this.floor = Math.max(this.floor, head.seq);
      this.clockOffsetMs = head.nowMs - Date.now();
      // Someone else appended; rebuild on the new head at once, backing off only under heavy contention.
      if (attempt >= 3) await sleep(Math.random() * Math.min(50, 2 ** attempt));
    }
    this.head = undefined;
    throw new SwitchoverError(
      ErrorCode.Conflict,
      `audit append lost ${this.maxAppendAttempts} races to other writers; not recorded`,
      { retryable: true, details: { entries: batch.length } },
    );
  }

  /** The error for an append refused because Redis lost entries; tells the listener first. */
  private refused(reply: Array<string | number>): SwitchoverError {
    this.head = undefined;
    const refusal: AppendRefusal =
      reply[0] === -3
        ? {
            condition: "keyspace-lost",
            detail: `the epoch marker ${this.epochKey} is ${reply[1] ? `${String(reply[1])}, not ${this.epoch}` : "missing"}: Redis lost its keyspace`,
            floor: this.floor,
          }
        : {
            condition: Number(reply[1]) === 0 ? "genesis-restart" : "head-behind",
            detail: `Redis's audit head is ${String(reply[1])} but entries up to ${this.floor} were acknowledged: Redis lost entries`,
            redisHead: Number(reply[1]),
            floor: this.floor,
          };
    this.lostListener?.(refusal);
    return new SwitchoverError(
      ErrorCode.StateLost,
      `state-lost (${refusal.condition}): ${refusal.detail}; not appending`,
      {
        details: { condition: refusal.condition },
      },
    );
  }

  private async deleteRunIndexes(): Promise<void> {
    let cursor = "0";
    do {
      const [next, keys] = await this.store(() =>
        this.redis.scan(cursor, "MATCH", `${this.options.prefix}:audit:run:*`, "COUNT", 1_000),
      );
      cursor = next;
      if (keys.length > 0) await this.store(() => this.redis.del(...keys));
    } while (cursor !== "0");
  }

  /**
   * Chains the batch on `head`. An entry over MAX_ENTRY_BYTES is rejected and left out (its caller
   * alone fails); entries past maxBatchBytes go back to the front of the queue for the next batch.
   */
  private build(batch: Pending[], head: Head, claimTurn: boolean): Built {
    const items: Built["items"] = [];
    const args = [
      String(head.seq),
      head.hash,
      GENESIS_HASH,
      this.writerId,
      claimTurn ? "1" : "0",
      "",
      String(this.floor),
      this.epoch ?? "",
    ];
    const keys = [this.streamKey, this.headKey, this.turnKey, this.epochKey];
    const runKeys = new Map<string, number>();
    // One clock for every writer (Redis, as of the last reply), never behind the head: `at` is monotonic.
    const at = new Date(Math.max(Date.now() + this.clockOffsetMs, head.atMs)).toISOString();
    let prevHash = head.hash;
    let bytes = 0;
    for (let i = 0; i < batch.length; i++) {
      const pending = batch[i]!;
      const unhashed: UnhashedAuditEntry = {
        ...pending.prepared,
        seq: head.seq + items.length + 1,
        at,
        prevHash,
      };
      const entry: AuditEntry = { ...unhashed, hash: entryHash(unhashed) };
      const doc = serializeEntry(entry);
      const size = Buffer.byteLength(doc);
      if (size > MAX_ENTRY_BYTES) {
        pending.reject(
          new SwitchoverError(ErrorCode.Validation, `audit entry is larger than ${MAX_ENTRY_BYTES} bytes`, {
            details: { action: entry.action, bytes: size },
          }),
        );
        batch.splice(i--, 1);
        continue;
      }
      if (items.length > 0 && bytes + size > this.maxBatchBytes) {
        this.queue.unshift(...batch.splice(i));
        break;
      }
      bytes += size;
      let keyNumber = 0;
      if (entry.runId !== undefined) {
        const key = this.runIndexKey(entry.runId);
        keyNumber = runKeys.get(key) ?? keys.push(key);
        runKeys.set(key, keyNumber);
      }
      args.push(String(entry.seq), entry.hash, entry.at, doc, String(keyNumber));
      items.push({ pending, entry, doc });
      prevHash = entry.hash;
    }
    args[5] = String(items.length);
    return { items, args, keys };
  }

  private async writeFile(items: Built["items"]): Promise<void> {
    if (this.file === undefined || items.length === 0) return;
    try {
      await this.file.appendLines(items.map((i) => i.doc));
    } catch (err) {
      // Not retryable: the entries are already in the chain, and appending again would record them twice.
      const first = items[0]!.entry.seq;
      const last = items.at(-1)!.entry.seq;
      throw new SwitchoverError(
        ErrorCode.Internal,
        `audit entries ${first}..${last} are in Redis but could not be written to ${this.file.path}: ${(err as Error).message}`,
        { retryable: false, details: { seq: first, lastSeq: last, path: this.file.path }, cause: err },
      );
    }
  }

  private async readHead(): Promise<Head> {
    return toHead((await this.call(HEAD_CMD, this.headKey, GENESIS_HASH)) as Array<string | number>);
  }

  /** Smallest seq whose entry is at or after `sinceMs` (head + 1 if none), by binary search on `at`. */
  private async firstSeqAtOrAfter(sinceMs: number): Promise<number> {
    const head = await this.store(() => this.readHead());
    let lo = 1;
    let hi = head.seq + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const [item] = await this.readIds(`${mid}-0`, 1);
      if (item === undefined || (item.entry !== undefined && Date.parse(item.entry.at) >= sinceMs)) {
        hi = mid;
      } else {
        lo = Math.min(hi, Math.max(mid, Number.isFinite(item.idSeq) ? item.idSeq : mid) + 1);
      }
    }
    return lo;
  }

  private readAfter(afterSeq: number, count: number): Promise<StoredItem[]> {
    return this.readIds(`(${afterSeq}-0`, count);
  }

  private async readRunAfter(runId: string, afterSeq: number): Promise<StoredItem[]> {
    const seqs = await this.store(() =>
      this.redis.zrangebyscore(this.runIndexKey(runId), `(${afterSeq}`, "+inf", "LIMIT", 0, this.pageSize),
    );
    if (seqs.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const s of seqs) pipeline.xrange(this.streamKey, `${s}-0`, `${s}-0`);
    const results = (await this.store(() => pipeline.exec())) ?? [];
    return seqs.map((s, i) => {
      const rows = results[i]?.[1] as Array<[string, string[]]> | undefined;
      const row = rows?.[0];
      // An index entry whose stream entry is gone still advances the cursor.
      return row === undefined ? { id: `${s}-0`, idSeq: Number(s), entry: undefined } : toItem(row);
    });
  }

  private async readIds(start: string, count: number): Promise<StoredItem[]> {
    const rows = await this.store(() => this.redis.xrange(this.streamKey, start, "+", "COUNT", count));
    return rows.map(toItem);
  }

  private runIndexKey(runId: string): string {
    return `${this.options.prefix}:audit:run:${runId}`;
  }

  private call(command: string, ...args: Array<string | number>): Promise<unknown> {
    const fn = (this.redis as unknown as Record<string, (...a: Array<string | number>) => Promise<unknown>>)[
      command
    ]!;
    return fn.apply(this.redis, args);
  }

  /** Redis failures become one retryable error; SwitchoverErrors pass through. */
  private async store<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (err instanceof SwitchoverError) throw err;
      throw new SwitchoverError(
        ErrorCode.UpstreamUnavailable,
        `audit store (Redis) failed: ${(err as Error).message}`,
        { details: { key: this.streamKey }, cause: err },
      );
    }
  }
}

function prepare(input: AuditAppendInput): Prepared {
  const name = (field: string, value: unknown, required: boolean): string | undefined => {
    if (value === undefined && !required) return undefined;
    if (typeof value !== "string" || value.length === 0 || value.length > MAX_NAME_LENGTH) {
      throw new SwitchoverError(
        ErrorCode.Validation,
        `audit ${field} must be a string of 1 to ${MAX_NAME_LENGTH} characters`,
        { details: { path: field } },
      );
    }
    return redactString(value);
  };
  const prepared: Prepared = {
    actor: name("actor", input.actor, true)!,
    action: name("action", input.action, true)!,
    data: redactObject(input.data ?? {}) satisfies JsonObject,
  };
  const runId = name("runId", input.runId, false);
  const stepId = name("stepId", input.stepId, false);
  if (runId !== undefined) prepared.runId = runId;
  if (stepId !== undefined) prepared.stepId = stepId;
  return prepared;
}

function toHead(reply: Array<string | number>): Head {
  const [seq, hash, at, sec, usec] = reply.map(String);
  return {
    seq: Number(seq),
    hash: hash ?? GENESIS_HASH,
    atMs: at ? Date.parse(at) : -Infinity,
    nowMs: redisMs(sec, usec),
  };
}

/** A Redis TIME reply (seconds, microseconds) in ms. */
function redisMs(sec: unknown, usec: unknown): number {
  return Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
}

function toItem([id, fields]: [string, string[]]): StoredItem {
  const match = /^(\d+)-0$/.exec(id);
  const idSeq = match ? Number(match[1]) : NaN;
  const at = fields.indexOf("e");
  const doc = at >= 0 && at % 2 === 0 ? fields[at + 1] : undefined;
  return { id, idSeq, entry: doc === undefined ? undefined : parseEntry(doc) };
}

/** The first reason `entries` (seq order) are not one complete chain from genesis, or undefined. */
export function chainProblem(entries: readonly AuditEntry[]): string | undefined {
  let prevHash = GENESIS_HASH;
  for (const [i, e] of entries.entries()) {
    if (e.seq !== i + 1) return `entry ${i + 1} is missing (next is ${e.seq})`;
    if (entryHash(e) !== e.hash) return `entry ${e.seq} does not match its hash`;
    if (e.prevHash !== prevHash) return `entry ${e.seq} does not link to entry ${e.seq - 1}`;
    prevHash = e.hash;
  }
  return undefined;
}

function broken(brokenAt: number, reason: string): AuditVerifyResult {
  return { ok: false, brokenAt, reason };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
