/**
 * The lab's DNS: every name under the lab's domain (one.fediverse.test, two.fediverse.test, ...)
 * resolves, inside the cluster, to the Traefik Service, so each instance reaches the other through
 * the ingress controller with real HTTPS, as two servers on the internet would.
 *
 * k3s's CoreDNS imports extra server blocks from the ConfigMap `coredns-custom` in kube-system
 * (every key ending in `.server`; the Corefile says `import /etc/coredns/custom/*.server`).
 *
 * Why a `template` answer with a CNAME, and not the alternatives:
 * - `rewrite name ... traefik.kube-system.svc.cluster.local` rewrites the question inside CoreDNS;
 *   the answer then has to be rewritten back, and Mastodon's Ruby resolver mishandled such a
 *   rewrite-based answer in the seed lab (federation lookups failed). A template answers the name
 *   asked with an ordinary CNAME, and CoreDNS resolves the CNAME's target itself (the template
 *   plugin looks A/AAAA targets up through its own server, where the kubernetes plugin answers),
 *   so the client gets the whole chain, name → Service name → ClusterIP, in one standard response.
 * - `hostAliases` would write the Traefik Service's ClusterIP into /etc/hosts of every Mastodon
 *   pod: that address is only known after the Service is created, differs per cluster, and goes
 *   stale if the Service is ever recreated; the component's pod specs are not ours to edit either.
 *   A CNAME to the Service's DNS name follows whatever address the Service has.
 *
 * Both of Mastodon's resolvers get the same answer this way. Ruby (web, sidekiq, the Jobs: federation
 * requests, WebFinger, link previews) resolves through its own Resolv::DNS client, reading the pod's
 * /etc/resolv.conf and following CNAME chains in the response; Node (streaming) resolves through libc's
 * getaddrinfo, which reads the same resolv.conf. Both therefore ask the cluster DNS, and an ordinary
 * CNAME + A answer is what both handle; /etc/hosts entries, by contrast, Ruby's Resolv::DNS never reads.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export const COREDNS_CUSTOM = { name: "coredns-custom", namespace: "kube-system" };

/**
 * A CoreDNS server block answering every name under `zone` (not `zone` itself) with a CNAME to
 * `target`, a fully qualified name such as "traefik.kube-system.svc.cluster.local".
 */
export function corednsServerBlock(zone: string, target: string): string {
  const escapedZone = zone.replace(/\./g, "\\.");
  return [
    `${zone}:53 {`,
    "    errors",
    "    cache 30",
    // ANY type: a name with a CNAME has no other records, whatever type is asked.
    `    template IN ANY ${zone} {`,
    `        match "^([a-z0-9-]+\\.)+${escapedZone}\\.$"`,
    `        answer "{{ .Name }} 60 IN CNAME ${target}."`,
    "    }",
    "}",
    "",
  ].join("\n");
}

/**
 * The `coredns-custom` ConfigMap with the lab's server block. k3s's CoreDNS reads it when it
 * starts: after the first `pulumi up`, `kubectl -n kube-system rollout restart deployment coredns`.
 */
export function labDns(zone: string, target: pulumi.Input<string>, opts: pulumi.CustomResourceOptions = {}): k8s.core.v1.ConfigMap {
  return new k8s.core.v1.ConfigMap(COREDNS_CUSTOM.name, {
    metadata: { ...COREDNS_CUSTOM, labels: { "app.kubernetes.io/part-of": "fediverse-lab", "app.kubernetes.io/managed-by": "pulumi" } },
    data: pulumi.output(target).apply((host) => ({ [`${zone}.server`]: corednsServerBlock(zone, host) })),
  }, opts);
}
