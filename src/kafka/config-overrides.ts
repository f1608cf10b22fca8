// Describe-merge-write for kafkajs's legacy AlterConfigs, which replaces a resource's whole set of
// dynamic overrides: we write back every override we read plus the change, and nothing else, then
// read back and compare (ClusterClient.alterTopicOverrides). Chosen over a hand-written
// IncrementalAlterConfigs: kafkajs's request is maintained and batched (1,000 topics, one round
// trip), validateOnly gives the dry-run for free, and the read-back turns the one weakness — a
// concurrent writer between describe and write — into a loud VERIFY_FAILED instead of a silent loss.
import { ErrorCode, SwitchoverError } from "../engine/errors.js";

/** DescribeConfigs config_source values that are per-resource dynamic overrides. */
export const CONFIG_SOURCE = { dynamicTopic: 1, dynamicBroker: 2 } as const;

export interface DescribedEntry {
  configName: string;
  configValue: string | null;
  configSource: number;
  isSensitive: boolean;
}

export interface Overrides {
  /** Dynamic overrides of this resource, exactly as the broker returned them. */
  values: Record<string, string>;
  /** Sensitive overrides: described as null, so a write-back would erase them. */
  sensitive: string[];
}

export function overridesOf(entries: readonly DescribedEntry[], source: number): Overrides {
  const values: Record<string, string> = {};
  const sensitive: string[] = [];
  for (const e of entries) {
    if (e.configSource !== source) continue;
    if (e.isSensitive || e.configValue === null) sensitive.push(e.configName);
    else values[e.configName] = e.configValue;
  }
  return { values, sensitive: sensitive.sort() };
}

/**
 * The full override set to write: every current override unchanged, `set` applied on top (null
 * deletes an override). Refuses resources with sensitive overrides rather than silently erase them.
 */
export function mergeOverrides(
  resource: string,
  current: Overrides,
  set: Readonly<Record<string, string | null>>,
): Record<string, string> {
  if (current.sensitive.length > 0) {
    throw new SwitchoverError(
      ErrorCode.Conflict,
      `${resource} has sensitive overrides (${current.sensitive.join(", ")}) that a legacy AlterConfigs write-back would erase; change them with kafka-configs instead`,
      { details: { resource, sensitive: current.sensitive } },
    );
  }
  const next: Record<string, string> = { ...current.values };
  for (const [k, v] of Object.entries(set)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}

/** Keys whose value differs between two override sets (a key present in one only differs). */
export function differingKeys(a: Record<string, string>, b: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => a[k] !== b[k]).sort();
}
