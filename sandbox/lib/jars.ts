// Apache Kafka, Kafka Connect and MirrorMaker 2 as jars from Maven Central, resolved once into
// .sandbox/cache/kafka-<version>/lib by the pom in sandbox/maven (which also adds a log4j2 SLF4J binding).
import { execFile, spawn, spawnSync } from "node:child_process";
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

function requireMaven(): void {
  const mvn = spawnSync("mvn", ["-v"], { encoding: "utf8" });
  if (mvn.error || mvn.status !== 0) {
    throw new SandboxError(
      "maven",
      "Maven (mvn) is not installed",
      "apt-get install maven (needs Maven Central access)",
    );
  }
}

function mavenArgs(paths: SandboxPaths, out: string, quiet: boolean): string[] {
  return [
    "-B",
    ...(quiet ? ["-q"] : []),
    // Extra flags for unusual networks, e.g. "-s /path/settings.xml" for a mirror.
    ...(process.env.SWITCHOVER_MAVEN_FLAGS?.split(/\s+/).filter(Boolean) ?? []),
    "-f",
    join(paths.root, "sandbox", "maven", "pom.xml"),
    `-Dkafka.version=${KAFKA_VERSION}`,
    "dependency:copy-dependencies",
    `-DoutputDirectory=${out}`,
    "-DincludeScope=runtime",
  ];
}

/** Maven's output to the log; on failure, the error in one line with the log named. */
function finishFetch(
  paths: SandboxPaths,
  tmp: string,
  lib: string,
  status: number | null,
  output: string,
): void {
  const log = logFile(paths, "maven");
  writeFileSync(log, output);
  if (status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    // eslint-disable-next-line no-control-regex
    const plain = output.replace(/\u001b\[[0-9;]*m/g, "");
    const reason = /\[ERROR\] (.+)/.exec(plain)?.[1]?.replace(/ -> \[Help 1\]$/, "") ?? `exit code ${status}`;
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

function partialDir(lib: string): string {
  const tmp = `${lib}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  return tmp;
}

function classpathOf(lib: string): string {
  return readdirSync(lib)
    .filter((f) => f.endsWith(".jar"))
    .sort()
    .map((f) => join(lib, f))
    .join(":");
}

/**
 * Fetches the jars into the cache when they are not there yet, saying how far it got every few
 * seconds (files and megabytes from Maven Central), so a first run never looks hung.
 */
export async function fetchKafkaJars(paths: SandboxPaths, say: (line: string) => void): Promise<void> {
  const lib = kafkaLibDir(paths);
  if (existsSync(join(lib, ".complete"))) return;
  requireMaven();
  const tmp = partialDir(lib);
  say(
    `fetching the Kafka ${KAFKA_VERSION} jars from Maven Central into ${lib} (once; log ${logFile(paths, "maven")})`,
  );
  const started = Date.now();
  let files = 0;
  let bytes = 0;
  let output = "";
  const child = spawn("mvn", mavenArgs(paths, tmp, false), { stdio: ["ignore", "pipe", "pipe"] });
  let rest = "";
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString("utf8");
    output += text;
    const lines = (rest + text).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) {
      const m = /Downloaded from [^:]+: \S+ \(([\d.]+) (B|kB|MB)/.exec(line);
      if (!m) continue;
      files++;
      bytes += Number(m[1]) * (m[2] === "MB" ? 1e6 : m[2] === "kB" ? 1e3 : 1);
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const progress = setInterval(() => {
    say(
      `  … ${files} files (${(bytes / 1e6).toFixed(1)} MB) in ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  }, 5_000);
  const status = await new Promise<number | null>((resolve) => {
    child.on("error", () => resolve(-1));
    child.on("close", (code) => resolve(code));
  }).finally(() => clearInterval(progress));
  finishFetch(paths, tmp, lib, status, output);
  say(
    `fetched ${files} files (${(bytes / 1e6).toFixed(1)} MB) in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}

/** Ensures the jars are in the cache (quietly); returns the classpath. Downloads into a temp dir, then renames. */
export function ensureKafkaJars(paths: SandboxPaths): string {
  const lib = kafkaLibDir(paths);
  if (!existsSync(join(lib, ".complete"))) {
    requireMaven();
    const tmp = partialDir(lib);
    const res = spawnSync("mvn", mavenArgs(paths, tmp, true), {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    finishFetch(paths, tmp, lib, res.status, `${res.stdout ?? ""}${res.stderr ?? ""}`);
  }
  return classpathOf(lib);
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
