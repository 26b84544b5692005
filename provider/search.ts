/**
 * Full-text search, with `search.enabled`: Mastodon's ES_* settings (config/initializers/chewy.rb), pointing at
 * either
 *
 *   - an embedded OpenSearch 2 (`${name}-search`, the official image): one node (`discovery.type=single-node`,
 *     ES_PRESET single_node_cluster, so no replica waits for a second node), its index on a claim of its own
 *     (`${name}-search-data`, protected and retained like the database's), its JVM heap half its memory request;
 *     `node.store.allow_mmap=false`, so it needs no `vm.max_map_count` raised by a privileged init container, and
 *     runs in the restricted profile like every other pod. Its security plugin is off, as in Mastodon's own CI:
 *     with it on, OpenSearch refuses to start without TLS certificates on its transport layer (the image's demo
 *     certificates are public, so worth nothing), and its users live in a file of bcrypt hashes. Its door is the
 *     NetworkPolicy instead (network.ts): only the instance's web, sidekiq and index Job reach port 9200, and the
 *     server reaches nothing but the cluster DNS. What it holds is derived: the Job rebuilds it from PostgreSQL.
 *   - or an external OpenSearch or Elasticsearch (`search.external`), with a user and password, TLS, an index
 *     prefix and a preset; held to the isolation rule like an external PostgreSQL.
 *
 * The index Job (`${name}-search-deploy-<suffix>`) runs `tootctl search deploy` after the post-deployment
 * migration (migrations.ts): it creates the indices, re-creates those whose definition the new version changed
 * (Mastodon's Chewy records each index's specification), and imports everything from the database. It re-runs
 * whenever its pod template changes: a new version, or any change of the instance's environment (whose ConfigMap
 * and Secret it reads), which may point it at another server or prefix whose index is empty.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as ipaddr from "ipaddr.js";
import { MastodonConfig, ResourceProfile, SEARCH_PORT, searchDeployConnections } from "./args";
import { BuildContext, childOpts } from "./context";
import { DataServer, dataServer } from "./dataServer";
import { memoryBytes } from "./containers";
import { componentLabels } from "./names";
import { bindAddress, processEnv } from "./workloads/env";
import { MastodonRuntime, mastodonPodTemplate } from "./workloads/mastodonPod";

/** The official OpenSearch image's user (opensearch, uid and gid 1000). */
export const OPENSEARCH_UID = 1000;
const DATA_DIR = "/usr/share/opensearch/data";

/** The embedded server's Service. */
export function embeddedSearchHost(config: Pick<MastodonConfig, "name">): string {
  return `${config.name}-search`;
}

/** ES_HOST: the host, in brackets when it is an IPv6 address, behind `https://` for TLS (Mastodon's docs). */
export function esHost(host: string, scheme: "http" | "https"): string {
  const bracketed = ipaddr.IPv6.isValid(host) ? `[${host}]` : host;
  return scheme === "https" ? `https://${bracketed}` : bracketed;
}

/** The ES_* variables of every Mastodon process; none while search is off. */
export function searchEnv(config: MastodonConfig): { config: Record<string, pulumi.Input<string>>; secret: Record<string, pulumi.Output<string>> } {
  const search = config.search;
  if (!search.enabled) return { config: {}, secret: {} };
  const external = search.external;
  if (!external) {
    return {
      config: { ES_ENABLED: "true", ES_HOST: embeddedSearchHost(config), ES_PORT: String(SEARCH_PORT), ES_PRESET: "single_node_cluster" },
      secret: {},
    };
  }
  const host = typeof external.host === "string" ? esHost(external.host, external.scheme) : pulumi.output(external.host).apply((h) => esHost(h, external.scheme));
  return {
    config: {
      ES_ENABLED: "true",
      ES_HOST: host,
      ES_PORT: String(external.port),
      ES_PRESET: external.preset,
      ES_PREFIX: external.indexPrefix,
      ...(external.user !== undefined ? { ES_USER: external.user } : {}),
    },
    secret: external.password !== undefined ? { ES_PASS: pulumi.secret(external.password) } : {},
  };
}

/** The JVM heap in MiB: half the memory request, so the rest of the request holds direct buffers and metaspace. */
export function searchHeapMiB(resources: ResourceProfile): number {
  return Math.floor(memoryBytes(resources.requests.memory) / 2 / 1024 ** 2);
}

