// The Kafka DR steps, for the composition root to add to the registry.
import type { AnyStep } from "../../engine/step-contract.js";
import { assertWritableStep } from "./assert-writable.js";
import { electLeadersStep } from "./elect-leaders.js";
import { reassignPartitionsStep } from "./reassign-partitions.js";
import { setTopicConfigStep } from "./set-topic-config.js";
import { waitForHealthyStep } from "./wait-for-healthy.js";

export const kafkaSteps: readonly AnyStep[] = [
  assertWritableStep,
  electLeadersStep,
  reassignPartitionsStep,
  setTopicConfigStep,
  waitForHealthyStep,
];
