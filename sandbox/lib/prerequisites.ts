// What the sandbox needs from the machine, checked before anything starts: Java and Maven for Kafka
// and Connect, BIND 9 for DNS, redis-server (and redis-sentinel for the HA option). As root on
// Debian or Ubuntu the missing packages are installed with apt-get, said first, as .ci/run does;
// anywhere else the exact install command is printed and nothing starts.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { SandboxError } from "../components/types.js";

export interface Prerequisite {
  /** The program that must be found. */
  binary: string;
  /** What it is for, in the message. */
  what: string;
  /** The Debian package that provides it. */
  debianPackage: string;
}

const JAVA: Prerequisite = {
  binary: "java",
  what: "Java 17+ for Kafka",
  debianPackage: "openjdk-17-jre-headless",
};
const MAVEN: Prerequisite = { binary: "mvn", what: "Maven, to fetch the Kafka jars", debianPackage: "maven" };
const NAMED: Prerequisite = { binary: "named", what: "BIND 9 for the DNS zone", debianPackage: "bind9" };
const KEYGEN: Prerequisite = {
  binary: "tsig-keygen",
  what: "the TSIG key of the zone",
  debianPackage: "bind9",
};
const NSUPDATE: Prerequisite = {
  binary: "nsupdate",
  what: "DNS updates by hand",
  debianPackage: "bind9-utils",
};
const REDIS: Prerequisite = {
  binary: "redis-server",
  what: "switchover's Redis",
  debianPackage: "redis-server",
};
const SENTINEL: Prerequisite = {
  binary: "redis-sentinel",
  what: "the Redis HA option's Sentinels",
  debianPackage: "redis-sentinel",
};

/** Prerequisites of the components a command starts, by kind. */
export function prerequisitesFor(kinds: {
  kafka: boolean;
  bind: boolean;
  redis: boolean;
  redisHa: boolean;
}): Prerequisite[] {
  return [
    ...(kinds.kafka ? [...(process.env.JAVA_HOME ? [] : [JAVA]), MAVEN] : []),
    ...(kinds.bind ? [NAMED, KEYGEN, NSUPDATE] : []),
    ...(kinds.redis || kinds.redisHa ? [REDIS] : []),
    ...(kinds.redisHa ? [SENTINEL] : []),
  ];
}

/** On PATH, or in the sbin directories a non-root PATH often lacks (Debian puts named there). */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/sbin", "/usr/local/sbin"];
  return dirs
    .filter(Boolean)
    .map((d) => join(d, name))
    .find((p) => existsSync(p));
}

export function missing(list: readonly Prerequisite[]): Prerequisite[] {
  return list.filter((p) => findBinary(p.binary) === undefined);
}

function packagesOf(list: readonly Prerequisite[]): string[] {
  return [...new Set(list.map((p) => p.debianPackage))];
}

function canInstall(): boolean {
  return (
    process.getuid?.() === 0 &&
    existsSync("/etc/debian_version") &&
    findBinary("apt-get") !== undefined &&
    process.env.SWITCHOVER_NO_INSTALL !== "1"
  );
}

/**
 * Checks the prerequisites; installs what is missing where it can (root on Debian/Ubuntu, unless
 * SWITCHOVER_NO_INSTALL=1), otherwise throws with the exact command to run.
 */
export function ensurePrerequisites(list: readonly Prerequisite[], say: (line: string) => void): void {
  const absent = missing(list);
  if (absent.length === 0) return;
  const pkgs = packagesOf(absent);
  const names = absent.map((p) => `${p.binary} (${p.what})`).join(", ");
  if (!canInstall()) {
    throw new SandboxError(
      "prerequisites",
      `missing: ${names}`,
      `sudo apt-get update && sudo apt-get install -y ${pkgs.join(" ")}   (Debian/Ubuntu package names)`,
    );
  }
  say(`missing: ${names}`);
  say(`installing with apt-get as root on Debian (set SWITCHOVER_NO_INSTALL=1 to refuse): ${pkgs.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [
    ["update", "-qq"],
    ["install", "-y", "-qq", ...pkgs],
  ]) {
    const res = spawnSync("apt-get", args, { stdio: "inherit", env });
    if (res.status !== 0) {
      throw new SandboxError(
        "prerequisites",
        `apt-get ${args[0]} failed (exit ${res.status ?? res.signal})`,
        `apt-get install -y ${pkgs.join(" ")}`,
      );
    }
  }
  const still = missing(list);
  if (still.length > 0) {
    throw new SandboxError(
      "prerequisites",
      `still missing after apt-get: ${still.map((p) => p.binary).join(", ")}`,
      `apt-get install -y ${packagesOf(still).join(" ")}`,
    );
  }
  say(`installed ${pkgs.join(" ")}`);
}
