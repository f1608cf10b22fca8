// How Kafka steps name what they change in a plan ("stretch/topic/orders", ".../partition/3"), and
// the parse back that apply and revert rely on. Topic names cannot contain '/', so the split is exact.

export const topicResource = (cluster: string, topic: string): string => `${cluster}/topic/${topic}`;
export const partitionResource = (cluster: string, topic: string, partition: number): string =>
  `${cluster}/topic/${topic}/partition/${partition}`;
export const groupResource = (cluster: string, group: string, topic: string, partition: number): string =>
  `${cluster}/group/${encodeURIComponent(group)}/topic/${topic}/partition/${partition}`;

export function parseResource(resource: string): {
  cluster: string;
  topic?: string;
  partition?: number;
  group?: string;
} {
  const parts = resource.split("/");
  const out: { cluster: string; topic?: string; partition?: number; group?: string } = { cluster: parts[0]! };
  for (let i = 1; i + 1 < parts.length; i += 2) {
    const [k, v] = [parts[i]!, parts[i + 1]!];
    if (k === "topic") out.topic = v;
    else if (k === "partition") out.partition = Number(v);
    else if (k === "group") out.group = decodeURIComponent(v);
  }
  return out;
}
