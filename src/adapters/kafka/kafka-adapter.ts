// The Kafka adapter steps ask for as `kafka`: one ClusterClient per configured cluster (created on
// first use, reused for the run), the Connect workers, and the replication flows from config.
import type { Config, ReplicationConfig } from "../../config/schema.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import { ClusterClient } from "./cluster-client.js";
import { ConnectClient } from "./connect-client.js";

/** A replication flow with its aliases resolved. */
export interface Flow extends ReplicationConfig {
  name: string;
  sourceAlias: string;
  targetAlias: string;
}

export class KafkaAdapter {
  readonly #clusters = new Map<string, ClusterClient>();
  readonly #connect = new Map<string, ConnectClient>();

  constructor(private readonly config: Pick<Config, "clusters" | "connect" | "replication">) {}

  cluster(name: string): ClusterClient {
    let client = this.#clusters.get(name);
    if (!client) {
      const c = this.config.clusters[name];
      if (!c) {
        throw new SwitchoverError(
          ErrorCode.NotFound,
          `unknown cluster "${name}" (configured: ${Object.keys(this.config.clusters).join(", ") || "none"})`,
        );
      }
      client = new ClusterClient(name, c);
      this.#clusters.set(name, client);
    }
    return client;
  }

  connect(name: string): ConnectClient {
    let client = this.#connect.get(name);
    if (!client) {
      const c = this.config.connect[name];
      if (!c) {
        throw new SwitchoverError(
          ErrorCode.NotFound,
          `unknown Connect worker "${name}" (configured: ${Object.keys(this.config.connect).join(", ") || "none"})`,
        );
      }
      client = new ConnectClient(name, c);
      this.#connect.set(name, client);
    }
    return client;
  }

  flow(name: string): Flow {
    const f = this.config.replication[name];
    if (!f) {
      throw new SwitchoverError(
        ErrorCode.NotFound,
        `unknown replication flow "${name}" (configured: ${Object.keys(this.config.replication).join(", ") || "none"})`,
      );
    }
    return { ...f, name, sourceAlias: f.sourceAlias ?? f.source, targetAlias: f.targetAlias ?? f.target };
  }

  /** Disconnects every client this adapter opened. */
  async close(): Promise<void> {
    const clients = [...this.#clusters.values()];
    this.#clusters.clear();
    await Promise.allSettled(clients.map((c) => c.close()));
  }
}

export function createKafkaAdapter(
  config: Pick<Config, "clusters" | "connect" | "replication">,
): KafkaAdapter {
  return new KafkaAdapter(config);
}
