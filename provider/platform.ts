/**
 * MastodonPlatform: what a cluster needs once, whatever number of instances it runs: cert-manager,
 * optionally Traefik and the CloudNativePG operator, and one ClusterIssuer (a shared private CA every instance trusts, so that
 * instances in one lab federate over HTTPS; or Let's Encrypt). Instances reference it by value:
 *
 *   const platform = new MastodonPlatform("lab", {});
 *   new MastodonCluster("one", { domain: "one.fediverse.test",
 *     tls: { issuerName: platform.issuerName, caCertificate: platform.caCertificate } });
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MastodonPlatformArgs, MastodonPlatformConfig, parsePlatformArgs } from "./args";
import { CNPG_OPERATOR_POD_LABELS } from "./cloudNativePg";
import { claimCertManager } from "./clusterWide";
import { traefikEntryPointTransport } from "./ingress";
import { egressGatewayResources } from "./egressGateway";
import { DNS_EGRESS, PUBLIC_CIDRS, dnsEgress } from "./network";
import { acmeIssuerSpec, certManager, issuerResource, privateRootCa } from "./tls";

/** Traefik's chart, pinned (Traefik v3.7). */
export const TRAEFIK_CHART_VERSION = "41.5.0";
export const TRAEFIK_CHART_REPO = "https://traefik.github.io/charts";
/**
 * CloudNativePG's chart, pinned: 0.29.0 installs operator 1.30.0, whose CRDs the specs validate against
 * (CLOUDNATIVEPG_VERSION in test/live/versions.env).
 */
export const CLOUDNATIVEPG_CHART_VERSION = "0.29.0";
export const CLOUDNATIVEPG_CHART_REPO = "https://cloudnative-pg.github.io/charts";
/** The Traefik chart's container ports for its entry points. */
export const TRAEFIK_PORTS = { web: 8000, websecure: 8443 };

const labels = (name: string) => ({ "app.kubernetes.io/part-of": "mastodon", "app.kubernetes.io/instance": name, "app.kubernetes.io/managed-by": "pulumi" });

/** The Traefik chart's values: access logs on (the lab watches ActivityPub go by), ports as k3s names them. */
export function traefikValues() {
  return {
    // Egress stays in the cluster: the version check could only fail, every cycle, in the logs.
    global: { checkNewVersion: false, sendAnonymousUsage: false },
    logs: { access: { enabled: true } },
    ingressClass: { enabled: true, isDefaultClass: true, name: "traefik" },
    providers: { kubernetesCRD: { enabled: true }, kubernetesIngress: { enabled: true } },
    // Uploads: a 99 MB video must get through, where Traefik v3 stops reading a request after 60 s.
    ports: { web: { port: TRAEFIK_PORTS.web }, websecure: { port: TRAEFIK_PORTS.websecure, transport: traefikEntryPointTransport() } },
    // A cluster without a load balancer (kind, kubeadm) never gives the Service an address: do
    // not hold `pulumi up` for it; the lab reaches Traefik through its cluster DNS name.
    service: { annotations: { "pulumi.com/skipAwait": "true" } },
  };
}

/** The installed Traefik's boundary: anyone may reach its entry points; it reaches the cluster, DNS and the API. */
export function traefikNetworkPolicySpec(config: MastodonPlatformConfig): k8s.types.input.networking.v1.NetworkPolicySpec {
  return {
    podSelector: { matchLabels: { "app.kubernetes.io/name": "traefik" } },
    policyTypes: ["Ingress", "Egress"],
    ingress: [{ ports: [{ protocol: "TCP", port: TRAEFIK_PORTS.web }, { protocol: "TCP", port: TRAEFIK_PORTS.websecure }] }],
    egress: [
      DNS_EGRESS,
      { to: [...config.clusterCidrs, ...(config.apiServerCidrs ?? [])].map((cidr) => ({ ipBlock: { cidr } })) },
    ],
  };
}

/**
 * The CloudNativePG operator's egress: DNS, the API server, and the cluster (the instance managers' status endpoint
 * on 8000 and PostgreSQL on 5432 of every instance pod). Ingress stays open: the API server calls its webhook.
 */
export function cloudNativePgOperatorNetworkPolicySpec(config: MastodonPlatformConfig): k8s.types.input.networking.v1.NetworkPolicySpec {
  return {
    podSelector: { matchLabels: CNPG_OPERATOR_POD_LABELS },
    policyTypes: ["Egress"],
    egress: [
      dnsEgress(config.dns),
      { to: [...config.clusterCidrs, ...(config.apiServerCidrs ?? [])].map((cidr) => ({ ipBlock: { cidr } })) },
    ],
  };
}

/** The `app.kubernetes.io/name` of every pod cert-manager's chart runs. */
export const CERT_MANAGER_PODS = ["cert-manager", "cainjector", "webhook", "startupapicheck"];

