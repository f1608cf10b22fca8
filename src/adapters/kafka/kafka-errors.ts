// The one mapping from kafkajs and broker failures to the error model: unreachable → retryable
// UPSTREAM_UNAVAILABLE, unknown topic → NOT_FOUND, rejected values → VALIDATION, the rest UPSTREAM.
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";

interface KafkaJsLike {
  name?: string;
  type?: string;
  message?: string;
  cause?: unknown;
  retriable?: boolean;
}

/** Broker error types along kafkajs's cause chain (retry wrappers hide the original). */
export function kafkaErrorTypes(err: unknown): string[] {
  const types: string[] = [];
  const seen = new Set<unknown>();
  for (let e = err as KafkaJsLike | undefined; e && !seen.has(e); e = e.cause as KafkaJsLike | undefined) {
    seen.add(e);
    if (e.type) types.push(e.type);
    if (e.name) types.push(e.name);
  }
  return types;
}

function innermostMessage(err: unknown): string {
  let msg = err instanceof Error ? err.message : String(err);
  const seen = new Set<unknown>();
  for (let e = err as KafkaJsLike | undefined; e && !seen.has(e); e = e.cause as KafkaJsLike | undefined) {
    seen.add(e);
    if (e.message) msg = e.message;
  }
  return msg;
}

const UNAVAILABLE = new Set([
  "KafkaJSConnectionError",
  "KafkaJSNumberOfRetriesExceeded",
  "KafkaJSRequestTimeoutError",
  "KafkaJSBrokerNotFound",
  "KafkaJSLockTimeout",
  "KafkaJSNonRetriableError",
  "LEADER_NOT_AVAILABLE",
  "NOT_LEADER_FOR_PARTITION",
  "NOT_CONTROLLER",
  "REQUEST_TIMED_OUT",
  "NOT_ENOUGH_REPLICAS",
  "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
  "COORDINATOR_NOT_AVAILABLE",
  "COORDINATOR_LOAD_IN_PROGRESS",
  "NETWORK_EXCEPTION",
]);
const NOT_FOUND = new Set([
  "UNKNOWN_TOPIC_OR_PARTITION",
  "GROUP_ID_NOT_FOUND",
  "KafkaJSTopicMetadataNotLoaded",
]);
const VALIDATION = new Set([
  "INVALID_CONFIG",
  "INVALID_REQUEST",
  "POLICY_VIOLATION",
  "INVALID_REPLICA_ASSIGNMENT",
  "INVALID_PARTITIONS",
  "INVALID_REPLICATION_FACTOR",
  "INVALID_TOPIC_EXCEPTION",
]);
const CONFLICT = new Set([
  "NON_EMPTY_GROUP",
  "REBALANCE_IN_PROGRESS",
  "REASSIGNMENT_IN_PROGRESS",
  "UNKNOWN_MEMBER_ID",
]);

/** Wraps any Kafka failure as a SwitchoverError whose message starts with what was being done. */
export function toKafkaError(cluster: string, doing: string, err: unknown): SwitchoverError {
  if (err instanceof SwitchoverError) return err;
  const types = kafkaErrorTypes(err);
  const brokerType = types.find((t) => /^[A-Z_]+$/.test(t));
  const reason = `${innermostMessage(err)}${brokerType ? ` [${brokerType}]` : ""}`;
  const message = `cluster ${cluster}: ${doing} failed: ${reason}`;
  const details = { cluster, ...(brokerType ? { kafkaError: brokerType } : {}) };
  const pick = (set: Set<string>): boolean => types.some((t) => set.has(t));
  // Broker codes first: a retry wrapper around INVALID_CONFIG is still a bad value.
  if (pick(VALIDATION)) return new SwitchoverError(ErrorCode.Validation, message, { cause: err, details });
  if (pick(NOT_FOUND)) return new SwitchoverError(ErrorCode.NotFound, message, { cause: err, details });
  if (pick(CONFLICT)) return new SwitchoverError(ErrorCode.Conflict, message, { cause: err, details });
  if (pick(UNAVAILABLE))
    return new SwitchoverError(ErrorCode.UpstreamUnavailable, message, { cause: err, details });
  return new SwitchoverError(ErrorCode.Upstream, message, { cause: err, details });
}
