/**
 * TLS from cert-manager, four ways:
 *   - default, a private CA of the instance's own: a self-signed root generated once in the stack's
 *     state (@pulumi/tls), handed to a namespaced cert-manager CA Issuer that signs the instance's
 *     Certificate. The root is generated here rather than by a cert-manager SelfSigned issuer so
 *     that its PEM is known to the program: every Mastodon pod must trust it, and Pulumi can hand it
 *     to other instances and to users (output `caCertificate`);
 *   - `tls.issuerName`: an existing Issuer/ClusterIssuer (a MastodonPlatform's shared CA or ACME);
 *   - `tls.acmeEmail`: a namespaced ACME Issuer (Let's Encrypt), HTTP-01 through Traefik;
 *   - `tls.secretName`: an existing kubernetes.io/tls Secret; no Certificate.
 * Certificates carry `pulumi.com/waitFor: condition=Ready`: `pulumi up` waits until they are issued.
 */
import * as k8s from "@pulumi/kubernetes";
import * as certmanager from "@pulumi/kubernetes-cert-manager";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { MastodonConfig } from "./args";
import { BuildContext, childOpts } from "./context";
import { instanceLabels } from "./names";

/** cert-manager's chart, pinned; its CRDs are installed with it. */
export const CERT_MANAGER_CHART_VERSION = "v1.21.0";
export const CERT_MANAGER_NAMESPACE = "cert-manager";

export function certManager(name: string, namespace: string, opts: pulumi.ComponentResourceOptions): certmanager.CertManager {
  return new certmanager.CertManager(name, {
    installCRDs: true,
    helmOptions: { namespace, createNamespace: true, version: CERT_MANAGER_CHART_VERSION },
  }, opts);
}

/** A private root CA, generated once and kept in the stack's state. */
export function privateRootCa(name: string, commonName: pulumi.Input<string>, opts: pulumi.CustomResourceOptions) {
  const key = new tls.PrivateKey(`${name}-ca`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, opts);
  const cert = new tls.SelfSignedCert(`${name}-ca`, {
    privateKeyPem: key.privateKeyPem,
    isCaCertificate: true,
    subject: { commonName, organization: "pulumi-mastodon" },
    // Ten years: a lab CA should not expire under a running fediverse.
    validityPeriodHours: 24 * 365 * 10,
    earlyRenewalHours: 24 * 30,
    allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
  }, opts);
  return { key, cert };
}

/** A cert-manager issuer object (the CRD has no Pulumi class: a CustomResource). */
export function issuerResource(
  resourceName: string,
  kind: "Issuer" | "ClusterIssuer",
  metadata: k8s.types.input.meta.v1.ObjectMeta,
  spec: Record<string, unknown>,
  opts: pulumi.CustomResourceOptions,
) {
  return new k8s.apiextensions.CustomResource(resourceName, { apiVersion: "cert-manager.io/v1", kind, metadata, spec }, opts);
}

/** An ACME issuer solving HTTP-01 through Traefik. */
export function acmeIssuerSpec(email: string, server: string, privateKeySecretName: string) {
  return {
    acme: {
      email,
      server,
      privateKeySecretRef: { name: privateKeySecretName },
      solvers: [{ http01: { ingress: { ingressClassName: "traefik" } } }],
    },
  };
}

export interface InstanceTls {
  /** The Secret that holds the instance's certificate. */
  secretName: pulumi.Input<string>;
  /** The CA every Mastodon pod trusts, when a private CA is involved. */
  caCertificate?: pulumi.Output<string>;
  /** What the routes wait for (the Certificate), if anything. */
  certificate?: k8s.apiextensions.CustomResource;
}

/** Whether an instance installs cert-manager itself: by default when it issues its own certificate. */
export function installsCertManager(t: MastodonConfig["tls"]): boolean {
  if (t.secretName) return false;
  return t.installCertManager ?? t.issuerName === undefined;
}

export function instanceTls(ctx: BuildContext, hostNames: pulumi.Input<string>[]): InstanceTls {
  const { name, namespace, config } = ctx;
  const t = config.tls;
  const caTrust = t.caCertificate === undefined ? undefined : pulumi.output(t.caCertificate);
  if (t.secretName) return { secretName: t.secretName, caCertificate: caTrust };

  const manager = installsCertManager(t) ? certManager(`${name}-cert-manager`, CERT_MANAGER_NAMESPACE, { parent: ctx.opts.parent }) : undefined;
  const afterManager = childOpts(ctx, { dependsOn: manager ? [manager] : [] });

  let issuerRef: { name: pulumi.Input<string>; kind: string };
  let caCertificate = caTrust;
  if (t.acmeEmail) {
    const issuer = issuerResource(`${name}-acme`, "Issuer", { name: `${name}-acme`, namespace, labels: instanceLabels(name) },
      acmeIssuerSpec(t.acmeEmail, t.acmeServer, `${name}-acme-account`), afterManager);
    issuerRef = { name: issuer.metadata.name, kind: "Issuer" };
  } else if (t.issuerName !== undefined) {
    issuerRef = { name: t.issuerName, kind: t.issuerKind };
  } else {
    const ca = privateRootCa(name, pulumi.interpolate`${config.domain} CA`, ctx.opts);
    const caSecret = new k8s.core.v1.Secret(`${name}-ca`, {
      metadata: { name: `${name}-ca`, namespace, labels: instanceLabels(name) },
      type: "kubernetes.io/tls",
      stringData: { "tls.crt": ca.cert.certPem, "tls.key": ca.key.privateKeyPem, "ca.crt": ca.cert.certPem },
    }, childOpts(ctx));
    const issuer = issuerResource(`${name}-ca`, "Issuer", { name: `${name}-ca`, namespace, labels: instanceLabels(name) },
      { ca: { secretName: caSecret.metadata.name } }, afterManager);
    issuerRef = { name: issuer.metadata.name, kind: "Issuer" };
    caCertificate = caTrust ?? ca.cert.certPem;
  }

  const secretName = `${name}-tls`;
  const certificate = new k8s.apiextensions.CustomResource(`${name}-tls`, {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: {
      name: secretName,
      namespace,
      labels: instanceLabels(name),
      annotations: { "pulumi.com/waitFor": "condition=Ready" },
    },
    spec: {
      secretName,
      dnsNames: hostNames,
      issuerRef: { ...issuerRef, group: "cert-manager.io" },
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
    },
  }, afterManager);
  return { secretName, caCertificate, certificate };
}
