// Unauthenticated endpoints (/healthz, /readyz) show why a dependency failed, but never where it
// lives: URLs, IP addresses and host:port pairs in an error message become "[address]".
const URL_RE = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"',)]+/gi;
const IPV6_RE = /\[[0-9a-f:.]+\](?::\d{1,5})?/gi;
const IPV4_RE = /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g;
const HOST_PORT_RE = /\b[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*:\d{1,5}\b/gi;

export function stripAddresses(message: string): string {
  return message
    .replace(URL_RE, "[address]")
    .replace(IPV6_RE, "[address]")
    .replace(IPV4_RE, "[address]")
    .replace(HOST_PORT_RE, "[address]");
}
