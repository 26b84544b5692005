/**
 * The building blocks of the zod schemas: one validator per kind of value (a DNS name, a CIDR, a
 * quantity, a cron schedule...), each with the sentence a user reads when a value is refused.
 */
import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import { DEFAULT_RESOURCES, ResourceProfile, SQUID_IMAGE } from "./defaults";

export const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;
/** A DNS-1035 label: what Kubernetes accepts as a Service name. */
export const K8S_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
export const QUANTITY = /^([+]?[0-9.]+)([eE][-+]?[0-9]+|[mkMGTPE]|[KMGTPE]i)?$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
export const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
export const QUEUE_ENTRY = /^([a-z_]+)(,([1-9][0-9]*))?$/;
/** An S3 bucket name as AWS allows new ones (3 to 63 characters). */
export const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
export const S3_BUCKET_EXPECTED = "a bucket name: 3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit";
/** A key prefix of safe characters (AWS's "safe" set), not starting with '/' nor holding "..". */
export const S3_PREFIX = /^(?!\/)(?!.*\.\.)[A-Za-z0-9!_.*'()\/-]{0,512}$/;
export const S3_PREFIX_EXPECTED = "a key prefix of letters, digits and !_.*'()/- (not starting with '/', no '..'), such as \"mastodon/social/\"";

/** An object that refuses unknown keys, naming the keys it knows. */
export function strict<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? `expected only ${known}` : "an object"),
  });
}

/**
 * A map of strings whose keys are checked one by one: `keyProblem` returns what is expected of a
 * bad key (zod's own record check would report the map, not the key).
 */
export function stringMap(what: string, keyProblem: (key: string) => string | undefined, valuePattern = /^/, valueExpected = "a string value") {
  return z.record(z.string(), z.string({ error: valueExpected }).regex(valuePattern, { error: valueExpected }), { error: what })
    .superRefine((map, ctx) => {
      for (const key of Object.keys(map)) {
        const expected = keyProblem(key);
        if (expected) ctx.addIssue({ code: "custom", path: [key], input: key, message: expected });
      }
    });
}

export const positiveInt = (what: string) => z.number({ error: `${what}: a whole number ≥ 1` }).int({ error: `${what}: a whole number ≥ 1` }).min(1, { error: `${what}: a whole number ≥ 1` });
export const port = z.number({ error: "a port number from 1 to 65535" }).int({ error: "a port number from 1 to 65535" }).min(1, { error: "a port number from 1 to 65535" }).max(65535, { error: "a port number from 1 to 65535" });
export const nonEmpty = (what: string) => z.string({ error: what }).min(1, { error: what });
export const quantity = (what: string) => z.string({ error: `a ${what} quantity such as ${what === "CPU" ? '"250m" or "1"' : '"512Mi" or "1Gi"'}` }).regex(QUANTITY, { error: `a ${what} quantity such as ${what === "CPU" ? '"250m" or "1"' : '"512Mi" or "1Gi"'}` });
export const storageSize = quantity("memory").optional();
/** True for an IP address, or a name whose last label is all digits (no top-level domain is: RFC 3696). */
export function looksLikeAddress(host: string): boolean {
  return ipaddr.isValid(host) || /(^|\.)\d+$/.test(host);
}
export const dnsName = z.string({ error: "a lowercase DNS name such as social.example" })
  .regex(DNS_NAME, { error: "a lowercase DNS name such as social.example" })
  .refine((host) => !looksLikeAddress(host), { error: "a DNS name such as social.example, not an IP address: handles (user@domain) and TLS certificates need a name", abort: true });
export const image = z.string({ error: "an image reference such as registry/repository:tag" }).regex(/^[a-z0-9][a-z0-9._\-/:@]*$/, { error: "an image reference such as registry/repository:tag" });
export const repository = z.string({ error: "an image repository without a tag, such as ghcr.io/mastodon/mastodon" }).regex(/^[a-z0-9][a-z0-9._\-/]*(:[0-9]+\/[a-z0-9._\-/]+)?$/, { error: "an image repository without a tag, such as ghcr.io/mastodon/mastodon" });
export const k8sName = z.string({ error: "a Kubernetes name: lowercase letters, digits and '-', starting with a letter, at most 63 characters" }).max(63, { error: "a Kubernetes name of at most 63 characters" }).regex(K8S_LABEL, { error: "a Kubernetes name: lowercase letters, digits and '-', starting with a letter" });

