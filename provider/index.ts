/** The components of the `mastodon` Pulumi package. */
export { MastodonCluster } from "./mastodonCluster";
export { MastodonPlatform } from "./platform";
export type {
  ContainerResources,
  ExternalPostgresql,
  ExternalRedis,
  Ingress,
  MastodonClusterArgs,
  MastodonPlatformArgs,
  MastodonSecrets,
  MediaStorage,
  Postgresql,
  Redis,
  ResourceQuantities,
  S3Storage,
  SidekiqWorker,
  Smtp,
  Streaming,
  Tls,
  Web,
} from "./args";
