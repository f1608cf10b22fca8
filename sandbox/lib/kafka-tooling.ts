// A raw kafkajs admin and producer for tooling that sets the stage (benchmarks, drills, tests create,
// fill and delete topics), built by switchover's one client factory so they reach a cluster exactly as
// its steps do. switchover's own ClusterClient offers named operations only.
import type { Admin, Kafka, Producer } from "kafkajs";
import { createKafkaClient } from "../../src/adapters/kafka/kafka-client-factory.js";
import type { ClusterConfig } from "../../src/config/schema.js";

export class KafkaTooling {
  readonly kafka: Kafka;
  #admin: Promise<Admin> | undefined;
  #producer: Promise<Producer> | undefined;

  constructor(name: string, config: ClusterConfig) {
    this.kafka = createKafkaClient(name, config, { clientIdSuffix: "-tooling" });
  }

  /** Connected on first use, reused until close(). */
  admin(): Promise<Admin> {
    this.#admin ??= (async () => {
      const admin = this.kafka.admin({ retry: { retries: 5, initialRetryTime: 150, maxRetryTime: 1_500 } });
      await admin.connect();
      return admin;
    })();
    const p = this.#admin;
    p.catch(() => {
      if (this.#admin === p) this.#admin = undefined;
    });
    return p;
  }

  /** Connected on first use; never creates topics, no retries (callers poll for fresh topics). */
  producer(): Promise<Producer> {
    this.#producer ??= (async () => {
      const producer = this.kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
      await producer.connect();
      return producer;
    })();
    const p = this.#producer;
    p.catch(() => {
      if (this.#producer === p) this.#producer = undefined;
    });
    return p;
  }

  async close(): Promise<void> {
    const admin = this.#admin;
    const producer = this.#producer;
    this.#admin = undefined;
    this.#producer = undefined;
    await Promise.allSettled([admin?.then((a) => a.disconnect()), producer?.then((p) => p.disconnect())]);
  }
}
