/** The components of the `mastodon` Pulumi package. */
import { servePlugin } from "./schema";

export { MastodonCluster } from "./mastodonCluster";
export { MastodonPlatform } from "./platform";
export type {
  Acknowledgements,
  Admin,
  Backups,
  CloudNativePg,
  CloudNativePgBackup,
  CloudNativePgPooler,
  ContainerResources,
  ExternalPostgresql,
  ExternalRedis,
  Ingress,
  MastodonClusterArgs,
  MastodonPlatformArgs,
  MastodonSecrets,
  Maintenance,
  MaintenanceTask,
  MediaStorage,
  Metrics,
  Migrations,
  Postgresql,
  Redis,
  RedisCache,
  ResourceQuantities,
  S3Storage,
  SidekiqWorker,
  Smtp,
  Streaming,
  Tls,
  Web,
} from "./args";

// Launched by Pulumi as a plugin, the package serves its schema with the secret inputs marked.
servePlugin();
