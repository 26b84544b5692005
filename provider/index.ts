/** The components of the `mastodon` Pulumi package. */
export { MastodonCluster } from "./mastodonCluster";
export type {
  ContainerResources,
  ExternalPostgresql,
  ExternalRedis,
  Ingress,
  MastodonClusterArgs,
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
