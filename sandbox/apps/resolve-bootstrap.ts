// How the demo apps find "the" cluster: follow the CNAME of the well-known name at the sandbox's
// authoritative server, then read the target's `_kafka._tcp` SRV record for host and port.
import { Resolver } from "node:dns/promises";

export interface Bootstrap {
  /** The name the CNAME chain ended at, e.g. dc1-kafka.dr.test — which cluster this is. */
  canonical: string;
  brokers: string[];
}

export async function resolveBootstrap(name: string, server: string): Promise<Bootstrap> {
  const resolver = new Resolver({ timeout: 2_000, tries: 2 });
  resolver.setServers([server]);
  let canonical = name;
  // A short chain guard: the sandbox has one level, real estates rarely more than a few.
  for (let hops = 0; hops < 8; hops++) {
    const next = await resolver.resolveCname(canonical).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENODATA" || err.code === "ENOTFOUND") return [] as string[];
      throw err;
    });
    if (next.length === 0) break;
    canonical = next[0]!;
  }
  const srv = await resolver.resolveSrv(`_kafka._tcp.${canonical}`);
  if (srv.length === 0) throw new Error(`no _kafka._tcp SRV record for ${canonical}`);
  const hosts = await Promise.all(
    srv.map(async (r) => {
      const [address] = await resolver.resolve4(r.name);
      return `${address ?? r.name}:${r.port}`;
    }),
  );
  return { canonical, brokers: hosts };
}
