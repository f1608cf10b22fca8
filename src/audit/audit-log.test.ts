// AuditLog against the real sandbox Redis: concurrent writers keep one gapless chain, tampering in
// Redis is named by seq, secrets never reach Redis or the JSONL file, the file mirrors the stream.
import { createHash, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { Secret } from "../config/secret.js";
import { SwitchoverError } from "../engine/errors.js";
import { GENESIS_HASH } from "./audit-entry.js";
import type { AuditEntry } from "./audit-entry.js";
import { AuditLog } from "./audit-log.js";
import type { AuditLogOptions, AuditVerifyResult } from "./audit-log.js";

const REDIS_URL = process.env.SWITCHOVER_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

const clients: Redis[] = [];
const prefixes: string[] = [];
const logs: AuditLog[] = [];
const dirs: string[] = [];

function connect(): Redis {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  clients.push(client);
  return client;
}

function uniquePrefix(): string {
  const prefix = `switchover-test:audit:${randomUUID()}`;
  prefixes.push(prefix);
  return prefix;
}

function newLog(prefix: string, opts: Partial<AuditLogOptions> = {}, client = connect()): AuditLog {
  const log = new AuditLog(client, { prefix, ...opts });
  logs.push(log);
  return log;
}

async function tempFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "switchover-audit-"));
  dirs.push(dir);
  return join(dir, "nested", "audit.jsonl");
}

/** Raw stream contents: [id, entry document] in id order. */
async function rawStream(redis: Redis, prefix: string): Promise<Array<[string, string]>> {
  const rows = await redis.xrange(`${prefix}:audit`, "-", "+");
  return rows.map(([id, fields]) => [id, fields[fields.indexOf("e") + 1]!]);
}

/** Tampering: rewrites the stream with `edit` applied to the documents (ids kept unless edit changes them). */
async function rewriteStream(
  redis: Redis,
  prefix: string,
  edit: (rows: Array<[string, string]>) => Array<[string, string]>,
): Promise<void> {
  const rows = edit(await rawStream(redis, prefix));
  await redis.del(`${prefix}:audit`);
  for (const [id, doc] of rows) await redis.xadd(`${prefix}:audit`, id, "e", doc);
}

// An independent implementation of the documented hash: sha256 of sorted-key JSON without `hash`.
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
function independentHash(entry: Record<string, unknown>): string {
  const { hash: _hash, ...rest } = entry;
  return createHash("sha256")
    .update(JSON.stringify(sorted(rest)))
    .digest("hex");
}

function expectBroken(result: AuditVerifyResult, brokenAt: number, reason: RegExp): void {
  expect(result).toMatchObject({ ok: false, brokenAt });
  if (!result.ok) expect(result.reason).toMatch(reason);
}

async function appendMany(log: AuditLog, n: number, runId = "run-1"): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      await log.append({ actor: "alice", action: "step.applied", runId, stepId: `s${i}`, data: { i } }),
    );
  }
  return out;
}

