// The drill's before/after check reads as what it is: an equality is written as one, a difference
// with an arrow (issue 20: "DNS dc1-kafka.dr.test → dc1-kafka.dr.test" read like a change).
import { describe, expect, it } from "vitest";
import { sameOrChanged } from "../../sandbox/drill/invariants.js";

describe("sameOrChanged", () => {
  it("when the DNS target is as before, then it says so without an arrow", () => {
    expect(sameOrChanged("DNS kafka-primary.dr.test", "dc1-kafka.dr.test", "dc1-kafka.dr.test")).toBe(
      "DNS kafka-primary.dr.test = dc1-kafka.dr.test (as before)",
    );
    expect(sameOrChanged("consumers on", "dc1-kafka.dr.test", "dc1-kafka.dr.test")).toBe(
      "consumers on dc1-kafka.dr.test (as before)",
    );
    expect(sameOrChanged("connectors", { a: "RUNNING" }, { a: "RUNNING" })).toBe(
      'connectors = {"a":"RUNNING"} (as before)',
    );
  });

  it("when it differs, then before → after", () => {
    expect(sameOrChanged("DNS kafka-primary.dr.test", "dc1-kafka.dr.test", "dc2-kafka.dr.test")).toBe(
      "DNS kafka-primary.dr.test: dc1-kafka.dr.test → dc2-kafka.dr.test",
    );
  });
});
