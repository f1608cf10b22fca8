// The Connect worker and connector names of a configured replication flow, by role.
import type { ConnectClient } from "../../adapters/kafka/connect-client.js";
import type { KafkaAdapter } from "../../adapters/kafka/kafka-adapter.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";

export const connectorRoles = ["source", "checkpoint", "heartbeat"] as const;
export type ConnectorRole = (typeof connectorRoles)[number];

export function flowConnectors(
  kafka: KafkaAdapter,
  flowName: string,
  roles?: readonly ConnectorRole[],
): { connect: ConnectClient; connectors: { role: ConnectorRole; name: string }[] } {
  const flow = kafka.flow(flowName);
  if (!flow.connect || !flow.connectors) {
    throw new SwitchoverError(
      ErrorCode.Validation,
      `replication flow ${flowName} declares no Connect worker and connectors in the environment config`,
    );
  }
  const all = connectorRoles
    .filter((r) => flow.connectors![r] !== undefined)
    .map((role) => ({ role, name: flow.connectors![role]! }));
  const picked = roles ? all.filter((c) => roles.includes(c.role)) : all;
  const absent = (roles ?? []).filter((r) => !all.some((c) => c.role === r));
  if (absent.length > 0) {
    throw new SwitchoverError(
      ErrorCode.Validation,
      `replication flow ${flowName} has no ${absent.join(", ")} connector configured`,
    );
  }
  return { connect: kafka.connect(flow.connect), connectors: picked };
}