afterEach(async () => {
  await Promise.all(logs.splice(0).map((l) => l.close()));
  const admin = clients[0];
  if (admin) {
    for (const prefix of prefixes.splice(0)) {
      let cursor = "0";
      do {
        const [next, keys] = await admin.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
        cursor = next;
        if (keys.length > 0) await admin.del(...keys);
      } while (cursor !== "0");
    }
  }
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

afterAll(() => {
  for (const c of clients) c.disconnect();
});

describe("AuditLog chain", () => {
  it("an empty log verifies, with the genesis hash as head", async () => {
    const log = newLog(uniquePrefix());
    expect(await log.verify()).toEqual({ ok: true, entries: 0, headHash: GENESIS_HASH });
  });

  it("chains entries: seq from 1, genesis prevHash, hash = sha256 of canonical JSON without hash", async () => {
    const log = newLog(uniquePrefix());
    const [first, second] = await appendMany(log, 2);
    expect(first).toMatchObject({
      seq: 1,
      prevHash: GENESIS_HASH,
      actor: "alice",
      runId: "run-1",
      stepId: "s0",
    });
    expect(first!.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(first!.hash).toBe(independentHash(first as unknown as Record<string, unknown>));
    expect(second).toMatchObject({ seq: 2, prevHash: first!.hash });
    expect(second!.hash).toBe(independentHash(second as unknown as Record<string, unknown>));
    expect(await log.verify()).toEqual({ ok: true, entries: 2, headHash: second!.hash });
  });

  it("200 appends from 4 instances on separate connections form one gapless chain", async () => {
    const prefix = uniquePrefix();
    const writers = [0, 1, 2, 3].map(() => newLog(prefix, {}, connect()));
    // Connected first, so no writer finishes before the others have started.
    await Promise.all(clients.slice(-4).map((c) => c.ping()));
    // Each writer appends in waves of 5, so batches from different writers race and interleave.
    const results = (
      await Promise.all(
        writers.map(async (log, w) => {
          const out: AuditEntry[] = [];
          for (let wave = 0; wave < 10; wave++) {
            out.push(
              ...(await Promise.all(
                Array.from({ length: 5 }, (_, i) =>
                  log.append({ actor: `writer-${w}`, action: "test.append", data: { i: wave * 5 + i } }),
                ),
              )),
            );
          }
          return out;
        }),
      )
    ).flat();
    const seqs = results.map((e) => e.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));

    const stored = (await rawStream(clients[0]!, prefix)).map(([, doc]) => JSON.parse(doc) as AuditEntry);
    expect(stored.map((e) => e.seq)).toEqual(seqs);
    // The writers really raced: their batches interleave rather than arriving in four blocks.
    const switches = stored.filter((e, i) => i > 0 && e.actor !== stored[i - 1]!.actor).length;
    expect(switches).toBeGreaterThan(3);
    stored.forEach((e, i) => {
      expect(e.prevHash).toBe(i === 0 ? GENESIS_HASH : stored[i - 1]!.hash);
      if (i > 0) expect(Date.parse(e.at)).toBeGreaterThanOrEqual(Date.parse(stored[i - 1]!.at));
    });
    const verdict = await newLog(prefix).verify();
    expect(verdict).toEqual({ ok: true, entries: 200, headHash: stored[199]!.hash });
  });

  it("rejects bad input precisely", async () => {
    const log = newLog(uniquePrefix());
    await expect(log.append({ actor: "", action: "x" })).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(log.append({ actor: "a", action: "x".repeat(300) })).rejects.toBeInstanceOf(SwitchoverError);
    await expect(
      log.append({ actor: "a", action: "big", data: { blob: "x".repeat(1_100_000) } }),
    ).rejects.toMatchObject({ code: "VALIDATION" });
    expect(await log.verify()).toEqual({ ok: true, entries: 0, headHash: GENESIS_HASH });
  });
});

/** Counts the append script calls (one per group commit; the first key is the stream) a client sends. */
function countScripts(client: Redis, prefix: string): { calls: () => number } {
  let n = 0;
  const send = client.sendCommand.bind(client);
  vi.spyOn(client, "sendCommand").mockImplementation((command, stream) => {
    if (/^eval/i.test(command.name) && String(command.args[2]) === `${prefix}:audit`) n += 1;
    return send(command, stream);
  });
  return { calls: () => n };
}

async function jsonlEntries(path: string): Promise<AuditEntry[]> {
  const lines = (await readFile(path, "utf8")).split("\n");
  expect(lines.pop()).toBe("");
  return lines.map((l) => JSON.parse(l) as AuditEntry);
}

describe("AuditLog group commit", () => {
  it("50 concurrent appends are stored as one batch, in call order, each durable when it resolves", async () => {
    const prefix = uniquePrefix();
    const path = await tempFile();
    const redis = connect();
    const scripts = countScripts(redis, prefix);
    const log = newLog(prefix, { jsonlPath: path }, redis);
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const entry = await log.append({ actor: "alice", action: "a", runId: `run-${i % 3}`, data: { i } });
        // Resolved means durable: the entry is in Redis and its line is in the file already.
        const lines = await jsonlEntries(path);
        expect(lines.some((l) => l.seq === entry.seq && l.hash === entry.hash)).toBe(true);
        return entry;
      }),
    );
    expect(results.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(results.map((e) => (e.data as { i: number }).i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    // One append script call for the whole batch.
    expect(scripts.calls()).toBe(1);
    await log.close();
    const lines = await jsonlEntries(path);
    expect(lines).toEqual(results);
    expect(await log.verify()).toEqual({ ok: true, entries: 50, headHash: results[49]!.hash });
    // The run index names every entry of its run.
    expect((await log.query({ runId: "run-1", limit: 1000 })).entries.map((e) => e.seq)).toEqual(
      results.filter((e) => e.runId === "run-1").map((e) => e.seq),
    );
  });

  it("appends made while a batch is in flight go as the next batch, built on the cached head", async () => {
    const prefix = uniquePrefix();
    const redis = connect();
    const scripts = countScripts(redis, prefix);
    const log = newLog(prefix, {}, redis);
    const first = Promise.all(
      Array.from({ length: 10 }, (_, i) => log.append({ actor: "a", action: "x", data: { i } })),
    );
    await new Promise((r) => setImmediate(r));
    const second = Promise.all(
      Array.from({ length: 10 }, (_, i) => log.append({ actor: "b", action: "y", data: { i } })),
    );
    const entries = [...(await first), ...(await second)];
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(scripts.calls()).toBe(2);
    expect(await log.verify()).toMatchObject({ ok: true, entries: 20 });
  });

  it("two instances on one Redis interleave batches: one chain, each JSONL holds its own entries once", async () => {
    const prefix = uniquePrefix();
    const paths = [await tempFile(), await tempFile()];
    const logs2 = paths.map((jsonlPath) => newLog(prefix, { jsonlPath }));
    await Promise.all(clients.slice(-2).map((c) => c.ping()));
    const mine = await Promise.all(
      logs2.map(async (log, w) => {
        const out: AuditEntry[] = [];
        for (let wave = 0; wave < 15; wave++) {
          const batch = Array.from({ length: 4 }, (_, i) =>
            log.append({ actor: `w${w}`, action: "a", data: { n: wave * 4 + i } }),
          );
          out.push(...(await Promise.all(batch)));
        }
        return out;
      }),
    );
    await Promise.all(logs2.map((l) => l.close()));
    const stored = (await rawStream(clients[0]!, prefix)).map(([, doc]) => JSON.parse(doc) as AuditEntry);
    expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(stored.filter((e, i) => i > 0 && e.actor !== stored[i - 1]!.actor).length).toBeGreaterThan(1);
    for (const [w, path] of paths.entries()) {
      const lines = await jsonlEntries(path);
      // Every entry this instance acknowledged, exactly once, in seq order, as stored in Redis.
      expect(lines).toEqual(mine[w]);
      expect(lines).toEqual(stored.filter((e) => e.actor === `w${w}`));
    }
    expect(await newLog(prefix).verify()).toMatchObject({ ok: true, entries: 120 });
  });

  it("a batch that cannot be stored rejects every caller in it, and nothing is written", async () => {
    const prefix = uniquePrefix();
    const redis = connect();
    const path = await tempFile();
    const log = newLog(prefix, { jsonlPath: path }, redis);
    await log.append({ actor: "a", action: "first" });
    // Tampering: an entry beyond the head; appending on would fork the chain.
    await redis.xadd(`${prefix}:audit`, "2-0", "e", "{}");
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => log.append({ actor: "a", action: "x", data: { i } })),
    );
    expect(outcomes.every((o) => o.status === "rejected")).toBe(true);
    for (const o of outcomes) {
      expect((o as PromiseRejectedResult).reason).toMatchObject({ code: "INTERNAL", retryable: false });
    }
    await log.close();
    expect((await jsonlEntries(path)).map((e) => e.action)).toEqual(["first"]);
    expect(await redis.xlen(`${prefix}:audit`)).toBe(2);
  });

  it("a JSONL failure rejects every caller of the batch; later batches still commit", async () => {
    const prefix = uniquePrefix();
    const dir = await tempFile();
    // The JSONL path is a directory: opening it for append fails.
    await mkdir(dir, { recursive: true });
    const log = newLog(prefix, { jsonlPath: dir });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => log.append({ actor: "a", action: "x", data: { i } })),
    );
    expect(outcomes.map((o) => o.status)).toEqual(Array(8).fill("rejected"));
    expect((outcomes[0] as PromiseRejectedResult).reason).toMatchObject({
      code: "INTERNAL",
      retryable: false,
      message: /entries 1\.\.8 are in Redis but could not be written/,
    });
    // The chain itself is intact: the entries are in Redis (the file copy is what failed).
    expect(await log.verify()).toMatchObject({ ok: true, entries: 8 });
  });

  it("an oversized entry fails alone; the rest of its batch commits", async () => {
    const log = newLog(uniquePrefix());
    const outcomes = await Promise.allSettled([
      log.append({ actor: "a", action: "ok1" }),
      log.append({ actor: "a", action: "big", data: { blob: "x".repeat(1_100_000) } }),
      log.append({ actor: "a", action: "ok2" }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: "VALIDATION" });
    expect(outcomes.map((o) => (o.status === "fulfilled" ? o.value.seq : 0))).toEqual([1, 0, 2]);
    expect(await log.verify()).toMatchObject({ ok: true, entries: 2 });
  });

  it("a batch over maxBatchBytes is split; seqs still follow call order", async () => {
    const prefix = uniquePrefix();
    const redis = connect();
    const scripts = countScripts(redis, prefix);
    const log = newLog(prefix, { maxBatchBytes: 3_000 }, redis);
    const entries = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        log.append({ actor: "a", action: "x", data: { pad: "p".repeat(1_000), i } }),
      ),
    );
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(scripts.calls()).toBeGreaterThanOrEqual(3);
    expect(await log.verify()).toMatchObject({ ok: true, entries: 6 });
  });
});