export function cidr(value: string): boolean {
  try {
    ipaddr.parseCIDR(value);
    return value.includes("/");
  } catch {
    return false;
  }
}

/**
 * An IP address or a CIDR, as Mastodon's ALLOWED_PRIVATE_ADDRESSES reads them (Ruby's IPAddr.new): IPv4 in
 * dotted decimal only, since IPAddr refuses the short and hexadecimal forms ipaddr.js accepts.
 */
export function addressOrCidr(value: string): boolean {
  const [address, bits, ...rest] = value.split("/");
  if (rest.length > 0 || !(ipaddr.IPv4.isValidFourPartDecimal(address) || (address.includes(":") && ipaddr.IPv6.isValid(address)))) return false;
  return bits === undefined || cidr(value);
}
export const ADDRESS_OR_CIDR = "an IP address or CIDR such as 10.43.0.10 or fd00:10:43::/112";
export const addressList = z.array(z.string({ error: ADDRESS_OR_CIDR }).refine(addressOrCidr, { error: ADDRESS_OR_CIDR }), { error: `a list of IP addresses or CIDRs` });

/** Requests and limits as given, before the profile fills what is missing. */
export const resourceOverrides = strict({
  requests: strict({ cpu: quantity("CPU").optional(), memory: quantity("memory").optional() }).optional(),
  limits: strict({ cpu: quantity("CPU").optional(), memory: quantity("memory").optional() }).optional(),
});
export type ResourceOverrides = z.output<typeof resourceOverrides>;

/** The profile `d` with the values given in `r`. */
export function withProfile(r: ResourceOverrides | undefined, d: ResourceProfile): ResourceProfile {
  return {
    requests: { cpu: r?.requests?.cpu ?? d.requests.cpu, memory: r?.requests?.memory ?? d.requests.memory },
    limits: { cpu: r?.limits?.cpu ?? d.limits.cpu, memory: r?.limits?.memory ?? d.limits.memory },
  };
}

export const resources = (d: ResourceProfile) => resourceOverrides.optional().transform((r): ResourceProfile => withProfile(r, d));

export const domainList = z.array(z.string({ error: "a domain such as example.social" }).regex(DNS_NAME, { error: "a lowercase domain such as example.social" }), { error: "a list of domains" });

/** An egress gateway's own settings, with their defaults. */
export const egressGatewayOptions = {
  replicas: z.number({ error: "a whole number ≥ 1" }).int({ error: "a whole number ≥ 1" }).min(1, { error: "a whole number ≥ 1" }).default(1),
  image: image.default(SQUID_IMAGE),
  resources: resources(DEFAULT_RESOURCES.egressGateway),
  blockedDomains: domainList.default([]),
  allowedDomains: domainList.default([]),
};

export const clusterDns = strict({
  namespace: k8sName.default("kube-system"),
  podLabels: stringMap("a map of label keys to values", (key) => (LABEL_KEY.test(key) ? undefined : "a label key such as k8s-app"), LABEL_VALUE, "a label value (letters, digits, '-', '_', '.')")
    .refine((m) => Object.keys(m).length > 0, { error: "at least one label" })
    .default({ "k8s-app": "kube-dns" }),
  port: z.number({ error: "a port number from 1 to 65535" }).int({ error: "a port number from 1 to 65535" }).min(1, { error: "a port number from 1 to 65535" }).max(65535, { error: "a port number from 1 to 65535" }).default(53),
  cidrs: z.array(z.string({ error: "a CIDR such as 169.254.20.10/32" }).refine(cidr, { error: "a CIDR such as 169.254.20.10/32" }), { error: "a list of CIDRs" }).default([]),
}).prefault({});

export const CRON = /^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|[0-9*,/?A-Za-z-]+(\s+[0-9*,/?A-Za-z-]+){4})$/;
export const cronSchedule = z.string({ error: 'a cron schedule such as "30 3 * * *" or "@weekly"' }).trim().regex(CRON, { error: 'a cron schedule such as "30 3 * * *" or "@weekly"' });
/** Mastodon's username rule for local accounts (Account::USERNAME_RE, 30 characters at most). */
export const MASTODON_USERNAME = /^[a-z0-9_]+([a-z0-9_.-]+[a-z0-9_]+)?$/i;
export const wholeNumber = (what: string, min: number, max: number) => {
  const error = `${what} from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
