// DescribeAcls through kafkajs's admin, its protocol codes named: what a caller compares is plain
// data ("User:app ALLOW READ on topic:literal:orders from *"), never kafkajs's enums.
import kafkajs from "kafkajs";
import type { AclEntry, Admin, DescribeAclResource } from "kafkajs";
import type { AclBinding } from "../../kafka/cluster-state.js";

// kafkajs is CommonJS and Node's named-export detection misses its ACL enums: take them off the default.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

const RESOURCE_TYPES: Record<number, string> = {
  2: "topic",
  3: "group",
  4: "cluster",
  5: "transactional-id",
  6: "delegation-token",
  7: "user",
};
const OPERATIONS: Record<number, string> = {
  2: "ALL",
  3: "READ",
  4: "WRITE",
  5: "CREATE",
  6: "DELETE",
  7: "ALTER",
  8: "DESCRIBE",
  9: "CLUSTER_ACTION",
  10: "DESCRIBE_CONFIGS",
  11: "ALTER_CONFIGS",
  12: "IDEMPOTENT_WRITE",
};
const resourceType = (n: number) => RESOURCE_TYPES[n] ?? `type${n}`;
const operation = (n: number) => OPERATIONS[n] ?? `op${n}`;
const permission = (n: number) => (n === 2 ? "DENY" : n === 3 ? "ALLOW" : `perm${n}`);
const patternType = (n: number) => (n === 3 ? "literal" : n === 4 ? "prefixed" : `pattern${n}`);

/** Every ACL binding of the cluster (any resource, pattern, operation and permission). */
export async function describeAllAcls(admin: Admin): Promise<AclBinding[]> {
  const res = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  });
  return res.resources.flatMap((r: DescribeAclResource) =>
    (r.acls as AclEntry[]).map((a) => ({
      resourceType: resourceType(r.resourceType),
      resourceName: r.resourceName,
      patternType: patternType(r.resourcePatternType),
      principal: a.principal,
      host: a.host,
      operation: operation(a.operation),
      permission: permission(a.permissionType),
    })),
  );
}