/** The embedded server's environment: one node, no mmap, no security plugin, no performance analyzer agent. */
export function openSearchEnv(config: MastodonConfig): Record<string, string> {
  const heap = searchHeapMiB(config.search.resources);
  return {
    "cluster.name": embeddedSearchHost(config),
    "discovery.type": "single-node",
    "network.host": bindAddress(config.clusterCidrs),
    // Lucene reads its files without mmap: no vm.max_map_count to raise, so no privileged init container.
    "node.store.allow_mmap": "false",
    "bootstrap.memory_lock": "false",
    OPENSEARCH_JAVA_OPTS: `-Xms${heap}m -Xmx${heap}m`,
    // The image's entrypoint: no demo certificates, the security plugin off (see above), no agent on port 9600.
    DISABLE_INSTALL_DEMO_CONFIG: "true",
    DISABLE_SECURITY_PLUGIN: "true",
    DISABLE_PERFORMANCE_ANALYZER_AGENT_CLI: "true",
  };
}

/** The embedded OpenSearch: a one-node StatefulSet on a claim of its own, and its Service. */
export function embeddedSearch(ctx: BuildContext): DataServer {
  const search = ctx.config.search;
  const health = (path: string) => ({ httpGet: { path, port: SEARCH_PORT, scheme: "HTTP" } });
  return dataServer(ctx, {
    component: "search",
    image: search.image,
    port: SEARCH_PORT,
    uid: OPENSEARCH_UID,
    resources: search.resources,
    dataPath: DATA_DIR,
    storage: { size: search.storageSize, storageClassName: search.storageClassName },
    terminationGracePeriodSeconds: 60,
    container: () => ({
      env: processEnv(openSearchEnv(ctx.config)),
      // Start-up (the JVM, then recovering the indices from disk) may take minutes on a slow volume: up to 10.
      startupProbe: { ...health("/_cluster/health?local=true"), periodSeconds: 10, failureThreshold: 60, timeoutSeconds: 5 },
      readinessProbe: { ...health("/_cluster/health?local=true"), periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 },
      // Alive while it accepts connections: a busy node answering slowly is no reason to kill it.
      livenessProbe: { tcpSocket: { port: SEARCH_PORT }, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 5 },
    }),
  });
}

/** The index Job's command. */
export function searchDeployCommand(deploy: { concurrency: number; batchSize: number }): string[] {
  return ["tootctl", "search", "deploy", `--concurrency=${deploy.concurrency}`, `--batch-size=${deploy.batchSize}`];
}

/**
 * The index Job, once `dependsOn` (the post-deployment migration, and the embedded server) is ready; undefined while
 * search is off. Pulumi names it, anew at each replacement, as the migration Jobs (migrations.ts).
 */
export function searchDeployJob(ctx: BuildContext, rt: MastodonRuntime, dependsOn: pulumi.Input<pulumi.Resource>[]): k8s.batch.v1.Job | undefined {
  const { name, namespace, config } = ctx;
  if (!config.search.enabled) return undefined;
  const deploy = config.search.deploy;
  const minutes = `${Math.ceil(deploy.activeDeadlineSeconds / 60) + 10}m`;
  return new k8s.batch.v1.Job(`${name}-search-deploy`, {
    metadata: {
      namespace,
      labels: componentLabels(name, "search-deploy", config.version.tag),
      // A failed Job is replaced (so retried) by the next `pulumi up`.
      annotations: { "pulumi.com/replaceUnready": "true" },
    },
    spec: {
      backoffLimit: 2,
      activeDeadlineSeconds: deploy.activeDeadlineSeconds,
      template: mastodonPodTemplate(ctx, rt, {
        component: "search-deploy",
        version: config.version.tag,
        mountsMedia: false,
        restartPolicy: "Never",
        resources: deploy.resources,
        container: {
          name: "search-deploy",
          command: searchDeployCommand(deploy),
          // One connection per worker thread, and the main thread's (the connection budget counts them).
          env: processEnv({ DB_POOL: searchDeployConnections(deploy.concurrency) }),
        },
      }),
    },
  }, childOpts(ctx, { dependsOn, customTimeouts: { create: minutes, update: minutes } }));
}
