/**
 * One Mastodon instance with every default, on the cluster of the current kubeconfig context:
 * the program of the repository's root stack (Pulumi.yaml). The domain comes from stack config
 * (`pulumi config set domain social.lab`); it must never change once the instance has started.
 * `pulumi config set egressGateway true` makes it public, through its own egress gateway.
 */
import * as pulumi from "@pulumi/pulumi";
import { MastodonCluster } from "../../provider";

const config = new pulumi.Config();
const social = new MastodonCluster("social", {
  domain: config.get("domain") ?? "social.example",
  // A public instance: federates through its own egress gateway (deploy with policy-config.public.json).
  egressGateway: config.getBoolean("egressGateway") ? { enabled: true } : undefined,
});

export const url = social.url;
export const namespace = social.namespace;
export const webServiceName = social.webServiceName;
export const streamingServiceName = social.streamingServiceName;
export const tlsSecretName = social.tlsSecretName;
export const caCertificate = social.caCertificate;
export const version = social.version;
export const adminCommand = social.adminCommand;
export const adminPassword = social.adminPassword;
export const restoreCommand = social.restoreCommand;
export const secretsExport = social.secretsExport;
