// The one place a kafkajs client is built: bootstrap servers, TLS and SASL (password through its
// secret reference) from the environment file's cluster entry, so every client switchover opens on a
// cluster (steps, consumer-group checks, readiness) reaches it the same way. Callers choose only
// their purpose's client-id suffix, timeouts and retries.
import { readFileSync } from "node:fs";
import { Kafka, logLevel } from "kafkajs";
import type { KafkaConfig, RetryOptions, SASLOptions } from "kafkajs";
import type { ClusterConfig } from "../../config/schema.js";
import { resolveSecret, SecretResolutionError } from "../../config/secret.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";

/** What a purpose may change; everything that reaches the cluster comes from its config. */
export interface ClientTuning {
  /** Appended to the configured client id, so brokers' logs and quotas tell purposes apart. */
  clientIdSuffix?: string;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  retry?: RetryOptions;
}

/** Bounded: a dead cluster must fail well within a step timeout, not after kafkajs's 5 × 30 s. */
const STEP_RETRY: RetryOptions = { retries: 5, initialRetryTime: 150, maxRetryTime: 1_500 };

function readTlsFile(cluster: string, file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new SwitchoverError(ErrorCode.Validation, `cluster ${cluster}: TLS file ${file} cannot be read`, {
      cause: err,
    });
  }
}

function ssl(cluster: string, tls: ClusterConfig["tls"]): KafkaConfig["ssl"] {
  if (!tls?.enabled) return undefined;
  const ca = readTlsFile(cluster, tls.caFile);
  const cert = readTlsFile(cluster, tls.certFile);
  const key = readTlsFile(cluster, tls.keyFile);
  return {
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(ca ? { ca: [ca] } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
  };
}

/** The secret is revealed only into the client options; a missing one is a configuration error. */
function sasl(cluster: string, config: ClusterConfig["sasl"]): SASLOptions | undefined {
  if (!config) return undefined;
  let password: string;
  try {
    password = resolveSecret(config.password).reveal();
  } catch (err) {
    if (!(err instanceof SecretResolutionError)) throw err;
    throw new SwitchoverError(ErrorCode.Configuration, `cluster ${cluster}: SASL password: ${err.message}`, {
      details: { cluster },
    });
  }
  return { mechanism: config.mechanism, username: config.username, password };
}

/** kafkajs options for one cluster and purpose. */
export function kafkaOptions(name: string, c: ClusterConfig, tuning: ClientTuning = {}): KafkaConfig {
  const tlsOptions = ssl(name, c.tls);
  const saslOptions = sasl(name, c.sasl);
  return {
    clientId: `${c.clientId}${tuning.clientIdSuffix ?? ""}`,
    brokers: c.bootstrapServers,
    connectionTimeout: tuning.connectionTimeoutMs ?? c.connectionTimeoutMs,
    requestTimeout: tuning.requestTimeoutMs ?? c.requestTimeoutMs,
    logLevel: logLevel.NOTHING,
    retry: tuning.retry ?? STEP_RETRY,
    ...(tlsOptions ? { ssl: tlsOptions } : {}),
    ...(saslOptions ? { sasl: saslOptions } : {}),
  };
}

/** A kafkajs client for one configured cluster. */
export function createKafkaClient(name: string, c: ClusterConfig, tuning: ClientTuning = {}): Kafka {
  return new Kafka(kafkaOptions(name, c, tuning));
}
