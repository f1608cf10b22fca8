// Where a node lives. Brokers: their broker.rack (Metadata v1+, what kafkajs's describeCluster also
// returns), mapped to a datacenter through the cluster's `racks` (DC → racks) when configured, else
// rack = datacenter; a single-site cluster's `datacenter` places every node. Controller-only KRaft
// voters never appear in broker metadata, so their DC comes from `controllerDatacenters`.
import type { ClusterConfig } from "../config/schema.js";

export const UNKNOWN_DC = "unknown";

export interface Placement {
  /** Datacenter of a broker node id, or UNKNOWN_DC. */
  ofBroker(nodeId: number): string;
  /** Datacenter of a KRaft voter: its broker's DC when it is also a broker, else configured. */
  ofVoter(nodeId: number): string;
  /** Where the DC of a voter came from, for the report. */
  voterSource(nodeId: number): "broker.rack" | "controllerDatacenters" | "datacenter" | "unknown";
}

export function placement(config: ClusterConfig, brokerRacks: ReadonlyMap<number, string | null>): Placement {
  const rackToDc = new Map<string, string>();
  for (const [dc, racks] of Object.entries(config.racks ?? {})) for (const r of racks) rackToDc.set(r, dc);
  const controllers = config.controllerDatacenters ?? {};
  const ofBroker = (id: number): string => {
    if (config.datacenter) return config.datacenter;
    const rack = brokerRacks.get(id);
    if (rack === undefined || rack === null) return UNKNOWN_DC;
    return rackToDc.get(rack) ?? rack;
  };
  return {
    ofBroker,
    ofVoter(id) {
      const configured = controllers[String(id)];
      if (configured !== undefined) return configured;
      if (brokerRacks.has(id)) return ofBroker(id);
      return config.datacenter ?? UNKNOWN_DC;
    },
    voterSource(id) {
      if (controllers[String(id)] !== undefined) return "controllerDatacenters";
      if (config.datacenter) return "datacenter";
      if (brokerRacks.get(id)) return "broker.rack";
      return "unknown";
    },
  };
}
