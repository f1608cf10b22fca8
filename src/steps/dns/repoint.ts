// `dns.repoint`: converge one A/AAAA/CNAME RRset of a configured zone to the given values and TTL
// (or lower only the TTL, or remove it), conditionally on what the plan saw; verify at every authority.
import { z } from "zod";
import { DnsError } from "../../dns/errors.js";
import { RECORD_TYPES, normalizeValue } from "../../dns/record-data.js";
import type { RecordType } from "../../dns/record-data.js";
import { toSwitchoverError } from "../../adapters/dns/to-switchover-error.js";
import { normalizeName } from "../../dns/wire.js";
import {
  formatRecordSet,
  nameInZone,
  normalizeValues,
  sameRecordSet,
} from "../../adapters/dns/providers/dns-provider.js";
import type { AuthorityAnswer, DnsProvider, RecordSet } from "../../adapters/dns/providers/dns-provider.js";
import { isDuration, parseDurationMs } from "../../engine/duration.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import type { JsonObject } from "../../engine/json.js";
import { defineStep } from "../step-adapters.js";
import type { StepContext } from "../step-adapters.js";
import type { StepPlan } from "../../engine/step-contract.js";
import { dnsZoneRef } from "../../engine/target-ref.js";
import type { TargetCatalog } from "../../engine/target-catalog.js";
import { recordSetFromJson, recordSetToJson } from "./record-set-json.js";
import { evaluateRepoint } from "./evaluate-repoint.js";

const MAX_TTL = 2_147_483_647;
const VERIFY_POLL_MS = 500;

const duration = z.string().refine(isDuration, 'expected a duration such as "30s" or "5m"');

/** Zod check that turns an adapter's input DnsError into an issue at validation time. */
function dnsValid(ctx: z.core.ParsePayload<string>, check: () => void): void {
  try {
    check();
  } catch (err) {
    if (!(err instanceof DnsError)) throw err;
    ctx.issues.push({ code: "custom", input: ctx.value, message: err.message });
  }
}

const inputSchema = (t: TargetCatalog) =>
  z
    .strictObject({
      zone: dnsZoneRef(t),
      /** Fully qualified record name inside the zone, e.g. kafka-primary.example.com. */
      name: z.string().check((ctx) => dnsValid(ctx, () => normalizeName(ctx.value, "record name"))),
      type: z.enum(RECORD_TYPES, { error: "expected A, AAAA or CNAME" }),
      /** New value(s); omitted = keep the current values and change only the TTL. */
      value: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
      /** New TTL in seconds; omitted = keep the current TTL. */
      ttl: z.number().int().min(0).max(MAX_TTL).optional(),
      /** Remove the RRset instead (how a revert undoes a record that did not exist). */
      absent: z.boolean().default(false),
      /** After verifying, wait until every resolver must have dropped the old answer. */
      waitForOldTtl: z.boolean().default(false),
      /** How long the authoritative servers may take to agree (secondaries transfer the zone). */
      verifyWithin: duration.default("30s"),
    })
    .check((ctx) => {
      const v = ctx.value;
      if (v.absent && (v.value !== undefined || v.ttl !== undefined)) {
        ctx.issues.push({
          code: "custom",
          input: v,
          path: ["absent"],
          message: "absent: true takes no value or ttl",
        });
      }
      if (!v.absent && v.value === undefined && v.ttl === undefined) {
        ctx.issues.push({
          code: "custom",
          input: v,
          path: [],
          message: "set value, ttl (TTL only), or absent: true",
        });
      }
      const values = v.value === undefined ? [] : Array.isArray(v.value) ? v.value : [v.value];
      values.forEach((value, i) => {
        try {
          normalizeValue(v.type, value);
        } catch (err) {
          if (!(err instanceof DnsError)) throw err;
          const path = Array.isArray(v.value) ? ["value", i] : ["value"];
          ctx.issues.push({ code: "custom", input: value, path, message: err.message });
        }
      });
      if (v.type === "CNAME" && values.length > 1) {
        ctx.issues.push({
          code: "custom",
          input: v.value,
          path: ["value"],
          message: "a CNAME has exactly one value",
        });
      }
    });
type Input = z.infer<ReturnType<typeof inputSchema>>;

