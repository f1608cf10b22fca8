// RecordSets as they sit in plans, outputs and before-states (JSON), and back: what dns.repoint's
// apply, verify and revert read from the record instead of from memory.
import type { JsonValue } from "../../engine/json.js";
import { RECORD_TYPES } from "../../dns/record-data.js";
import type { RecordType } from "../../dns/record-data.js";
import type { RecordSet } from "../../adapters/dns/providers/dns-provider.js";

export function recordSetToJson(rrset: RecordSet | undefined): JsonValue {
  return rrset ? { name: rrset.name, type: rrset.type, ttl: rrset.ttl, values: [...rrset.values] } : null;
}

/** The inverse of recordSetToJson; anything else is a corrupt record and throws. */
export function recordSetFromJson(value: JsonValue | undefined, what: string): RecordSet | undefined {
  if (value === null) return undefined;
  if (typeof value === "object" && !Array.isArray(value) && value !== undefined) {
    const { name, type, ttl, values } = value;
    if (
      typeof name === "string" &&
      typeof type === "string" &&
      (RECORD_TYPES as readonly string[]).includes(type) &&
      typeof ttl === "number" &&
      Array.isArray(values) &&
      values.every((v) => typeof v === "string")
    ) {
      return { name, type: type as RecordType, ttl, values };
    }
  }
  throw new Error(`recorded ${what} is not a DNS record set: ${JSON.stringify(value)}`);
}
