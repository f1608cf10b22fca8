// The environment's named targets as runbooks see them: names only, never addresses or secrets.
// Built once from the parsed config; step input schemas check references against it.
import type { Config } from "../config/schema.js";

export interface TargetCatalog {
  clusters: readonly string[];
  dnsZones: readonly string[];
  consumerFleets: readonly string[];
  replicationFlows: readonly string[];
  /** Kafka Connect workers (the environment's `connect` names). */
  connectWorkers: readonly string[];
  /** URL prefixes `http.request` and `notify` may call. */
  httpAllow: readonly string[];
  /** Names runbooks may read as `secrets.NAME` (the environment's `secrets`; values never here). */
  secrets: readonly string[];
}

export function targetsFromConfig(config: Config): TargetCatalog {
  return {
    clusters: Object.keys(config.clusters),
    dnsZones: Object.keys(config.dns),
    consumerFleets: Object.keys(config.consumers),
    replicationFlows: Object.keys(config.replication),
    connectWorkers: Object.keys(config.connect),
    httpAllow: config.http.allow,
    secrets: Object.keys(config.secrets),
  };
}

export const emptyTargets: TargetCatalog = {
  clusters: [],
  dnsZones: [],
  consumerFleets: [],
  replicationFlows: [],
  connectWorkers: [],
  httpAllow: [],
  secrets: [],
};
