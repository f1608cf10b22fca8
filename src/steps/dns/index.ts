// The DNS steps, for the composition root to register.
import type { AnyStep } from "../../engine/step-contract.js";
import { dnsRepointStep } from "./repoint.js";

export const dnsSteps: readonly AnyStep[] = [dnsRepointStep];
