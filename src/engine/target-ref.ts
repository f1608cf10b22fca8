// Zod helpers for step inputs that name a configured target ("this is a cluster name"), so every
// step — built-in, Kafka, DNS, consumers — rejects unknown names the same way, at validation time.
import { z } from "zod";
import type { TargetCatalog } from "./target-catalog.js";

export type TargetKind = "cluster" | "dns zone" | "consumer fleet" | "replication flow" | "connect worker";

/**
 * Which kind of target each reference schema checks, so a test can hold every step's declared
 * targets (StepDefinition.targets) against the fields its input schema checks as names.
 */
const targetRefs = z.registry<{ kind: TargetKind }>();

/** The target kind a schema checks (through optional/default wrappers), or undefined. */
export function targetRefKind(schema: z.ZodType): TargetKind | undefined {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) {
    s = s.unwrap() as z.ZodType;
  }
  return targetRefs.get(s)?.kind;
}

/** The configured names of one kind of target. */
export function knownTargets(targets: TargetCatalog, kind: TargetKind): readonly string[] {
  switch (kind) {
    case "cluster":
      return targets.clusters;
    case "dns zone":
      return targets.dnsZones;
    case "consumer fleet":
      return targets.consumerFleets;
    case "replication flow":
      return targets.replicationFlows;
    case "connect worker":
      return targets.connectWorkers;
  }
}

export function targetRef(targets: TargetCatalog, kind: TargetKind): z.ZodString {
  const names = knownTargets(targets, kind);
  const schema = z.string().check((ctx) => {
    if (!names.includes(ctx.value)) {
      ctx.issues.push({ code: "custom", input: ctx.value, message: unknownTarget(names, kind, ctx.value) });
    }
  });
  targetRefs.add(schema, { kind });
  return schema;
}

/** The one wording for a name that is not configured, at validation time and at run start. */
export function unknownTarget(names: readonly string[], kind: TargetKind, value: string): string {
  return `unknown ${kind} "${value}" (configured: ${names.length ? names.join(", ") : "none"})`;
}

export const clusterRef = (t: TargetCatalog): z.ZodString => targetRef(t, "cluster");
export const dnsZoneRef = (t: TargetCatalog): z.ZodString => targetRef(t, "dns zone");
export const consumerFleetRef = (t: TargetCatalog): z.ZodString => targetRef(t, "consumer fleet");
export const replicationFlowRef = (t: TargetCatalog): z.ZodString => targetRef(t, "replication flow");
export const connectWorkerRef = (t: TargetCatalog): z.ZodString => targetRef(t, "connect worker");

/** An http(s) URL under one of the config's `http.allow` prefixes. */
export function allowedUrl(targets: TargetCatalog): z.ZodString {
  return z.string().check((ctx) => {
    if (!isAllowedUrl(targets, ctx.value)) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: `URL ${JSON.stringify(ctx.value.slice(0, 200))} is not under any http.allow prefix in the environment config`,
      });
    }
  });
}

export function isAllowedUrl(targets: TargetCatalog, url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return false;
  if (parsed.username || parsed.password) return false;
  // Compare normalised forms so "http://h/a/../b" cannot escape an allowed "http://h/a/" prefix.
  const href = parsed.href;
  return targets.httpAllow.some((prefix) => {
    const p = new URL(prefix).href;
    return href === p || href.startsWith(p.endsWith("/") ? p : `${p}/`) || href.startsWith(`${p}?`);
  });
}