describe("AuditLog verify names the first broken entry", () => {
  async function seeded(n = 20, pageSize = 7): Promise<{ log: AuditLog; redis: Redis; prefix: string }> {
    const prefix = uniquePrefix();
    const redis = connect();
    const log = newLog(prefix, { pageSize }, redis);
    await appendMany(log, n);
    expect((await log.verify()).ok).toBe(true);
    return { log, redis, prefix };
  }

  function editDoc(rows: Array<[string, string]>, seq: number, f: (e: Record<string, unknown>) => void) {
    return rows.map(([id, doc]): [string, string] => {
      if (id !== `${seq}-0`) return [id, doc];
      const e = JSON.parse(doc) as Record<string, unknown>;
      f(e);
      return [id, JSON.stringify(e)];
    });
  }

  it("altered data (hash left as it was)", async () => {
    const { log, redis, prefix } = await seeded();
    await rewriteStream(redis, prefix, (rows) => editDoc(rows, 13, (e) => (e.data = { i: 999 })));
    expectBroken(await log.verify(), 13, /altered/);
  });

  it("altered data with a recomputed hash (a careful forger)", async () => {
    const { log, redis, prefix } = await seeded();
    await rewriteStream(redis, prefix, (rows) =>
      editDoc(rows, 9, (e) => {
        e.actor = "mallory";
        e.hash = independentHash(e);
      }),
    );
    expectBroken(await log.verify(), 9, /rewritten/);
  });

  it("altered hash only", async () => {
    const { log, redis, prefix } = await seeded();
    await rewriteStream(redis, prefix, (rows) => editDoc(rows, 4, (e) => (e.hash = "f".repeat(64))));
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: 4 });
  });

  it("a rewritten last entry is caught against the recorded head", async () => {
    const { log, redis, prefix } = await seeded();
    await rewriteStream(redis, prefix, (rows) =>
      editDoc(rows, 20, (e) => {
        e.data = { i: -1 };
        e.hash = independentHash(e);
      }),
    );
    expectBroken(await log.verify(), 20, /head/);
  });

  it("a deleted entry is named as the gap", async () => {
    const { log, redis, prefix } = await seeded();
    expect(await redis.xdel(`${prefix}:audit`, "11-0")).toBe(1);
    expectBroken(await log.verify(), 11, /missing/);
  });

  it("a truncated tail is named", async () => {
    const { log, redis, prefix } = await seeded();
    await redis.xdel(`${prefix}:audit`, "19-0", "20-0");
    expectBroken(await log.verify(), 19, /truncated/);
  });

  it("reordered entries", async () => {
    const { log, redis, prefix } = await seeded();
    await rewriteStream(redis, prefix, (rows) => {
      const docs = rows.map(([, d]) => d);
      [docs[5], docs[6]] = [docs[6]!, docs[5]!];
      return rows.map(([id], i): [string, string] => [id, docs[i]!]);
    });
    expectBroken(await log.verify(), 6, /reordered/);
  });

  it("a well-formed forged entry added after the head", async () => {
    const { log, redis, prefix } = await seeded();
    const last = JSON.parse((await rawStream(redis, prefix)).at(-1)![1]) as Record<string, unknown>;
    const forged: Record<string, unknown> = { ...last, seq: 21, prevHash: last.hash, action: "forged" };
    forged.hash = independentHash(forged);
    await redis.xadd(`${prefix}:audit`, "21-0", "e", JSON.stringify(forged));
    expectBroken(await log.verify(), 21, /beyond/);
  });

  it("an entry beyond the head also stops further appends rather than forking", async () => {
    const { log, redis, prefix } = await seeded(5);
    await redis.xadd(`${prefix}:audit`, "6-0", "e", "{}");
    await expect(log.append({ actor: "a", action: "x" })).rejects.toMatchObject({ code: "INTERNAL" });
    expectBroken(await log.verify(), 6, /not a readable/);
  });

  it("a copy slipped in with an automatic stream id", async () => {
    const { log, redis, prefix } = await seeded();
    const copy = (await rawStream(redis, prefix))[4]![1];
    await redis.xadd(`${prefix}:audit`, "*", "e", copy);
    expectBroken(await log.verify(), 21, /claims seq 5/);
  });

  it("an unreadable entry", async () => {
    const { log, redis, prefix } = await seeded();
    await rewriteStream(redis, prefix, (rows) =>
      rows.map(([id, d]): [string, string] => [id, id === "3-0" ? "{" : d]),
    );
    expectBroken(await log.verify(), 3, /not a readable/);
  });

  it("appending after the head was deleted fails instead of forking the chain", async () => {
    const { log, redis, prefix } = await seeded(3);
    await redis.del(`${prefix}:audit:head`);
    // The writer that stored entries 1..3 knows they were acknowledged: Redis lost them.
    await expect(log.append({ actor: "a", action: "x" })).rejects.toMatchObject({
      code: "STATE_LOST",
      details: { condition: "genesis-restart" },
    });
    // A writer that knows nothing sees a stream without its head: tampering, not a chain to extend.
    await expect(newLog(prefix).append({ actor: "a", action: "x" })).rejects.toMatchObject({
      code: "INTERNAL",
      retryable: false,
      message: /inconsistent/,
    });
    expect(await log.verify()).toMatchObject({ ok: false, brokenAt: 1 });
  });
});

