// The one interface consumers.pause / consumers.resume act through, whatever runs the consumers:
// the application's own control webhooks, or a Kubernetes workload scaled through its subresource.

/** Where the fleet is told to consume, sent to webhooks so the application can follow a failover. */
export interface FleetTarget {
  /** Cluster name from the environment file. */
  cluster: string | undefined;
  bootstrapServers: string[];
  groups: string[];
}

export interface FleetController {
  readonly kind: "webhook" | "kubernetes";
  readonly fleet: string;
  /** What plans name as the changed resource: "POST http://…/pause", "Deployment shop/orders". */
  describe(action: "pause" | "resume"): string;
  /** Desired replicas of a Kubernetes workload; undefined where the state cannot be read (webhook). */
  replicas(signal: AbortSignal): Promise<number | undefined>;
  /** Returns the replicas found before (Kubernetes) or undefined (webhook). Safe to repeat. */
  pause(target: FleetTarget, signal: AbortSignal): Promise<number | undefined>;
  /** `replicas` is required by Kubernetes fleets and ignored by webhooks; returns as pause does. */
  resume(target: FleetTarget, replicas: number | undefined, signal: AbortSignal): Promise<number | undefined>;
}
