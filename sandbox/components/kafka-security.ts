// SASL/SCRAM-SHA-512 for a sandbox Kafka node whose client listener demands it: two users (the
// broker's own inter-broker login and switchover's), random passwords kept in files beside the node's
// data, created in the metadata log when the storage is formatted (kafka-storage --add-scram), so the
// node needs no second tool run and no running controller to get its users.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KafkaNode } from "../topology.js";

const MECHANISM = "SCRAM-SHA-512";

export interface ScramUser {
  name: string;
  password: string;
  /** Where the password lives: switchover's environment references it ({file: …}), never inline. */
  passwordFile: string;
}

export interface ScramUsers {
  broker: ScramUser;
  client: ScramUser;
}

/** The protocol (and listener name) of a node's client listener. */
export function clientProtocol(node: KafkaNode): "PLAINTEXT" | "SASL_PLAINTEXT" {
  return node.security === "sasl-scram" ? "SASL_PLAINTEXT" : "PLAINTEXT";
}

function user(dir: string, name: string): ScramUser {
  const passwordFile = join(dir, `${name}.password`);
  if (!existsSync(passwordFile)) {
    mkdirSync(dir, { recursive: true });
    // Hex: nothing a JAAS line or --add-scram's [name=…,password=…] syntax would need to quote.
    writeFileSync(passwordFile, `${randomBytes(16).toString("hex")}\n`, { mode: 0o600 });
  }
  return { name, password: readFileSync(passwordFile, "utf8").trim(), passwordFile };
}

/** The node's users, created on first use under `dir` (kept while the node's data is kept). */
export function scramUsers(dir: string): ScramUsers {
  return { broker: user(dir, "broker"), client: user(dir, "switchover") };
}

/** True once both users' passwords exist (storage formatted without them would not know them). */
export function hasScramUsers(dir: string): boolean {
  return ["broker", "switchover"].every((n) => existsSync(join(dir, `${n}.password`)));
}

/** server.properties lines for a SASL_PLAINTEXT client listener (also the inter-broker one). */
export function scramServerProperties(users: ScramUsers): string[] {
  const jaas =
    `org.apache.kafka.common.security.scram.ScramLoginModule required ` +
    `username="${users.broker.name}" password="${users.broker.password}";`;
  return [
    `sasl.enabled.mechanisms=${MECHANISM}`,
    `sasl.mechanism.inter.broker.protocol=${MECHANISM}`,
    `listener.name.sasl_plaintext.${MECHANISM.toLowerCase()}.sasl.jaas.config=${jaas}`,
  ];
}

/** kafka-storage format arguments that create the users in the new metadata log. */
export function scramFormatArgs(users: ScramUsers): string[] {
  return [users.broker, users.client].flatMap((u) => [
    "--add-scram",
    `${MECHANISM}=[name=${u.name},password=${u.password}]`,
  ]);
}

/** kafkajs SASL options for the node's switchover user (the sandbox's own readiness probe). */
export function clientSasl(users: ScramUsers): {
  mechanism: "scram-sha-512";
  username: string;
  password: string;
} {
  return { mechanism: "scram-sha-512", username: users.client.name, password: users.client.password };
}
