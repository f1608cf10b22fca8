// The MirrorMaker 2 control steps (Kafka Connect REST), for the composition root to add to the registry.
import type { AnyStep } from "../../engine/step-contract.js";

export const mirrorSteps: readonly AnyStep[] = [];
