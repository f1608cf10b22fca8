// The sandbox checks what it needs before starting anything: a missing program is named with what it
// is for and the exact install command, instead of failing later inside a component.
import { afterEach, describe, expect, it } from "vitest";
import { SandboxError } from "../../sandbox/components/types.js";
import {
  ensurePrerequisites,
  findBinary,
  missing,
  prerequisitesFor,
} from "../../sandbox/lib/prerequisites.js";
import type { Prerequisite } from "../../sandbox/lib/prerequisites.js";

const saved = process.env.SWITCHOVER_NO_INSTALL;
afterEach(() => {
  if (saved === undefined) delete process.env.SWITCHOVER_NO_INSTALL;
  else process.env.SWITCHOVER_NO_INSTALL = saved;
});

const absent: Prerequisite = {
  binary: "so-no-such-program-x",
  what: "the test",
  debianPackage: "so-test-pkg",
};
const alsoAbsent: Prerequisite = {
  binary: "so-no-such-program-y",
  what: "the other test",
  debianPackage: "so-test-pkg",
};

describe("sandbox prerequisites", () => {
  it("finds programs on PATH and in sbin (where Debian puts named)", () => {
    expect(findBinary("node")).toBeDefined();
    expect(findBinary("so-no-such-program-x")).toBeUndefined();
    expect(missing([absent, { binary: "node", what: "node", debianPackage: "nodejs" }])).toEqual([absent]);
  });

  it("when something is missing and installing is refused, then it names each program and prints one install command", () => {
    process.env.SWITCHOVER_NO_INSTALL = "1";
    const said: string[] = [];
    let err: unknown;
    try {
      ensurePrerequisites([absent, alsoAbsent], (l) => said.push(l));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SandboxError);
    const text = String((err as SandboxError).message) + " " + JSON.stringify(err);
    expect(text).toContain("so-no-such-program-x (the test), so-no-such-program-y (the other test)");
    // One package, once, in a command that can be pasted.
    expect(text).toContain("sudo apt-get update && sudo apt-get install -y so-test-pkg ");
    expect(said).toEqual([]);
  });

  it("asks only for what the components being started need", () => {
    const of = (k: Parameters<typeof prerequisitesFor>[0]) => prerequisitesFor(k).map((p) => p.binary);
    expect(of({ kafka: false, bind: false, redis: true, redisHa: false })).toEqual(["redis-server"]);
    expect(of({ kafka: false, bind: false, redis: false, redisHa: true })).toEqual([
      "redis-server",
      "redis-sentinel",
    ]);
    expect(of({ kafka: false, bind: true, redis: false, redisHa: false })).toEqual([
      "named",
      "tsig-keygen",
      "nsupdate",
    ]);
    expect(of({ kafka: true, bind: false, redis: false, redisHa: false })).toContain("mvn");
  });
});
