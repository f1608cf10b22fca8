// Zod helpers for step inputs that name a configured target ("this is a cluster name"), so every
// step — built-in, Kafka, DNS, consumers — rejects unknown names the same way, at validation time.
import { z } from "zod";
import type { TargetCatalog } from "./target-catalog.js";

export type TargetKind = "cluster" | "dns zone" | "consumer fleet" | "replication flow";

function known(targets: TargetCatalog, kind: TargetKind): readonly string[] {
  switch (kind) {
    case "cluster":
      return targets.clusters;
    case "dns zone":
      return targets.dnsZones;
    case "consumer fleet":
      return targets.consumerFleets;
    case "replication flow":
      return targets.replicationFlows;
  }
}

export function targetRef(targets: TargetCatalog, kind: TargetKind): z.ZodString {
  const names = known(targets, kind);
  return z.string().check((ctx) => {
    if (!names.includes(ctx.value)) {
      const list = names.length ? names.join(", ") : "none";
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: `unknown ${kind} "${ctx.value}" (configured: ${list})`,
      });
    }
  });
}

export const clusterRef = (t: TargetCatalog): z.ZodString => targetRef(t, "cluster");
export const dnsZoneRef = (t: TargetCatalog): z.ZodString => targetRef(t, "dns zone");
export const consumerFleetRef = (t: TargetCatalog): z.ZodString => targetRef(t, "consumer fleet");
export const replicationFlowRef = (t: TargetCatalog): z.ZodString => targetRef(t, "replication flow");

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