/** Every DNS adapter error reaches the engine as a SwitchoverError with the usual codes. */
async function dnsCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof DnsError ? toSwitchoverError(err) : err;
  }
}

function desiredOf(input: Input, name: string, current: RecordSet | undefined): RecordSet | undefined {
  if (input.absent) return undefined;
  const type: RecordType = input.type;
  if (input.value === undefined) {
    if (!current) {
      throw new SwitchoverError(
        ErrorCode.NotFound,
        `${name} ${type} does not exist; a TTL-only change needs an existing record (give value too)`,
        { details: { name, type } },
      );
    }
    return { ...current, ttl: input.ttl! };
  }
  const ttl = input.ttl ?? current?.ttl;
  if (ttl === undefined) {
    throw new SwitchoverError(ErrorCode.Validation, `${name} ${type} does not exist yet; give its ttl`, {
      details: { name, type },
    });
  }
  const values = Array.isArray(input.value) ? input.value : [input.value];
  return { name, type, ttl, values: normalizeValues(type, values) };
}

/**
 * A CNAME cannot share its name with other data (RFC 1034 §3.6.2), and servers silently ignore such
 * an add (RFC 2136 §3.4.2.2): refuse at plan time rather than fail verification later.
 */
async function refuseCnameClash(
  ctx: StepContext<"dns">,
  provider: DnsProvider,
  name: string,
  type: RecordType,
): Promise<void> {
  const others: RecordType[] = type === "CNAME" ? ["A", "AAAA"] : ["CNAME"];
  for (const other of others) {
    const found = await dnsCall(() => provider.read(name, other, ctx.signal));
    if (found) {
      throw new SwitchoverError(
        ErrorCode.Conflict,
        `${name} already has ${other} ${formatRecordSet(found)}; a CNAME cannot share its name with other records (repoint the ${other} record, or remove it first with absent: true)`,
        { details: { name, type, existing: other } },
      );
    }
  }
}

function summary(name: string, type: string, from: RecordSet | undefined, to: RecordSet | undefined): string {
  const unchanged = sameRecordSet(from, to) ? " (unchanged)" : "";
  return `${name} ${type}: ${formatRecordSet(from)} → ${formatRecordSet(to)}${unchanged}`;
}

function recorded(plan: StepPlan): { previous: RecordSet | undefined; desired: RecordSet | undefined } {
  return {
    previous: recordSetFromJson(plan.outputs.previous, "previous record"),
    desired: recordSetFromJson(plan.outputs.desired, "desired record"),
  };
}

async function agreeEverywhere(
  ctx: StepContext<"dns">,
  input: Input,
  desired: RecordSet | undefined,
): Promise<AuthorityAnswer[]> {
  const provider = ctx.adapters.dns.zone(input.zone);
  const name = nameInZone(input.name, provider.zone);
  const deadline = ctx.clock.now() + parseDurationMs(input.verifyWithin);
  for (;;) {
    let disagreeing: string[];
    let answers: AuthorityAnswer[] = [];
    try {
      answers = await dnsCall(() => provider.readEverywhere(name, input.type, ctx.signal));
      disagreeing = answers
        .filter((a) => !sameRecordSet(a.rrset, desired))
        .map((a) => `${a.server} answers ${formatRecordSet(a.rrset)}`);
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      disagreeing = [err instanceof Error ? err.message : String(err)];
    }
    if (disagreeing.length === 0) return answers;
    if (ctx.clock.now() >= deadline) {
      throw new SwitchoverError(
        ErrorCode.VerifyFailed,
        `${name} ${input.type} is not ${formatRecordSet(desired)} at every authoritative server after ${input.verifyWithin}: ${disagreeing.join("; ")}`,
        { details: { name, type: input.type, disagreeing } },
      );
    }
    await ctx.clock.sleep(VERIFY_POLL_MS, ctx.signal);
  }
}

