// Secrets never leave their place: scans every file a suite environment's processes wrote (service
// logs, fsync'd JSONL audit copies, fault traces, API responses and reports) and every value under
// its Redis prefix (the audit stream, run records, events, idempotency records, BullMQ jobs) for
// each secret the environment holds — API tokens, the fleet webhook header, the TSIG key — raw and
// base64-encoded.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Redis } from "ioredis";

export interface Leak {
  where: string;
  secret: string;
}

function needles(secrets: readonly string[]): { label: string; text: string }[] {
  const out: { label: string; text: string }[] = [];
  for (const s of secrets.filter((x) => x.length >= 8)) {
    const label = `${s.slice(0, 4)}…(${s.length} chars)`;
    out.push({ label, text: s });
    out.push({ label: `${label} base64`, text: Buffer.from(s).toString("base64") });
  }
  return out;
}

export async function scanForSecrets(
  dir: string,
  redis: Redis,
  prefix: string,
  secrets: readonly string[],
): Promise<{ leaks: Leak[]; files: number; bytes: number; keys: number }> {
  const find = needles(secrets);
  const leaks: Leak[] = [];
  let files = 0;
  let bytes = 0;
  const check = (where: string, text: string): void => {
    bytes += text.length;
    for (const n of find) if (text.includes(n.text)) leaks.push({ where, secret: n.label });
  };
  for (const name of readdirSync(dir)) {
    // The environment file holds only hashes and references; it is the one file meant to be read.
    if (name === "switchover.yaml") continue;
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    files += 1;
    check(name, readFileSync(path, "utf8"));
  }
  let keys = 0;
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1_000);
    cursor = next;
    for (const key of batch) {
      keys += 1;
      const type = await redis.type(key);
      let text = "";
      if (type === "string") text = (await redis.get(key)) ?? "";
      else if (type === "hash") text = JSON.stringify(await redis.hgetall(key));
      else if (type === "list") text = JSON.stringify(await redis.lrange(key, 0, -1));
      else if (type === "set") text = JSON.stringify(await redis.smembers(key));
      else if (type === "zset") text = JSON.stringify(await redis.zrange(key, "0", "-1"));
      else if (type === "stream") text = JSON.stringify(await redis.xrange(key, "-", "+"));
      check(`redis ${key}`, text);
    }
  } while (cursor !== "0");
  return { leaks, files, bytes, keys };
}
