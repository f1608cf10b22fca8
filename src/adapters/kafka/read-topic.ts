// Reads a whole topic from the beginning to its current end. kafkajs consumers cannot assign
// partitions without a group, so a throwaway group is used, never commits, and is deleted after.
import { randomUUID } from "node:crypto";
import type { Kafka, KafkaMessage } from "kafkajs";

export interface TopicRecord {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
}

export async function readTopicToEnd(
  kafka: Kafka,
  topic: string,
  opts: { timeoutMs?: number } = {},
): Promise<TopicRecord[]> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `switchover-reader-${randomUUID()}`;
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const remaining = new Map(
      ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]),
    );
    if (remaining.size === 0) return [];
    const records: TopicRecord[] = [];
    const consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`reading ${topic} to its end took longer than ${timeoutMs} ms`)),
          timeoutMs,
        );
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }: { partition: number; message: KafkaMessage }) => {
              const end = remaining.get(partition);
              if (end === undefined) return;
              records.push({
                partition,
                offset: message.offset,
                key: message.key,
                value: message.value,
                timestamp: message.timestamp,
              });
              if (BigInt(message.offset) + 1n >= end) {
                remaining.delete(partition);
                if (remaining.size === 0) {
                  clearTimeout(timer);
                  resolve();
                }
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    return records;
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
