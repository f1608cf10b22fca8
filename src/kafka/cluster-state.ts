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
