// Compares what the fsync'd audit file says was acknowledged with the chain Redis holds now. Pure:
// the caller reads both sides. The file may hold only some of the chain (one of several writers),
// so Redis may be ahead of it; it may never lack, or disagree with, an entry the file holds.

/** How Redis lost state the file proves it had. Stable names: they appear in problems and logs. */
export type StateLostCondition = "keyspace-lost" | "genesis-restart" | "head-behind" | "fork";

export interface ChainComparisonInput {
  file: {
    /** seq → hash of every entry in the file. */
    entries: ReadonlyMap<number, string>;
    /** The epoch marker recorded beside the file, once this installation has started. */
    epoch: string | undefined;
  };
  redis: {
    /** seq 0 when Redis holds no chain. */
    head: { seq: number; hash: string };
    /** seq → hash of the entries Redis holds at the file's seqs (any others may be left out). */
    entries: ReadonlyMap<number, string>;
    epoch: string | undefined;
  };
}

export type ChainComparison =
  | { status: "intact" }
  | {
      status: "lost";
      condition: StateLostCondition;
      /** One sentence an operator can act on. */
      detail: string;
      fileHead: number;
      redisHead: number;
      /** The first seq the two disagree on, when there is one. */
      seq?: number;
    };

export function compareChains({ file, redis }: ChainComparisonInput): ChainComparison {
  const seqs = [...file.entries.keys()].sort((a, b) => a - b);
  const fileHead = seqs.at(-1) ?? 0;
  const redisHead = redis.head.seq;
  const lost = (condition: StateLostCondition, detail: string, seq?: number): ChainComparison => ({
    status: "lost",
    condition,
    detail,
    fileHead,
    redisHead,
    ...(seq !== undefined ? { seq } : {}),
  });

  if (file.epoch !== undefined && redis.epoch !== file.epoch) {
    return lost(
      "keyspace-lost",
      redis.epoch === undefined
        ? `the epoch marker written at first start (${file.epoch}) is missing from Redis: its keyspace was lost (the audit file holds ${fileHead} entries, Redis's chain ${redisHead})`
        : `Redis carries epoch marker ${redis.epoch}, not ${file.epoch} recorded beside the audit file: this is not the keyspace the service wrote to`,
    );
  }
  for (const seq of seqs) {
    if (seq > redisHead) break;
    const inRedis = redis.entries.get(seq);
    if (inRedis === file.entries.get(seq)) continue;
    if (seq === 1 && inRedis !== undefined) {
      return lost(
        "genesis-restart",
        `the chain in Redis starts again at seq 1 (head ${redisHead}) while the audit file holds entries 1..${fileHead}: Redis lost its chain and restarted it`,
        1,
      );
    }
    return lost(
      "fork",
      inRedis === undefined
        ? `entry ${seq} is in the audit file but missing from Redis below its head ${redisHead}: the chains have forked`
        : `entry ${seq} in Redis is not the entry the audit file holds: the chains have forked at seq ${seq}`,
      seq,
    );
  }
  if (redisHead < fileHead) {
    const first = seqs.find((s) => s > redisHead)!;
    return redisHead === 0
      ? lost(
          "genesis-restart",
          `Redis holds no audit chain while the audit file holds entries up to ${fileHead}: acknowledged entries are gone`,
          first,
        )
      : lost(
          "head-behind",
          `the audit file holds entries up to ${fileHead} but Redis's head is ${redisHead}: acknowledged entries from ${first} on are gone`,
          first,
        );
  }
  return { status: "intact" };
}