describe("AuditLog storage", () => {
  it("secrets never reach Redis or the JSONL file", async () => {
    const prefix = uniquePrefix();
    const path = await tempFile();
    const redis = connect();
    const log = newLog(prefix, { jsonlPath: path }, redis);
    const planted = `planted-${randomUUID()}`;
    await log.append({
      actor: "alice",
      action: "dns.repoint",
      runId: "r1",
      data: {
        key: new Secret(planted),
        password: planted,
        nested: [{ tsigSecret: planted, sasl: { user: "u", pass: planted } }],
        header: `Authorization: Bearer ${planted}`,
        url: `redis://app:${planted}@redis:6379`,
        apiKey: planted,
        keep: "visible",
      },
    });
    await log.append({ actor: `Bearer ${planted}`, action: "login", data: { token: { value: planted } } });

    const rawRedis = (await redis.xrange(`${prefix}:audit`, "-", "+")).flat(2).join("\n");
    const rawFile = await readFile(path, "utf8");
    for (const raw of [rawRedis, rawFile]) {
      expect(raw).not.toContain(planted);
      expect(raw).toContain("[redacted]");
      expect(raw).toContain("visible");
    }
    expect(await log.verify()).toMatchObject({ ok: true, entries: 2 });
  });

  it("the JSONL file holds exactly the stream's entries, one line each, in order", async () => {
    const prefix = uniquePrefix();
    const path = await tempFile();
    const redis = connect();
    const log = newLog(prefix, { jsonlPath: path }, redis);
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => log.append({ actor: "bob", action: "a", data: { i } })),
    );
    await log.close();
    const lines = (await readFile(path, "utf8")).split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toEqual((await rawStream(redis, prefix)).map(([, doc]) => doc));
    expect(lines.map((l) => (JSON.parse(l) as AuditEntry).seq)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
  });

  it("verify streams in pages: a small page size walks a longer chain", async () => {
    const prefix = uniquePrefix();
    const log = newLog(prefix, { pageSize: 3 });
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => log.append({ actor: "c", action: "a", data: { i } })),
    );
    expect(await log.verify()).toMatchObject({ ok: true, entries: 40 });
  });
});

