// Pre-flight (`evaluate`) hook of dns.repoint, kept apart from its plan/apply/verify: the zone
// accepts a signed update (RFC 2136: a prerequisite-only UPDATE that changes nothing) and the
// record can be read.
import { dnsZoneUpdatable, messageOf } from "../../evaluation/checks.js";
import type { EvaluateContext } from "../step-adapters.js";
import type { EvaluationCheck } from "../../engine/step-contract.js";
import type { RecordType } from "../../dns/record-data.js";
import { formatRecordSet } from "../../adapters/dns/providers/dns-provider.js";

export async function evaluateRepoint(
  ctx: EvaluateContext<"dns">,
  input: { zone: string; name: string; type: RecordType },
): Promise<EvaluationCheck[]> {
  const updatable = await dnsZoneUpdatable(ctx.adapters.dns, input.zone, ctx.signal);
  if (updatable.outcome !== "ready") return [updatable];
  const check = `record ${input.name} ${input.type} readable`;
  try {
    const rrset = await ctx.adapters.dns.zone(input.zone).read(input.name, input.type, ctx.signal);
    return [updatable, { check, outcome: "ready", reason: `now ${formatRecordSet(rrset)}` }];
  } catch (err) {
    return [updatable, { check, outcome: "blocked", reason: messageOf(err) }];
  }
}