export const dnsRepointStep = defineStep<Input, "dns">({
  kind: "dns.repoint",
  description:
    "Repoint an A/AAAA/CNAME record (RFC 2136 + TSIG or Route 53), verified at every authoritative server",
  adapters: ["dns"],
  targets: { zone: "dns zone" },
  input: inputSchema,
  evaluate: evaluateRepoint,

  async plan(ctx, input): Promise<StepPlan> {
    const provider = ctx.adapters.dns.zone(input.zone);
    const name = await dnsCall(async () => nameInZone(input.name, provider.zone));
    const current = await dnsCall(() => provider.read(name, input.type, ctx.signal));
    const desired = desiredOf(input, name, current);
    if (desired && !current) await refuseCnameClash(ctx, provider, name, input.type);
    const resource = `${name} ${input.type}`;
    const changes = sameRecordSet(current, desired)
      ? []
      : [
          {
            resource,
            field: "record",
            from: current ? formatRecordSet(current) : null,
            to: desired ? formatRecordSet(desired) : null,
          },
        ];
    return {
      changes,
      outputs: {
        name,
        type: input.type,
        provider: provider.provider,
        summary: summary(name, input.type, current, desired),
        previous: recordSetToJson(current),
        desired: recordSetToJson(desired),
        /** Seconds resolvers may keep serving the old answer (or "no such record") after the change. */
        oldTtl: current ? current.ttl : await dnsCall(() => provider.negativeTtl(ctx.signal)),
      },
    };
  },

  async apply(ctx, plan, input) {
    const { previous, desired } = recorded(plan);
    const provider = ctx.adapters.dns.zone(input.zone);
    const name = nameInZone(input.name, provider.zone);
    if (plan.changes.length === 0) return recordSetToJson(previous);
    const current = await dnsCall(() => provider.read(name, input.type, ctx.signal));
    // Converged already (a repeated apply after a crash or retry): change nothing twice.
    if (sameRecordSet(current, desired)) return recordSetToJson(previous);
    if (!sameRecordSet(current, previous)) {
      throw new SwitchoverError(
        ErrorCode.Conflict,
        `${name} ${input.type} changed since it was planned: planned from ${formatRecordSet(previous)}, now ${formatRecordSet(current)}; nothing was changed`,
        {
          details: {
            name,
            type: input.type,
            planned: formatRecordSet(previous),
            found: formatRecordSet(current),
          },
        },
      );
    }
    try {
      await dnsCall(() => provider.replace(previous, desired, name, input.type, ctx.signal));
    } catch (err) {
      if (err instanceof SwitchoverError && err.code === ErrorCode.Conflict) {
        throw new SwitchoverError(
          ErrorCode.Conflict,
          `${name} ${input.type} changed concurrently (the server's check of ${formatRecordSet(previous)} failed); nothing was changed: ${err.message}`,
          { details: err.details, cause: err },
        );
      }
      throw err;
    }
    ctx.logger.info({ record: summary(name, input.type, previous, desired) }, "record repointed");
    return recordSetToJson(previous);
  },

  async verify(ctx, input, plan): Promise<JsonObject> {
    const { previous, desired } = recorded(plan);
    const answers = await agreeEverywhere(ctx, input, desired);
    const now = ctx.clock.now();
    // A resolver that fetched the old answer just before the change may serve it for its full TTL.
    const recordedTtl = typeof plan.outputs.oldTtl === "number" ? plan.outputs.oldTtl : 0;
    const oldTtl = plan.changes.length === 0 ? 0 : (previous?.ttl ?? recordedTtl);
    const consistentAt = now + oldTtl * 1_000;
    if (input.waitForOldTtl && consistentAt > now) {
      ctx.logger.info({ oldTtl, until: new Date(consistentAt).toISOString() }, "waiting out the old TTL");
      await ctx.clock.sleep(consistentAt - now, ctx.signal);
    }
    return {
      verifiedAt: new Date(now).toISOString(),
      authoritativeServers: answers.map((a) => a.server),
      /** When every resolver must have the new answer (now, if the old TTL was waited out). */
      resolversConsistentBy: new Date(consistentAt).toISOString(),
      waitedForOldTtl: input.waitForOldTtl,
    };
  },

  revert({ input, plan }) {
    if (plan.changes.length === 0) return undefined;
    // The plan's record of what was there is persisted before any apply began, so it is the truth
    // even when apply was interrupted and repeated.
    const previous = recordSetFromJson(plan.outputs.previous, "previous record");
    const base = { zone: input.zone, name: input.name, type: input.type, verifyWithin: input.verifyWithin };
    if (!previous) return { with: { ...base, absent: true } };
    return { with: { ...base, value: previous.values, ttl: previous.ttl } };
  },
});
