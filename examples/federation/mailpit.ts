/**
 * The lab's mail catcher: Mailpit (SMTP on 1025, web UI and API on 8025) in namespace `mail`, so
 * that confirmation and notification mails of both instances stay in the cluster and can be read
 * (`kubectl -n mail port-forward svc/mailpit 8025`, then http://localhost:8025).
 *
 * It is fenced like the instances: the namespace enforces Pod Security "restricted", the pod runs
 * as non-root with a read-only root filesystem, and NetworkPolicies deny everything but SMTP and
 * HTTP from pods of the cluster and DNS out, so the stack still passes the policy pack.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/** Pinned: a catcher that changes under the lab is one more moving part. */
export const MAILPIT_IMAGE = "docker.io/axllent/mailpit:v1.27.11";
export const MAIL_NAMESPACE = "mail";
export const MAILPIT_PORTS = { smtp: 1025, http: 8025 };
/** What each instance's `smtp.server` names: the Service `mailpit` in namespace `mail`. */
export const MAILPIT_HOST = `mailpit.${MAIL_NAMESPACE}`;

/** Mailpit's image runs as root unless told otherwise; any non-root uid works (its data is an emptyDir). */
const MAILPIT_UID = 1000;
const labels = { "app.kubernetes.io/name": "mailpit", "app.kubernetes.io/part-of": "fediverse-lab", "app.kubernetes.io/managed-by": "pulumi" };
const selector = { "app.kubernetes.io/name": "mailpit" };

/** Mailpit's Deployment, Service and NetworkPolicies; returns the Service. */
export function mailpit(opts: pulumi.CustomResourceOptions = {}): k8s.core.v1.Service {
  const namespace = new k8s.core.v1.Namespace(MAIL_NAMESPACE, {
    metadata: {
      name: MAIL_NAMESPACE,
      labels: { ...labels, "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" },
    },
  }, opts).metadata.name;

  // The fence exists before the pod starts: deny all, then allow SMTP/HTTP in and DNS out.
  const policies = [
    new k8s.networking.v1.NetworkPolicy("mail-default-deny", {
      metadata: { name: "default-deny", namespace, labels },
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    }, opts),
    new k8s.networking.v1.NetworkPolicy("mailpit", {
      metadata: { name: "mailpit", namespace, labels },
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ["Ingress", "Egress"],
        // From any pod of the cluster (an empty namespaceSelector): the instances' web and sidekiq pods.
        ingress: [{
          from: [{ namespaceSelector: {} }],
          ports: [{ protocol: "TCP", port: MAILPIT_PORTS.smtp }, { protocol: "TCP", port: MAILPIT_PORTS.http }],
        }],
        egress: [{
          to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
          ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
        }],
      },
    }, opts),
  ];

  const securityContext = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
  };
  new k8s.apps.v1.Deployment("mailpit", {
    metadata: { name: "mailpit", namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: MAILPIT_UID,
            runAsGroup: MAILPIT_UID,
            fsGroup: MAILPIT_UID,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [{
            name: "mailpit",
            image: MAILPIT_IMAGE,
            env: [
              { name: "MP_DATABASE", value: "/data/mailpit.db" },
              { name: "MP_MAX_MESSAGES", value: "1000" },
              // Egress is closed: no release check against GitHub.
              { name: "MP_DISABLE_VERSION_CHECK", value: "true" },
            ],
            ports: [
              { name: "smtp", containerPort: MAILPIT_PORTS.smtp, protocol: "TCP" },
              { name: "http", containerPort: MAILPIT_PORTS.http, protocol: "TCP" },
            ],
            readinessProbe: { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 5 },
            livenessProbe: { httpGet: { path: "/livez", port: "http" }, periodSeconds: 20 },
            resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
            securityContext,
            volumeMounts: [{ name: "data", mountPath: "/data" }],
          }],
          volumes: [{ name: "data", emptyDir: { sizeLimit: "256Mi" } }],
        },
      },
    },
  }, { ...opts, dependsOn: policies });

  return new k8s.core.v1.Service("mailpit", {
    metadata: { name: "mailpit", namespace, labels },
    spec: {
      selector,
      ports: [
        { name: "smtp", port: MAILPIT_PORTS.smtp, targetPort: "smtp", protocol: "TCP" },
        { name: "http", port: MAILPIT_PORTS.http, targetPort: "http", protocol: "TCP" },
      ],
    },
  }, opts);
}