describe("AuditLog query", () => {
  async function seededForQuery() {
    const prefix = uniquePrefix();
    const log = newLog(prefix, { pageSize: 4 });
    const entries: AuditEntry[] = [];
    for (let i = 0; i < 24; i++) {
      entries.push(
        await log.append({
          actor: i % 3 === 0 ? "alice" : "bob",
          action: i % 2 === 0 ? "step.applied" : "run.transition",
          runId: `run-${i % 4}`,
          data: { i },
        }),
      );
      if (i === 11) await new Promise((r) => setTimeout(r, 25));
    }
    return { log, entries };
  }
  const seqs = (page: { entries: AuditEntry[] }) => page.entries.map((e) => e.seq);

  it("returns entries oldest first with a default limit", async () => {
    const { log } = await seededForQuery();
    const page = await log.query();
    expect(seqs(page)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(page.nextAfterSeq).toBeNull();
  });

  it("filters by run, actor and action, alone and combined", async () => {
    const { log, entries } = await seededForQuery();
    const expectSeqs = (f: (e: AuditEntry) => boolean) => entries.filter(f).map((e) => e.seq);
    expect(seqs(await log.query({ runId: "run-1" }))).toEqual(expectSeqs((e) => e.runId === "run-1"));
    expect(seqs(await log.query({ actor: "alice" }))).toEqual(expectSeqs((e) => e.actor === "alice"));
    expect(seqs(await log.query({ action: "run.transition" }))).toEqual(
      expectSeqs((e) => e.action === "run.transition"),
    );
    expect(seqs(await log.query({ runId: "run-2", actor: "bob", action: "step.applied" }))).toEqual(
      expectSeqs((e) => e.runId === "run-2" && e.actor === "bob" && e.action === "step.applied"),
    );
    expect(seqs(await log.query({ runId: "no-such-run" }))).toEqual([]);
  });

  it("filters by time (inclusive bounds)", async () => {
    const { log, entries } = await seededForQuery();
    const since = entries[12]!.at;
    const until = entries[11]!.at;
    expect(seqs(await log.query({ since }))).toEqual(entries.filter((e) => e.at >= since).map((e) => e.seq));
    expect(seqs(await log.query({ until: new Date(until) }))).toEqual(
      entries.filter((e) => e.at <= until).map((e) => e.seq),
    );
    expect(seqs(await log.query({ since, until: entries[20]!.at, runId: "run-3" }))).toEqual(
      entries
        .filter((e) => e.at >= since && e.at <= entries[20]!.at && e.runId === "run-3")
        .map((e) => e.seq),
    );
    expect(seqs(await log.query({ since: new Date(Date.parse(entries[23]!.at) + 1) }))).toEqual([]);
  });

  it("pages with afterSeq and limit", async () => {
    const { log } = await seededForQuery();
    const first = await log.query({ limit: 10 });
    expect(seqs(first)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(first.nextAfterSeq).toBe(10);
    const second = await log.query({ limit: 10, afterSeq: first.nextAfterSeq! });
    expect(seqs(second)[0]).toBe(11);
    const byRun = await log.query({ runId: "run-0", limit: 2, afterSeq: 1 });
    expect(seqs(byRun)).toEqual([5, 9]);
    expect(byRun.nextAfterSeq).toBe(9);
  });

  it("rejects bad queries with a validation error naming the field", async () => {
    const log = newLog(uniquePrefix());
    await expect(log.query({ limit: 1001 })).rejects.toMatchObject({ code: "VALIDATION", message: /limit/ });
    await expect(log.query({ limit: 0 })).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(log.query({ since: "yesterday" })).rejects.toMatchObject({
      code: "VALIDATION",
      message: /since/,
    });
    await expect(log.query({ afterSeq: -1 })).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(log.query({ extra: 1 } as never)).rejects.toMatchObject({ code: "VALIDATION" });
  });
});

describe("AuditLog refuses to write on a Redis that lost entries", () => {
  /** Simulates an appendfsync-everysec rollback: the last `n` entries and the head go back. */
  async function rollBack(redis: Redis, prefix: string, to: number): Promise<void> {
    const rows = await redis.xrange(`${prefix}:audit`, `(${to}-0`, "+");
    if (rows.length > 0) await redis.xdel(`${prefix}:audit`, ...rows.map(([id]) => id));
    if (to === 0) await redis.del(`${prefix}:audit:head`);
    else {
      const [, fields] = (await redis.xrange(`${prefix}:audit`, `${to}-0`, `${to}-0`))[0]!;
      const e = JSON.parse(fields[1]!) as AuditEntry;
      await redis.hset(`${prefix}:audit:head`, "seq", String(e.seq), "hash", e.hash, "at", e.at);
    }
  }

  it("when the head rolls back below what a writer stored, then its next append is refused, not written at a seq already acknowledged", async () => {
    const prefix = uniquePrefix();
    const redis = connect();
    const log = newLog(prefix, {}, redis);
    for (let i = 0; i < 5; i++) await log.append({ actor: "a", action: `x${i}` });
    await rollBack(redis, prefix, 3);
    await expect(log.append({ actor: "a", action: "after-loss" })).rejects.toMatchObject({
      code: "STATE_LOST",
      details: { condition: "head-behind" },
    });
    expect((await log.currentHead()).seq).toBe(3);
    expect(await redis.xlen(`${prefix}:audit`)).toBe(3);
  });

  it("when a fresh writer is protected with its file's head, then a chain restarted at genesis is not appended to", async () => {
    const prefix = uniquePrefix();
    const redis = connect();
    const first = newLog(prefix, {}, redis);
    for (let i = 0; i < 4; i++) await first.append({ actor: "a", action: `x${i}` });
    await rollBack(redis, prefix, 0);
    const fresh = newLog(prefix, {}, connect());
    const refusals: string[] = [];
    fresh.onStateLost((r) => refusals.push(r.condition));
    fresh.protect({ floorSeq: 4 });
    await expect(fresh.append({ actor: "a", action: "y" })).rejects.toMatchObject({ code: "STATE_LOST" });
    expect(refusals).toEqual(["genesis-restart"]);
    expect(await redis.xlen(`${prefix}:audit`)).toBe(0);
  });

  it("when the epoch marker is gone, then appends are refused as keyspace-lost", async () => {
    const prefix = uniquePrefix();
    const redis = connect();
    const log = newLog(prefix, {}, redis);
    const epoch = await log.establishEpoch("epoch-1");
    log.protect({ epoch, floorSeq: 0 });
    await log.append({ actor: "a", action: "x" });
    await redis.del(`${prefix}:epoch`);
    await expect(log.append({ actor: "a", action: "y" })).rejects.toMatchObject({
      code: "STATE_LOST",
      details: { condition: "keyspace-lost" },
    });
  });
});
