// Role sets the routes share. Every role can read; admin passes every check (see requireRole).
import type { Role } from "../../config/schema.js";

export const ANY_ROLE: readonly Role[] = ["viewer", "operator", "approver"];
