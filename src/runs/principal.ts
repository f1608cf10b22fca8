// Who asks: a token's name and roles, as the use cases see it. The API authenticates and hands one
// over; schedules act as their creator. Admin holds every role.
import type { Role } from "../config/schema.js";

export interface Principal {
  name: string;
  roles: readonly Role[];
}

export function hasRole(p: Principal, ...allowed: Role[]): boolean {
  return p.roles.includes("admin") || allowed.some((r) => p.roles.includes(r));
}
