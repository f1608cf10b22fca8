// The Kafka DR steps, for the composition root to add to the registry.
import type { AnyStep } from "../../engine/step-contract.js";
import { applyTranslatedOffsetsStep } from "./apply-translated-offsets.js";
import { assertWritableStep } from "./assert-writable.js";
import { checkReplicationStep } from "./check-replication.js";
import { electLeadersStep } from "./elect-leaders.js";
import { reassignPartitionsStep } from "./reassign-partitions.js";
import { setTopicConfigStep } from "./set-topic-config.js";
import { verifyTranslatedOffsetsStep } from "./verify-translated-offsets.js";
import { waitForHealthyStep } from "./wait-for-healthy.js";

export const kafkaSteps: readonly AnyStep[] = [
  applyTranslatedOffsetsStep,
  assertWritableStep,
  checkReplicationStep,
  electLeadersStep,
  reassignPartitionsStep,
  setTopicConfigStep,
  verifyTranslatedOffsetsStep,
  waitForHealthyStep,
];
