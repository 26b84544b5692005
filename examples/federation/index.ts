/**
 * An isolated fediverse lab: two Mastodon instances, one.fediverse.test and two.fediverse.test, in
 * one cluster, federating with each other over HTTPS and with nothing else.
 *
 *   MastodonPlatform "lab"   cert-manager, one private-CA ClusterIssuer both instances trust,
 *                            and Traefik when the cluster has none (`installTraefik`)
 *   coredns-custom           *.fediverse.test → CNAME to the Traefik Service (dns.ts)
 *   Mailpit                  catches the instances' mail in namespace `mail` (mailpit.ts)
 *   MastodonCluster one/two  egress limited to the cluster CIDRs (the components' default); Mastodon may
 *                            fetch from one private address only, the Traefik Service's (the other instance)
 *
 * Stack config: `installTraefik` (default false: k3s's Traefik), `apiServerCidrs` (required with
 * installTraefik, e.g. `pulumi config set --path 'apiServerCidrs[0]' 172.18.0.2/32`), `version`
 * (a Mastodon release tag; default: the component's).
 */
import * as pulumi from "@pulumi/pulumi";
import { MastodonCluster, MastodonPlatform } from "../../provider";
import { labDns } from "./dns";
import { MAILPIT_HOST, MAILPIT_PORTS, mailpit } from "./mailpit";
import { k3sTraefikAccessLogs, k3sTraefikAddresses } from "./traefik";

const LAB_DOMAIN = "fediverse.test";
const PLATFORM_NAME = "lab";

const config = new pulumi.Config();
const installTraefik = config.getBoolean("installTraefik") ?? false;
const apiServerCidrs = config.getObject<string[]>("apiServerCidrs");
const version = config.get("version");

const platform = new MastodonPlatform(PLATFORM_NAME, { installTraefik, ...(apiServerCidrs ? { apiServerCidrs } : {}) });
if (!installTraefik) k3sTraefikAccessLogs();
// Where the lab's names resolve (the Traefik Service): the one private address Mastodon may fetch from.
const ingressAddresses = installTraefik ? platform.ingressServiceAddresses : k3sTraefikAddresses();

labDns(LAB_DOMAIN, platform.ingressServiceHost);
mailpit();

function instance(name: string): MastodonCluster {
  return new MastodonCluster(name, {
    domain: `${name}.${LAB_DOMAIN}`,
    ...(version ? { version } : {}),
    tls: { issuerName: platform.issuerName, caCertificate: platform.caCertificate },
    ingress: { controllerNamespace: platform.ingressControllerNamespace, controllerAddresses: ingressAddresses },
    smtp: { server: MAILPIT_HOST, port: MAILPIT_PORTS.smtp },
  });
}
const one = instance("one");
const two = instance("two");

export const oneUrl = one.url;
export const oneAdminCommand = one.adminCommand;
export const twoUrl = two.url;
export const twoAdminCommand = two.adminCommand;
/** The lab CA (PEM): `pulumi stack output caCertificate > lab-ca.pem`, then `curl --cacert lab-ca.pem`. */
export const caCertificate = platform.caCertificate;
/** Where to port-forward to reach both instances from outside the cluster ("namespace/name"). */
export const ingressService = platform.ingressServiceHost.apply((host) => {
  const [service, namespace] = host.split(".");
  return `${namespace}/${service}`;
});
