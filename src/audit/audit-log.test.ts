// AuditLog against the real sandbox Redis: concurrent writers keep one gapless chain, tampering in
// Redis is named by seq, secrets never reach Redis or the JSONL file, the file mirrors the stream.
import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
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
    const writers = [0, 1, 2, 3].map(() => newLog(prefix));
    const results = await Promise.all(
      writers.flatMap((log, w) =>
        Array.from({ length: 50 }, (_, i) =>
          log.append({ actor: `writer-${w}`, action: "test.append", data: { i } }),
        ),
      ),
    );
    const seqs = results.map((e) => e.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));

    const stored = (await rawStream(clients[0]!, prefix)).map(([, doc]) => JSON.parse(doc) as AuditEntry);
    expect(stored.map((e) => e.seq)).toEqual(seqs);
    // The writers really raced: their entries interleave rather than arriving in four blocks.
    expect(new Set(stored.slice(0, 40).map((e) => e.actor)).size).toBeGreaterThan(1);
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
    await expect(log.append({ actor: "a", action: "x" })).rejects.toMatchObject({
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
