// `kafka.assertWritable`: prove a topic takes writes — a canary produced with acks=all and read back
// from the partition leader. Nothing happens in a dry-run; the canary record is the only side effect.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { kafkaErrorTypes } from "../../adapters/kafka/kafka-errors.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import { defineStep } from "../step-adapters.js";
import { clusterRef } from "../../engine/target-ref.js";
import type { TargetCatalog } from "../../engine/target-catalog.js";
import { evaluateAssertWritable } from "./evaluate-kafka-steps.js";

const inputSchema = (t: TargetCatalog) =>
  z.strictObject({
    cluster: clusterRef(t),
    topic: z.string().min(1).max(249),
    partition: z.number().int().min(0).optional(),
    timeoutMs: z.number().int().positive().max(120_000).default(10_000),
  });
type Input = z.infer<ReturnType<typeof inputSchema>>;

export const assertWritableStep = defineStep<Input, "kafka">({
  kind: "kafka.assertWritable",
  description: "Produce a canary with acks=all and read it back",
  adapters: ["kafka"],
  targets: { cluster: "cluster" },
  input: inputSchema,
  evaluate: evaluateAssertWritable,
  check: {
    async inspect(ctx, input) {
      const client = ctx.adapters.kafka.cluster(input.cluster);
      if (!(await client.listTopics(ctx.signal)).includes(input.topic)) {
        throw new SwitchoverError(
          ErrorCode.NotFound,
          `cluster ${input.cluster}: unknown topic ${input.topic}`,
        );
      }
      return {};
    },
    async confirm(ctx, input) {
      const client = ctx.adapters.kafka.cluster(input.cluster);
      const id = randomUUID();
      const value = Buffer.from(JSON.stringify({ canary: id, runId: ctx.runId, stepId: ctx.stepId }));
      const sent = await client.produceCanary(
        input.topic,
        {
          key: "switchover-canary",
          value,
          headers: { "switchover-canary": id },
          ...(input.partition !== undefined ? { partition: input.partition } : {}),
        },
        input.timeoutMs,
        ctx.signal,
      );
      if (!sent.ok) {
        const err = sent.error;
        const types = kafkaErrorTypes((err as { cause?: unknown }).cause ?? err).filter((t) =>
          /^[A-Z_]+$/.test(t),
        );
        throw new SwitchoverError(
          ErrorCode.VerifyFailed,
          `${input.topic} on ${input.cluster} is not writable with acks=all: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err, details: { kafkaErrors: types } },
        );
      }
      const meta = sent.written;
      if (!meta)
        throw new SwitchoverError(
          ErrorCode.VerifyFailed,
          `canary produce to ${input.topic} returned no metadata`,
        );
      const latencyMs = sent.sendMs;
      const offset = meta.offset;
      const back = await client.readPartition(input.topic, meta.partition, offset, offset + 1n, ctx.signal);
      if (back[0]?.value?.equals(value) !== true) {
        throw new SwitchoverError(
          ErrorCode.VerifyFailed,
          `canary ${id} written to ${input.topic}-${meta.partition}@${offset} did not read back`,
        );
      }
      return { partition: meta.partition, offset: offset.toString(), latencyMs };
    },
  },
});
