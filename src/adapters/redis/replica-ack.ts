// Acknowledgement by a Redis replica: WAIT 1 <timeout> after a run start's writes, so a run the
// caller was told about survives losing the primary (Sentinel promotes the replica). WAIT covers the
// writes made on this connection, which is why it runs on the service's main client. Without a
// connected replica there is nothing to wait for: it answers at once.
import type { Redis } from "ioredis";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";

export class ReplicaAck {
  constructor(
    private readonly redis: Redis,
    private readonly timeoutMs: number,
  ) {}

  /** Resolves once a connected replica acknowledged this connection's writes; throws 503 if none did in time. */
  async confirm(): Promise<void> {
    const info = await this.redis.info("replication");
    const replicas = Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? 0);
    if (replicas === 0) return;
    const acked = Number(await this.redis.call("WAIT", "1", String(this.timeoutMs)));
    if (acked >= 1) return;
    throw new SwitchoverError(
      ErrorCode.UpstreamUnavailable,
      `no Redis replica acknowledged the run's writes within ${this.timeoutMs} ms (redis.replicaAckTimeoutMs; ${replicas} replica(s) connected): not acknowledged, the run was cancelled; retry`,
      { details: { replicas, timeoutMs: this.timeoutMs } },
    );
  }
}
