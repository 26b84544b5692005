/** MastodonPlatform's args: their zod schema and parsePlatformArgs, for the cluster-wide parts instances share. */
import { z } from "zod";
import { InvalidArgsError, parseOrThrow } from "../validation";
import type { MastodonPlatformArgs } from "./contract";
import { DEFAULT_CLUSTER_CIDRS, LETS_ENCRYPT_SERVER, MAX_NAME_LENGTH } from "./defaults";
import { K8S_LABEL, cidr, clusterDns, egressGatewayOptions, k8sName, nonEmpty, strict } from "./fields";
import { issue } from "./rules";

function platformObject(name: string) {
  const component = `MastodonPlatform "${name}"`;
  const cidrs = z.array(z.string({ error: "a CIDR such as 10.42.0.0/16 or fd00:10:42::/56" }).refine(cidr, { error: "a CIDR such as 10.42.0.0/16 or fd00:10:42::/56" }), { error: "a list of CIDRs" });
  return {
    component,
    schema: strict({
      installCertManager: z.boolean({ error: "true or false" }).default(true),
      certManagerNamespace: k8sName.default("cert-manager"),
      installCloudNativePG: z.boolean({ error: "true or false" }).default(false),
      cloudNativePGNamespace: k8sName.default("cnpg-system"),
      installTraefik: z.boolean({ error: "true or false" }).default(false),
      traefikNamespace: k8sName.default("traefik"),
      apiServerCidrs: cidrs.optional(),
      clusterCidrs: cidrs.min(1, { error: "at least one CIDR" }).default(DEFAULT_CLUSTER_CIDRS),
      caCommonName: nonEmpty("a certificate common name").default("Mastodon lab CA"),
      acmeEmail: z.string({ error: "an email address" }).regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, { error: "an email address" }).optional(),
      acmeServer: z.url({ error: "an ACME directory URL" }).optional(),
      egressGateway: strict({
        enabled: z.boolean({ error: "true or false" }).default(false),
        namespace: k8sName.default("egress-gateway"),
        ...egressGatewayOptions,
      }).prefault({}),
      dns: clusterDns,
    }).superRefine((a, ctx) => {
      if (a.installTraefik && (a.apiServerCidrs === undefined || a.apiServerCidrs.length === 0)) {
        issue(ctx, ["apiServerCidrs"], a.apiServerCidrs, "the API server's addresses (e.g. the k3s server node's IP/32) when installTraefik is true: Traefik's egress-isolated pods must watch the API");
      }
      if (a.installCloudNativePG && (a.apiServerCidrs === undefined || a.apiServerCidrs.length === 0)) {
        issue(ctx, ["apiServerCidrs"], a.apiServerCidrs, "the API server's addresses (e.g. the k3s server node's IP/32) when installCloudNativePG is true: the operator's egress-isolated pods must watch the API");
      }
      if (a.acmeServer !== undefined && a.acmeEmail === undefined) {
        issue(ctx, ["acmeServer"], a.acmeServer, "nothing unless acmeEmail is set");
      }
    }),
  };
}

export type MastodonPlatformConfig = z.output<ReturnType<typeof platformObject>["schema"]> & { acmeServer: string; name: string };

/** Validates the args of the MastodonPlatform named `name`; throws one error naming every bad field. */
export function parsePlatformArgs(name: string, args: MastodonPlatformArgs): MastodonPlatformConfig {
  const { component, schema } = platformObject(name);
  if (!K8S_LABEL.test(name) || name.length > MAX_NAME_LENGTH) {
    throw new InvalidArgsError(component, [`name: got ${JSON.stringify(name)}; expected lowercase letters, digits and '-', starting with a letter, at most ${MAX_NAME_LENGTH} characters`]);
  }
  const parsed = parseOrThrow(component, schema, args ?? {});
  return { ...parsed, name, acmeServer: parsed.acmeServer ?? LETS_ENCRYPT_SERVER };
}
