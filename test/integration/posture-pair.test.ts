// DR posture of the MM2 pair against the sandbox: an ACL created on dc1 only is reported as missing on
// dc2 (named, with the fix).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import kafkajs from "kafkajs";
import type { Admin } from "kafkajs";
import { createKafkaAdapter } from "../../src/adapters/kafka/kafka-adapter.js";
import type { KafkaAdapter } from "../../src/adapters/kafka/kafka-adapter.js";
import { PostureService } from "../../src/posture/posture-service.js";
import { renderPosture } from "../../src/posture/render-posture.js";
import { kafkaFor, sandboxConfig, unique } from "./sandbox.js";

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

let dc1: Admin;
let kafka: KafkaAdapter;
let posture: PostureService;
const principal = `User:${unique("posture-app-")}`;
const aclTopic = "orders";
const acl = {
  resourceType: AclResourceTypes.TOPIC,
  resourceName: aclTopic,
  resourcePatternType: ResourcePatternTypes.LITERAL,
  principal,
  host: "*",
  operation: AclOperationTypes.READ,
  permissionType: AclPermissionTypes.ALLOW,
};

beforeAll(async () => {
  dc1 = kafkaFor("dc1").admin();
  await dc1.connect();
  kafka = createKafkaAdapter(sandboxConfig());
  posture = new PostureService(kafka);
  await dc1.createAcls({ acl: [acl] });
});

afterAll(async () => {
  await dc1.deleteAcls({ filters: [acl] }).catch(() => undefined);
  await dc1.disconnect();
  await kafka.close();
});

describe("posture of the dc1 → dc2 pair", () => {
  it("reports an ACL present only on dc1, naming the binding, the rule and the fix", async () => {
    const p = await posture.pair("dc1-to-dc2");
    if ("error" in p.acls) throw new Error(p.acls.error);
    const binding = `${principal} ALLOW READ on topic:literal:${aclTopic} from *`;
    expect(p.acls.onlyOnSource).toContain(binding);
    const f = p.findings.find((x) => x.rule === "mirror.acl-missing-on-target" && x.subject.name === binding);
    expect(f).toMatchObject({ severity: "critical", subject: { kind: "acl" } });
    expect(f?.fix).toMatch(/create it on dc2/);
    expect(renderPosture(p)).toMatch(/acls: \d+ only on dc1/);
    // The pair is otherwise healthy in the sandbox: heartbeats are fresh, the RPO estimate is seconds.
    expect(p.heartbeatAgeMs).not.toBeNull();
    expect(p.rpoSeconds).toBeLessThan(60);
    expect(p.summary.lines[0]).toMatch(
      /^losing dc1 now: \d+ topics not usable on dc2, \d+ groups cannot be translated, RPO ≈ [\d.]+ s$/,
    );
  });

  it("after the ACL is deleted on dc1, it is no longer reported", async () => {
    await dc1.deleteAcls({ filters: [acl] });
    const p = await posture.pair("dc1-to-dc2");
    if ("error" in p.acls) throw new Error(p.acls.error);
    expect(p.acls.onlyOnSource.some((a) => a.startsWith(`${principal} `))).toBe(false);
  });
});
