/**
 * The programs the benchmarks evaluate on the mock runtime: a lab of `size` instances sharing one MastodonPlatform
 * (cert-manager and the CA once, as the README shows), and one instance with every default.
 */
import { MastodonCluster, MastodonPlatform } from "../provider";
import type { MastodonClusterArgs } from "../provider";

/** One MastodonPlatform and `size` MastodonClusters with distinct names and domains, signed by the platform's CA. */
export function labStack(size: number, prefix: string): void {
  const platform = new MastodonPlatform(`${prefix}-lab`, {});
  for (let i = 0; i < size; i++) {
    new MastodonCluster(`${prefix}-${i}`, {
      domain: `${prefix}-${i}.fediverse.test`,
      tls: { issuerName: platform.issuerName, caCertificate: platform.caCertificate },
    });
  }
}

/** The instance the README's footprint and rollout order describe: every default, own CA and cert-manager. */
export const DEFAULT_INSTANCE = { name: "social", args: { domain: "social.example" } satisfies MastodonClusterArgs };

export function defaultInstance(extra: Partial<MastodonClusterArgs> = {}): MastodonCluster {
  return new MastodonCluster(DEFAULT_INSTANCE.name, { ...DEFAULT_INSTANCE.args, ...extra });
}

/**
 * The high-availability profile of docs/high-availability.md and docs/scaling.md: PostgreSQL on CloudNativePG (3
 * instances behind 2 PgBouncer pods), Redis as a 3-pod Sentinel set, web and streaming autoscaled from 2 pods, the
 * scheduler in its own group and the busiest queues in an autoscaled one, media on a ReadWriteMany volume so that
 * pods may run on several nodes.
 */
export function haArgs(domain: string): MastodonClusterArgs {
  return {
    domain,
    media: { accessMode: "ReadWriteMany" },
    postgresql: {
      maxConnections: 400,
      cloudNativePG: { instances: 3, apiServerCidrs: ["192.168.1.10/32"], pooler: { enabled: true } },
    },
    redis: { sentinel: { enabled: true } },
    web: { autoscaling: { minReplicas: 2, maxReplicas: 6 } },
    streaming: { autoscaling: { minReplicas: 2, maxReplicas: 4 } },
    sidekiqWorkers: [
      { name: "scheduler", queues: ["scheduler"], concurrency: 5 },
      { name: "busy", queues: ["default,8", "push,6", "ingress,4"], autoscaling: { minReplicas: 1, maxReplicas: 4 } },
      { name: "other", queues: ["mailers,2", "pull,1", "fasp,1"] },
    ],
  };
}

/** One MastodonPlatform and `size` MastodonClusters of the high-availability profile. */
export function haLabStack(size: number, prefix: string): void {
  const platform = new MastodonPlatform(`${prefix}-lab`, {});
  for (let i = 0; i < size; i++) {
    new MastodonCluster(`${prefix}-${i}`, {
      ...haArgs(`${prefix}-${i}.fediverse.test`),
      tls: { issuerName: platform.issuerName, caCertificate: platform.caCertificate },
    });
  }
}
