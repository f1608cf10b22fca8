// The adapters consumer steps ask for: `consumers` (the environment's named fleets, each behind its
// controller, with its default cluster and groups) and `consumerGroups` (membership checks on Kafka).
import type { ClusterConfig, ConsumerFleetConfig } from "../../config/schema.js";
import { ErrorCode, SwitchoverError } from "../../engine/errors.js";
import type { FleetController } from "./fleet-controller.js";
import { KafkaGroupObserver } from "./group-observer.js";
import type { GroupObserver } from "./group-observer.js";
import { KubernetesController } from "./kubernetes-controller.js";
import type { KubernetesControllerOptions } from "./kubernetes-controller.js";
import { WebhookController } from "./webhook-controller.js";
import type { WebhookControllerOptions } from "./webhook-controller.js";

export interface ConsumerFleet {
  name: string;
  controller: FleetController;
  /** The fleet's cluster and consumer groups from config: defaults for the steps' inputs. */
  cluster: string | undefined;
  groups: string[];
}

export interface ConsumerFleets {
  fleet(name: string): ConsumerFleet;
}

export interface ConsumerFleetsOptions {
  webhook?: WebhookControllerOptions;
  kubernetes?: KubernetesControllerOptions;
}

export function createConsumerFleets(
  fleets: Record<string, ConsumerFleetConfig>,
  opts: ConsumerFleetsOptions = {},
): ConsumerFleets {
  const built = new Map<string, ConsumerFleet>();
  return {
    fleet(name) {
      let fleet = built.get(name);
      if (!fleet) {
        const config = fleets[name];
        if (!config) {
          const list = Object.keys(fleets).join(", ") || "none";
          throw new SwitchoverError(
            ErrorCode.NotFound,
            `unknown consumer fleet "${name}" (configured: ${list})`,
          );
        }
        const controller =
          config.kind === "webhook"
            ? new WebhookController(name, config, opts.webhook)
            : new KubernetesController(name, config, opts.kubernetes);
        fleet = { name, controller, cluster: config.cluster, groups: config.groups };
        built.set(name, fleet);
      }
      return fleet;
    },
  };
}

export function createGroupObserver(clusters: Record<string, ClusterConfig>): GroupObserver {
  return new KafkaGroupObserver(clusters);
}
