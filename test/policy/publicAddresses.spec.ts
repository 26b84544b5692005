import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import * as ipaddr from "ipaddr.js";
import { AddressSet, formatCidr, intersection, isEmpty, isSubset, parseCidr, setOf, toCidrs, union } from "../../policy/cidr";
import { NON_PUBLIC, NON_PUBLIC_IPV4, PUBLIC } from "../../policy/publicAddresses";

function set(...cidrs: string[]): AddressSet {
  return setOf(cidrs.map((c) => {
    const parsed = parseCidr(c);
    assert.ok(parsed, c);
    return parsed;
  }));
}

function isPublic(address: string): boolean {
  return isSubset(set(`${address}/${address.includes(":") ? 128 : 32}`), PUBLIC);
}

/**
 * An independent reading of "public", from ipaddr.js's own table of special ranges: IPv4 unicast (AS112 and AMT
 * relays are globally reachable), IPv6 unicast inside 2000::/3 (AS112's 2620:4f:8000::/48 too).
 */
function publicByIpaddr(address: string): boolean {
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv4") return ["unicast", "as112", "amt"].includes(parsed.range());
  const v6 = parsed as ipaddr.IPv6;
  if (!v6.match(ipaddr.parseCIDR("2000::/3") as [ipaddr.IPv6, number])) return false;
  const range = v6.range();
  return range === "unicast" || (range === "as112v6" && !v6.match(ipaddr.parseCIDR("2001::/23") as [ipaddr.IPv6, number]));
}

describe("policy/publicAddresses", () => {
  it("splits the whole address space into public and non-public, with nothing in both", () => {
    assert.ok(isEmpty(intersection(PUBLIC, NON_PUBLIC)));
    assert.deepEqual(union(PUBLIC, NON_PUBLIC), set("0.0.0.0/0", "::/0"));
  });

  const nonPublic: Array<[string, string]> = [
    ["RFC 1918 10/8", "10.1.2.3"],
    ["RFC 1918 172.16/12", "172.31.255.255"],
    ["RFC 1918 192.168/16", "192.168.0.1"],
    ["loopback", "127.0.0.1"],
    ["the cloud metadata address", "169.254.169.254"],
    ["NodeLocal DNSCache's link-local address", "169.254.20.10"],
    ["carrier-grade NAT (and Alibaba's metadata at 100.100.100.200)", "100.100.100.200"],
    ["this network", "0.0.0.0"],
    ["documentation", "203.0.113.7"],
    ["multicast", "224.0.0.251"],
    ["broadcast", "255.255.255.255"],
    ["IPv6 loopback", "::1"],
    ["IPv6 unspecified", "::"],
    ["IPv6 unique local (fc00::/7)", "fd00:42::1"],
    ["IPv6 link-local", "fe80::1"],
    ["AWS's IPv6 metadata address (ULA)", "fd00:ec2::254"],
    ["IPv4-mapped loopback", "::ffff:127.0.0.1"],
    ["IPv4-mapped public address (another door to IPv4)", "::ffff:8.8.8.8"],
    ["NAT64 of a private address", "64:ff9b::10.0.0.1"],
    ["NAT64 of a public address (it embeds any IPv4 address)", "64:ff9b::8.8.8.8"],
    ["NAT64 of the metadata address", "64:ff9b::169.254.169.254"],
    ["local-use NAT64", "64:ff9b:1::1"],
    ["6to4 (embeds any IPv4 address)", "2002:a00:1::1"],
    ["Teredo", "2001::1"],
    ["IPv6 documentation", "2001:db8::1"],
    ["IPv6 multicast", "ff02::1"],
  ];
  for (const [what, address] of nonPublic) {
    it(`leaves out ${what} (${address})`, () => assert.equal(isPublic(address), false));
  }

  const publicOnes: Array<[string, string]> = [
    ["a public IPv4 address", "8.8.8.8"],
    ["the last address before 10/8", "9.255.255.255"],
    ["the first address after 10/8", "11.0.0.0"],
    ["the addresses around 172.16/12", "172.32.0.0"],
    ["a public IPv6 address", "2a01:4f8::1"],
  ];
  for (const [what, address] of publicOnes) {
    it(`holds ${what} (${address})`, () => assert.equal(isPublic(address), true));
  }

  it("is short enough to list in full: 15 IPv4 blocks, 7 IPv6 blocks", () => {
    assert.deepEqual(toCidrs({ v4: [], v6: NON_PUBLIC.v6 }).map(formatCidr), ["::/3", "2001::/23", "2001:db8::/32", "2002::/16", "3fff::/20", "4000::/2", "8000::/1"]);
    assert.equal(toCidrs({ v4: NON_PUBLIC.v4, v6: [] }).length, NON_PUBLIC_IPV4.length - 1, "224.0.0.0/4 and 240.0.0.0/4 merge");
  });

  describe("agrees with ipaddr.js's table of special ranges, address by address", () => {
    it("for IPv4", () => {
      fc.assert(
        fc.property(fc.ipV4(), (address) => assert.equal(isPublic(address), publicByIpaddr(address), address)),
        { numRuns: 20_000 },
      );
    });

    it("near every boundary of the IPv4 table", () => {
      for (const cidr of NON_PUBLIC_IPV4) {
        const parsed = parseCidr(cidr)!;
        const size = 1n << BigInt(32 - parsed.prefixLength);
        for (const value of [parsed.start - 1n, parsed.start, parsed.start + size - 1n, parsed.start + size]) {
          if (value < 0n || value > 0xffffffffn) continue;
          const address = [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join(".");
          assert.equal(isPublic(address), publicByIpaddr(address), address);
        }
      }
    });

    it("for IPv6, global unicast, NAT64 and IPv4-mapped included", () => {
      const nat64 = fc.ipV4().map((v4) => `64:ff9b::${v4}`);
      const mapped = fc.ipV4().map((v4) => `::ffff:${v4}`);
      const global = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 })
        .map((groups) => [0x2000 + (groups[0] % 0x2000), ...groups.slice(1)].map((g) => g.toString(16)).join(":"));
      fc.assert(
        fc.property(fc.oneof(fc.ipV6(), nat64, mapped, global), (address) => assert.equal(isPublic(address), publicByIpaddr(address), address)),
        { numRuns: 20_000 },
      );
    });
  });
});
