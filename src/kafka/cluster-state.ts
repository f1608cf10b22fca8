// What switchover knows of a cluster's layout, as plain data the adapter reads and the pure Kafka
// rules (topic selection, replica placement, posture) reason over.

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionState {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offline: number[];
}

export interface TopicState {
  topic: string;
  partitions: PartitionState[];
}

export interface QuorumReplica {
  replicaId: number;
  logEndOffset: bigint;
  /** Milliseconds since the epoch, or -1 when the leader does not know. */
  lastFetchTimestamp: number;
  lastCaughtUpTimestamp: number;
}

/** The KRaft controller quorum as DescribeQuorum reports it for __cluster_metadata-0. */
export interface QuorumDescription {
  errorCode: number;
  leaderId: number;
  leaderEpoch: number;
  highWatermark: bigint;
  voters: QuorumReplica[];
  observers: QuorumReplica[];
}

/** One ACL binding, its protocol codes named (unknown codes keep their number, e.g. "type9"). */
export interface AclBinding {
  /** "topic", "group", "cluster", "transactional-id", "delegation-token", "user". */
  resourceType: string;
  resourceName: string;
  /** "literal" or "prefixed". */
  patternType: string;
  principal: string;
  host: string;
  /** "READ", "WRITE", "ALL", … */
  operation: string;
  /** "ALLOW" or "DENY". */
  permission: string;
}
