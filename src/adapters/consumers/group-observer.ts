// How consumer steps verify through Kafka itself: a group's live members and committed offsets on a
// named cluster, read through that cluster's ClusterClient (one per cluster, opened on first use and
// reused), so the check authenticates and encrypts exactly as every other Kafka step does.
import type { ClusterConfig } from "../../config/schema.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import { ClusterClient } from "../kafka/cluster-client.js";

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
  readonly #clients = new Map<string, ClusterClient>();

  constructor(private readonly clusters: Record<string, ClusterConfig>) {}

  bootstrapServers(cluster: string): string[] {
    return this.#config(cluster).bootstrapServers;
  }

  async members(cluster: string, group: string): Promise<GroupMembers> {
    const [g] = await this.#client(cluster).describeGroups([group]);
    if (!g) return { state: "Dead", members: [] };
    return { state: g.state, members: g.members.map((m) => `${m.clientId}@${m.clientHost}`) };
  }

  async committedOffsets(cluster: string, group: string): Promise<Record<string, number>> {
    const byTopic = await this.#client(cluster).groupOffsets(group, undefined);
    const out: Record<string, number> = {};
    for (const [topic, partitions] of byTopic) {
      for (const [partition, offset] of partitions) out[`${topic}/${partition}`] = Number(offset);
    }
    return out;
  }

  async close(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.allSettled(clients.map((c) => c.close()));
  }

  #config(cluster: string): ClusterConfig {
    const c = this.clusters[cluster];
    if (!c) {
      const list = Object.keys(this.clusters).join(", ") || "none";
      throw new SwitchoverError(ErrorCode.NotFound, `unknown cluster "${cluster}" (configured: ${list})`);
    }
    return c;
  }

  #client(cluster: string): ClusterClient {
    let client = this.#clients.get(cluster);
    if (!client) {
      client = new ClusterClient(cluster, this.#config(cluster));
      this.#clients.set(cluster, client);
    }
    return client;
  }
}
