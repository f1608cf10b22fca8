// The `dns` adapter steps ask for: the environment's named zones, each behind its provider. Built
// once by the composition root; a zone's secrets are resolved when the zone is first used.
import { Route53Client } from "@aws-sdk/client-route-53";
import type { DnsZoneConfig } from "../../../config/schema.js";
import { resolveSecret, SecretResolutionError } from "../../../config/secret.js";
import { ErrorCode, SwitchoverError } from "../../../engine/errors.js";
import { DnsError } from "../../../dns/errors.js";
import { toSwitchoverError } from "../to-switchover-error.js";
import { TsigKey } from "../tsig.js";
import type { DnsProvider } from "./dns-provider.js";
import { Rfc2136Provider } from "./rfc2136-provider.js";
import { Route53Provider } from "./route53-provider.js";

export interface DnsZones {
  /** The provider of a configured zone (by its name in the environment file). */
  zone(name: string): DnsProvider;
}

export interface DnsZonesOptions {
  env?: NodeJS.ProcessEnv;
  /** Overrides how a route53 zone's client is made (tests, custom credentials). */
  route53Client?: (zone: Extract<DnsZoneConfig, { provider: "route53" }>) => Route53Client;
}

export function createDnsZones(zones: Record<string, DnsZoneConfig>, opts: DnsZonesOptions = {}): DnsZones {
  const built = new Map<string, DnsProvider>();
  return {
    zone(name) {
      const existing = built.get(name);
      if (existing) return existing;
      const config = zones[name];
      if (!config) {
        const list = Object.keys(zones).join(", ") || "none";
        throw new SwitchoverError(ErrorCode.NotFound, `unknown dns zone "${name}" (configured: ${list})`);
      }
      const provider = build(name, config, opts);
      built.set(name, provider);
      return provider;
    },
  };
}

function build(name: string, config: DnsZoneConfig, opts: DnsZonesOptions): DnsProvider {
  switch (config.provider) {
    case "rfc2136": {
      let key: TsigKey;
      try {
        key = TsigKey.fromSecret(
          config.tsig.name,
          config.tsig.algorithm,
          resolveSecret(config.tsig.secret, opts.env),
        );
      } catch (err) {
        if (err instanceof DnsError) throw toSwitchoverError(err);
        if (err instanceof SecretResolutionError) {
          throw new SwitchoverError(ErrorCode.Configuration, `dns zone ${name}: TSIG ${err.message}`, {
            details: err.details,
            cause: err,
          });
        }
        throw err;
      }
      return new Rfc2136Provider({
        zone: config.zone,
        servers: config.servers,
        key,
        timeoutMs: config.timeoutMs,
      });
    }
    case "route53": {
      const client =
        opts.route53Client?.(config) ??
        // One try per SDK call: the provider's own retry policy (backoff on Throttling and
        // PriorRequestNotComplete) is the only one, so attempts are counted and reported once.
        new Route53Client({
          region: config.region,
          maxAttempts: 1,
          requestHandler: { requestTimeout: config.timeoutMs },
        });
      return new Route53Provider({
        client,
        zone: config.zone,
        hostedZoneId: config.hostedZoneId,
        timeoutMs: config.timeoutMs,
      });
    }
    default: {
      const never: never = config;
      throw new Error(`unknown dns provider ${JSON.stringify(never)}`);
    }
  }
}