/**
 * Egress of cert-manager's pods, when the platform installs it and knows the API server:
 * DNS, the API server (all cert-manager talks to with a private CA) and the cluster; the internet too for
 * ACME (the ACME server, and the HTTP-01 self-check). Ingress stays open: the API server calls the webhook,
 * and kubelets probe the pods.
 */
export function certManagerNetworkPolicySpec(config: MastodonPlatformConfig): k8s.types.input.networking.v1.NetworkPolicySpec {
  return {
    // cert-manager's own pods only, as its chart labels them: the namespace may be shared with others.
    podSelector: { matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: CERT_MANAGER_PODS }] },
    policyTypes: ["Egress"],
    egress: [
      DNS_EGRESS,
      { to: [...config.clusterCidrs, ...(config.apiServerCidrs ?? []), ...(config.acmeEmail ? PUBLIC_CIDRS : [])].map((cidr) => ({ ipBlock: { cidr } })) },
    ],
  };
}

/**
 * What a cluster needs once, for any number of MastodonCluster instances: cert-manager, optionally
 * Traefik, and one ClusterIssuer (a private CA every instance trusts, or Let's Encrypt).
 */
export class MastodonPlatform extends pulumi.ComponentResource {
  /** Name of the ClusterIssuer instances use (`tls.issuerName`). */
  public readonly issuerName!: pulumi.Output<string>;
  /** Its kind: always "ClusterIssuer" (`tls.issuerKind`). */
  public readonly issuerKind!: pulumi.Output<string>;
  /** The shared private CA (PEM) instances trust (`tls.caCertificate`); empty with ACME. */
  public readonly caCertificate!: pulumi.Output<string>;
  /** Namespace of the ingress controller's pods (`ingress.controllerNamespace`). */
  public readonly ingressControllerNamespace!: pulumi.Output<string>;
  /** Cluster DNS name of the ingress controller's Service, where a lab's names should point. */
  public readonly ingressServiceHost!: pulumi.Output<string>;
  /**
   * The installed Traefik's Service addresses (its ClusterIPs), where a lab's names resolve: instances'
   * `ingress.controllerAddresses`. Empty without `installTraefik` (on k3s, read the kube-system/traefik Service).
   */
  public readonly ingressServiceAddresses!: pulumi.Output<string[]>;
  /** URL of the shared egress gateway (instances' `egressGateway.proxyUrl`); empty without one. */
  public readonly egressProxyUrl!: pulumi.Output<string>;
  /** Namespace of the shared egress gateway's pods (instances' `egressGateway.namespace`); empty without one. */
  public readonly egressGatewayNamespace!: pulumi.Output<string>;

