/**
 * The public internet as an exact address set: what an egress gateway may reach beyond the cluster CIDRs.
 *
 * Public means globally reachable unicast. Everything else is left out, whole: private (RFC 1918, IPv6 ULA
 * fc00::/7), loopback, link-local (169.254.0.0/16 holds the cloud metadata address 169.254.169.254; fe80::/10),
 * shared address space 100.64.0.0/10 (carrier-grade NAT, and where several clouds put internal services such as
 * Alibaba's metadata at 100.100.100.200), "this network", documentation, benchmarking and protocol-assignment
 * blocks, multicast and the reserved 240.0.0.0/4, from IANA's special-purpose address registries. For IPv6 only
 * the global unicast space 2000::/3 is public, less its special-purpose blocks (2001::/23, 2001:db8::/32, the 6to4
 * 2002::/16 that embeds any IPv4 address, 3fff::/20). Every address that leads back to IPv4 by another door is left
 * out: IPv4-mapped ::ffff:0:0/96, and NAT64's 64:ff9b::/96, which embeds any IPv4 address, 64:ff9b::10.0.0.1 as
 * well as 64:ff9b::8.8.8.8 (an IPv6-only cluster reaches the IPv4 fediverse through a dual-stack gateway instead).
 * The complement is short on purpose: the gateway's NetworkPolicy and its proxy rules list it in full.
 */
import { AddressSet, Cidr, difference, parseCidr, setOf, union } from "./cidr";

/** IPv4 blocks that are not public (IANA IPv4 special-purpose registry, multicast, reserved). */
export const NON_PUBLIC_IPV4: readonly string[] = [
  "0.0.0.0/8", // "this network"
  "10.0.0.0/8", // private (RFC 1918)
  "100.64.0.0/10", // shared address space (RFC 6598): carrier-grade NAT, cloud-internal services
  "127.0.0.0/8", // loopback
  "169.254.0.0/16", // link-local, cloud metadata (169.254.169.254)
  "172.16.0.0/12", // private (RFC 1918)
  "192.0.0.0/24", // IETF protocol assignments
  "192.0.2.0/24", // documentation (TEST-NET-1)
  "192.88.99.0/24", // deprecated 6to4 relay anycast
  "192.168.0.0/16", // private (RFC 1918)
  "198.18.0.0/15", // benchmarking
  "198.51.100.0/24", // documentation (TEST-NET-2)
  "203.0.113.0/24", // documentation (TEST-NET-3)
  "224.0.0.0/4", // multicast
  "240.0.0.0/4", // reserved, and the limited broadcast address
];

/** The IPv6 global unicast space, the only IPv6 space with public addresses. */
export const IPV6_GLOBAL_UNICAST = "2000::/3";

/** Blocks of 2000::/3 that are not public (IANA IPv6 special-purpose registry). */
export const NON_PUBLIC_IPV6_GLOBAL: readonly string[] = [
  "2001::/23", // IETF protocol assignments (Teredo, benchmarking, ORCHID...)
  "2001:db8::/32", // documentation
  "2002::/16", // 6to4, which embeds any IPv4 address
  "3fff::/20", // documentation
];

function mustParse(text: string): Cidr {
  const cidr = parseCidr(text);
  if (!cidr) throw new Error(`publicAddresses: ${text} is not a CIDR`);
  return cidr;
}

const parseAll = (texts: readonly string[]) => setOf(texts.map(mustParse));

/** Every public address, IPv4 and IPv6. */
export const PUBLIC: AddressSet = union(
  difference(parseAll(["0.0.0.0/0"]), parseAll(NON_PUBLIC_IPV4)),
  difference(parseAll([IPV6_GLOBAL_UNICAST]), parseAll(NON_PUBLIC_IPV6_GLOBAL)),
);

/** Every address that is not public. */
export const NON_PUBLIC: AddressSet = difference(parseAll(["0.0.0.0/0", "::/0"]), PUBLIC);
