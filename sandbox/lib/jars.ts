// Apache Kafka, Kafka Connect and MirrorMaker 2 as jars from Maven Central, resolved once into
// .sandbox/cache/kafka-<version>/lib by the pom in sandbox/maven (which also adds a log4j2 SLF4J binding).
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SandboxError } from "../components/types.js";
import type { SandboxPaths } from "../components/types.js";
import { KAFKA_VERSION } from "../topology.js";
import { logFile } from "./paths.js";

export interface JavaRuntime {
  java: string;
  major: number;
}

export function findJava(): JavaRuntime {
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, "bin", "java") : "java";
  const res = spawnSync(java, ["-version"], { encoding: "utf8" });
  if (res.error || res.status !== 0) {
    throw new SandboxError(
      "java",
      `no Java runtime found (${java})`,
      "install Java 17+ (apt-get install openjdk-17-jre-headless) or set JAVA_HOME",
    );
  }
  const m = /version "(\d+)(?:\.(\d+))?/.exec(res.stderr);
  const major = m ? (m[1] === "1" ? Number(m[2]) : Number(m[1])) : 0;
  if (major < 17) {
    throw new SandboxError(
      "java",
      `Java ${major} found; Kafka ${KAFKA_VERSION} needs Java 17+`,
      "set JAVA_HOME to a Java 17+ JDK",
    );
  }
  return { java, major };
}

export function kafkaLibDir(paths: SandboxPaths): string {
  return join(paths.cache, `kafka-${KAFKA_VERSION}`, "lib");
}

/** Ensures the jars are in the cache; returns the classpath. Downloads into a temp dir, then renames. */
export function ensureKafkaJars(paths: SandboxPaths): string {
  const lib = kafkaLibDir(paths);
  const marker = join(lib, ".complete");
  if (!existsSync(marker)) {
    const mvn = spawnSync("mvn", ["-v"], { encoding: "utf8" });
    if (mvn.error || mvn.status !== 0) {
      throw new SandboxError(
        "maven",
        "Maven (mvn) is not installed",
        "apt-get install maven (needs Maven Central access)",
      );
    }
    const tmp = `${lib}.partial`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const log = logFile(paths, "maven");
    const res = spawnSync(
      "mvn",
      [
        "-B",
        "-q",
        // Extra flags for unusual networks, e.g. "-s /path/settings.xml" for a mirror.
        ...(process.env.SWITCHOVER_MAVEN_FLAGS?.split(/\s+/).filter(Boolean) ?? []),
        "-f",
        join(paths.root, "sandbox", "maven", "pom.xml"),
        `-Dkafka.version=${KAFKA_VERSION}`,
        "dependency:copy-dependencies",
        `-DoutputDirectory=${tmp}`,
        "-DincludeScope=runtime",
      ],
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
    );
    writeFileSync(log, `${res.stdout ?? ""}${res.stderr ?? ""}`);
    if (res.status !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      // eslint-disable-next-line no-control-regex
      const plain = `${res.stdout ?? ""}${res.stderr ?? ""}`.replace(/\u001b\[[0-9;]*m/g, "");
      const reason =
        /\[ERROR\] (.+)/.exec(plain)?.[1]?.replace(/ -> \[Help 1\]$/, "") ?? `exit code ${res.status}`;
      throw new SandboxError(
        "maven",
        `could not fetch Kafka ${KAFKA_VERSION} jars: ${reason.slice(0, 200)}`,
        "check access to Maven Central (mvn -B dependency:copy-dependencies -f sandbox/maven/pom.xml)",
        log,
      );
    }
    writeFileSync(join(tmp, ".complete"), `${new Date().toISOString()}\n`);
    rmSync(lib, { recursive: true, force: true });
    mkdirSync(join(lib, ".."), { recursive: true });
    renameSync(tmp, lib);
  }
  return readdirSync(lib)
    .filter((f) => f.endsWith(".jar"))
    .sort()
    .map((f) => join(lib, f))
    .join(":");
}

/** Runs a Kafka main class to completion (storage format and the like) without blocking the event loop. */
export async function runJavaTool(
  java: JavaRuntime,
  classpath: string,
  mainClass: string,
  args: string[],
  log4j: string,
): Promise<string> {
  const { stdout } = await promisify(execFile)(
    java.java,
    [
      "-Xmx256m",
      "-XX:TieredStopAtLevel=1",
      "-XX:+UseSerialGC",
      `-Dlog4j2.configurationFile=${log4j}`,
      "-cp",
      classpath,
      mainClass,
      ...args,
    ],
    { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}
