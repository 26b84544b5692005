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
