// How consumer steps verify through Kafka itself: a group's live members and committed offsets on a
// named cluster (kafkajs admin, one per cluster, opened on first use and reused).
import { Kafka, logLevel } from "kafkajs";
import type { Admin } from "kafkajs";
import type { ClusterConfig } from "../../config/schema.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";

export interface GroupMembers {
  /** Kafka's group state: Stable, Empty, Dead (never existed), PreparingRebalance, … */
  state: string;
  /** "clientId@host" of each live member. */
  members: string[];
}

export interface GroupObserver {
  members(cluster: string, group: string): Promise<GroupMembers>;
  /** Committed offsets by "topic/partition" (partitions without a commit are left out). */
  committedOffsets(cluster: string, group: string): Promise<Record<string, number>>;
  /** Bootstrap servers of a configured cluster (what webhooks are told to consume from). */
  bootstrapServers(cluster: string): string[];
  close(): Promise<void>;
}

export class KafkaGroupObserver implements GroupObserver {
  readonly #admins = new Map<string, Promise<Admin>>();

  constructor(private readonly clusters: Record<string, ClusterConfig>) {}

  bootstrapServers(cluster: string): string[] {
    return this.#config(cluster).bootstrapServers;
  }

  async members(cluster: string, group: string): Promise<GroupMembers> {
    const admin = await this.#admin(cluster);
    const { groups } = await this.#call(cluster, `describe group ${group}`, () =>
      admin.describeGroups([group]),
    );
    const g = groups[0];
    if (!g) return { state: "Dead", members: [] };
    return { state: g.state, members: g.members.map((m) => `${m.clientId}@${m.clientHost}`) };
  }

  async committedOffsets(cluster: string, group: string): Promise<Record<string, number>> {
    const admin = await this.#admin(cluster);
    const topics = await this.#call(cluster, `fetch offsets of ${group}`, () =>
      admin.fetchOffsets({ groupId: group }),
    );
    const out: Record<string, number> = {};
    for (const t of topics) {
      for (const p of t.partitions) {
        const offset = Number(p.offset);
        if (offset >= 0) out[`${t.topic}/${p.partition}`] = offset;
      }
    }
    return out;
  }

  async close(): Promise<void> {
    const admins = [...this.#admins.values()];
    this.#admins.clear();
    await Promise.allSettled(admins.map(async (a) => (await a).disconnect()));
  }

  #config(cluster: string): ClusterConfig {
    const c = this.clusters[cluster];
    if (!c) {
      const list = Object.keys(this.clusters).join(", ") || "none";
      throw new SwitchoverError(ErrorCode.NotFound, `unknown cluster "${cluster}" (configured: ${list})`);
    }
    return c;
  }

  #admin(cluster: string): Promise<Admin> {
    let admin = this.#admins.get(cluster);
    if (!admin) {
      const c = this.#config(cluster);
      const kafka = new Kafka({
        clientId: `${c.clientId}-consumer-check`,
        brokers: c.bootstrapServers,
        connectionTimeout: c.connectionTimeoutMs,
        requestTimeout: c.requestTimeoutMs,
        logLevel: logLevel.NOTHING,
        retry: { retries: 2, initialRetryTime: 200 },
      });
      const a = kafka.admin();
      admin = this.#call(cluster, "connect", () => a.connect()).then(() => a);
      // A failed connect is not cached: the next check tries again.
      admin.catch(() => this.#admins.delete(cluster));
      this.#admins.set(cluster, admin);
    }
    return admin;
  }

  async #call<T>(cluster: string, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new SwitchoverError(
        ErrorCode.UpstreamUnavailable,
        `cluster ${cluster}: cannot ${what}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err, details: { cluster } },
      );
    }
  }
}