  constructor(name: string, args: MastodonPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    const config = parsePlatformArgs(name, args);
    if (config.installCertManager) claimCertManager(`MastodonPlatform "${name}"`, "installCertManager", args.installCertManager, opts);
    super("mastodon:index:MastodonPlatform", name, {}, opts);
    const child = { parent: this };

    const manager = config.installCertManager ? certManager(`${name}-cert-manager`, config.certManagerNamespace, child) : undefined;
    const afterManager = { parent: this, dependsOn: manager ? [manager] : [] };
    if (manager && config.apiServerCidrs) {
      // The chart creates the namespace: the policy follows the release.
      new k8s.networking.v1.NetworkPolicy(`${name}-cert-manager-egress`, {
        metadata: { name: "cert-manager-egress", namespace: config.certManagerNamespace, labels: labels(name) },
        spec: certManagerNetworkPolicySpec(config),
      }, afterManager);
    }

    let issuerName: pulumi.Output<string>;
    let caCertificate: pulumi.Output<string>;
    if (config.acmeEmail) {
      const issuer = issuerResource(`${name}-acme`, "ClusterIssuer", { name: `${name}-acme`, labels: labels(name) },
        acmeIssuerSpec(config.acmeEmail, config.acmeServer, `${name}-acme-account`), afterManager);
      issuerName = issuer.metadata.name;
      caCertificate = pulumi.output("");
    } else {
      // A ClusterIssuer reads its CA from cert-manager's own namespace.
      const ca = privateRootCa(name, config.caCommonName, child);
      const secret = new k8s.core.v1.Secret(`${name}-ca`, {
        metadata: { name: `${name}-ca`, namespace: config.certManagerNamespace, labels: labels(name) },
        type: "kubernetes.io/tls",
        stringData: { "tls.crt": ca.cert.certPem, "tls.key": ca.key.privateKeyPem, "ca.crt": ca.cert.certPem },
      }, afterManager);
      const issuer = issuerResource(`${name}-ca`, "ClusterIssuer", { name: `${name}-ca`, labels: labels(name) },
        { ca: { secretName: secret.metadata.name } }, afterManager);
      issuerName = issuer.metadata.name;
      caCertificate = ca.cert.certPem;
    }

    // k3s's own Traefik, unless the platform installs one.
    let controllerNamespace = pulumi.output("kube-system");
    let serviceHost = pulumi.output("traefik.kube-system.svc.cluster.local");
    let serviceAddresses = pulumi.output<string[]>([]);
    if (config.installTraefik) {
      const namespace = new k8s.core.v1.Namespace(`${name}-traefik`, {
        metadata: { name: config.traefikNamespace, labels: labels(name) },
      }, child);
      new k8s.networking.v1.NetworkPolicy(`${name}-traefik`, {
        metadata: { name: "traefik", namespace: namespace.metadata.name, labels: labels(name) },
        spec: traefikNetworkPolicySpec(config),
      }, child);
      const chart = new k8s.helm.v4.Chart(`${name}-traefik`, {
        chart: "traefik",
        version: TRAEFIK_CHART_VERSION,
        repositoryOpts: { repo: TRAEFIK_CHART_REPO },
        namespace: namespace.metadata.name,
        values: traefikValues(),
      }, child);
      controllerNamespace = namespace.metadata.name;
      // The chart names its Service after the release, which helm.v4.Chart names after the resource.
      serviceHost = pulumi.interpolate`${name}-traefik.${namespace.metadata.name}.svc.cluster.local`;
      // Its addresses are the cluster's to choose: read once the chart has made the Service.
      const serviceId = pulumi.all([namespace.metadata.name, chart.resources]).apply(([ns]) => `${ns}/${name}-traefik`);
      const service = k8s.core.v1.Service.get(`${name}-traefik-service`, serviceId, { parent: this, dependsOn: [chart] });
      serviceAddresses = service.spec.clusterIPs;
    }

    // CloudNativePG's operator, cluster-wide: its CRDs come with the chart.
    if (config.installCloudNativePG) {
      const namespace = new k8s.core.v1.Namespace(`${name}-cloudnative-pg`, {
        metadata: { name: config.cloudNativePGNamespace, labels: labels(name) },
      }, child);
      const policy = new k8s.networking.v1.NetworkPolicy(`${name}-cloudnative-pg`, {
        metadata: { name: "cloudnative-pg", namespace: namespace.metadata.name, labels: labels(name) },
        spec: cloudNativePgOperatorNetworkPolicySpec(config),
      }, child);
      new k8s.helm.v4.Chart(`${name}-cloudnative-pg`, {
        chart: "cloudnative-pg",
        version: CLOUDNATIVEPG_CHART_VERSION,
        repositoryOpts: { repo: CLOUDNATIVEPG_CHART_REPO },
        namespace: namespace.metadata.name,
      }, { parent: this, dependsOn: [policy] });
    }

    // The shared egress gateway: Mastodon's web and sidekiq pods of any namespace may use it.
    let egressProxyUrl = pulumi.output("");
    let egressGatewayNamespace = pulumi.output("");
    if (config.egressGateway.enabled) {
      const namespace = new k8s.core.v1.Namespace(`${name}-egress-gateway`, {
        metadata: {
          name: config.egressGateway.namespace,
          labels: { ...labels(name), "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" },
        },
      }, child);
      const gateway = egressGatewayResources({
        name,
        namespace: namespace.metadata.name,
        podLabels: { "app.kubernetes.io/name": "egress-gateway", "app.kubernetes.io/instance": name },
        labels: labels(name),
        clients: [{
          namespaceSelector: {},
          podSelector: {
            matchLabels: { "app.kubernetes.io/name": "mastodon" },
            matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: ["web", "sidekiq"] }],
          },
        }],
        clusterCidrs: config.clusterCidrs,
        dns: config.dns,
      }, config.egressGateway, child);
      egressProxyUrl = gateway.proxyUrl;
      egressGatewayNamespace = namespace.metadata.name;
    }

    this.issuerName = issuerName;
    this.issuerKind = pulumi.output("ClusterIssuer");
    this.caCertificate = caCertificate;
    this.ingressControllerNamespace = controllerNamespace;
    this.ingressServiceHost = serviceHost;
    this.ingressServiceAddresses = serviceAddresses;
    this.egressProxyUrl = egressProxyUrl;
    this.egressGatewayNamespace = egressGatewayNamespace;
    this.registerOutputs({
      issuerName: this.issuerName,
      issuerKind: this.issuerKind,
      caCertificate: this.caCertificate,
      ingressControllerNamespace: this.ingressControllerNamespace,
      ingressServiceHost: this.ingressServiceHost,
      ingressServiceAddresses: this.ingressServiceAddresses,
      egressProxyUrl: this.egressProxyUrl,
      egressGatewayNamespace: this.egressGatewayNamespace,
    });
  }
}
