import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import {
  AddressSet,
  blockSet,
  Cidr,
  difference,
  EMPTY,
  formatCidr,
  intersection,
  isEmpty,
  isSubset,
  parseCidr,
  setOf,
  toCidrs,
  union,
} from "../../policy/cidr";

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  assert.ok(parsed, `${text} should parse`);
  return parsed;
}

function set(...texts: string[]): AddressSet {
  return setOf(texts.map(cidr));
}

function cidrTexts(s: AddressSet): string[] {
  return toCidrs(s).map(formatCidr);
}

const CLUSTER = set("10.42.0.0/16", "10.43.0.0/16");

describe("policy/cidr", () => {
  describe("parseCidr", () => {
    const accepted: Array<[string, string]> = [
      ["10.42.0.0/16", "10.42.0.0/16"],
      ["10.42.7.7/16", "10.42.0.0/16"],
      ["0.0.0.0/0", "0.0.0.0/0"],
      ["10.43.255.255/32", "10.43.255.255/32"],
      ["::/0", "::/0"],
      ["2001:0db8:0000::/32", "2001:db8::/32"],
      ["fd00:42::1/64", "fd00:42::/64"],
      ["::ffff:10.42.0.0/112", "::ffff:a2a:0/112"],
    ];
    for (const [text, canonical] of accepted) {
      it(`reads ${text} as ${canonical}`, () => {
        assert.equal(formatCidr(cidr(text)), canonical);
      });
    }

    const rejected = [
      "10.42.0.0/33",
      "2001:db8::/129",
      "10.42.0.0",
      "10.42/16",
      "010.42.0.0/16",
      "0xa.42.0.0/16",
      "10.42.0.0/016",
      "10.42.0.0/-1",
      "10.42.0.0/16/8",
      " 10.42.0.0/16",
      "fe80::1%eth0/64",
      "10.42.0.256/24",
      "",
      "/16",
    ];
    for (const text of rejected) {
      it(`rejects ${JSON.stringify(text)}`, () => {
        assert.equal(parseCidr(text), undefined);
      });
    }

    it("tells the two families apart, even for an IPv4-mapped IPv6 block", () => {
      assert.equal(cidr("10.42.0.0/16").family, 4);
      assert.equal(cidr("::ffff:10.42.0.0/112").family, 6);
    });
  });

  describe("the cluster-CIDR boundaries", () => {
    const cases: Array<[string, string[], boolean]> = [
      ["10.43.255.255/32", [], true],
      ["10.44.0.0/32", [], false],
      ["10.41.255.255/32", [], false],
      ["10.42.0.0/15", [], true],
      ["10.42.0.0/14", [], false],
      ["0.0.0.0/0", ["10.0.0.0/8"], false],
      ["10.0.0.0/8", ["10.0.0.0/11", "10.32.0.0/13", "10.40.0.0/15", "10.44.0.0/14", "10.48.0.0/12", "10.64.0.0/10", "10.128.0.0/9"], true],
      ["::ffff:10.42.0.0/112", [], false],
      ["::/0", [], false],
    ];
    for (const [block, except, inside] of cases) {
      it(`${block}${except.length ? ` except ${except.join(",")}` : ""} is ${inside ? "inside" : "outside"} 10.42.0.0/16 ∪ 10.43.0.0/16`, () => {
        assert.equal(isSubset(blockSet(cidr(block), except.map(cidr)), CLUSTER), inside);
      });
    }

    it("covers 10.42.0.0/15 only with both /16s, not with either alone", () => {
      const block = set("10.42.0.0/15");
      assert.equal(isSubset(block, set("10.42.0.0/16")), false);
      assert.equal(isSubset(block, set("10.43.0.0/16")), false);
      assert.equal(isSubset(block, set("10.43.0.0/16", "10.42.0.0/16")), true);
    });

    it("puts an IPv6 block inside only when IPv6 allowed ranges cover it", () => {
      const block = set("fd00:42::/64");
      assert.equal(isSubset(block, CLUSTER), false);
      assert.equal(isSubset(block, union(CLUSTER, set("fd00:42::/56"))), true);
      assert.equal(isSubset(set("10.42.1.0/24"), set("fd00:42::/56")), false);
    });

    it("ignores except entries of the other family", () => {
      const block = blockSet(cidr("10.42.0.0/16"), [cidr("::/0")]);
      assert.deepEqual(cidrTexts(block), ["10.42.0.0/16"]);
    });
  });

  describe("toCidrs", () => {
    it("lists 0.0.0.0/0 minus 10.0.0.0/8 as the eight blocks around it", () => {
      assert.deepEqual(cidrTexts(blockSet(cidr("0.0.0.0/0"), [cidr("10.0.0.0/8")])), [
        "0.0.0.0/5",
        "8.0.0.0/7",
        "11.0.0.0/8",
        "12.0.0.0/6",
        "16.0.0.0/4",
        "32.0.0.0/3",
        "64.0.0.0/2",
        "128.0.0.0/1",
      ]);
    });

    it("merges adjacent blocks: the two k3s /16s are 10.42.0.0/15", () => {
      assert.deepEqual(cidrTexts(intersection(set("0.0.0.0/0"), CLUSTER)), ["10.42.0.0/15"]);
    });

    it("keeps non-adjacent blocks apart and lists IPv4 before IPv6", () => {
      assert.deepEqual(cidrTexts(set("fd00::/8", "10.44.0.0/16", "10.42.0.0/16")), ["10.42.0.0/16", "10.44.0.0/16", "fd00::/8"]);
    });

    it("handles the whole IPv6 space and its last address", () => {
      assert.deepEqual(cidrTexts(set("::/0")), ["::/0"]);
      assert.deepEqual(cidrTexts(difference(set("::/0"), set("::/1"))), ["8000::/1"]);
      assert.deepEqual(cidrTexts(set("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128")), ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"]);
    });

    it("gives nothing for the empty set", () => {
      assert.deepEqual(toCidrs(EMPTY), []);
      assert.equal(isEmpty(difference(CLUSTER, CLUSTER)), true);
    });
  });

  describe("against a brute-force oracle on a /24 of each family", () => {
    // Every block lies in a universe of 256 addresses, so the oracle can enumerate them.
    interface Universe {
      family: 4 | 6;
      base: bigint;
      text(offset: number, length: number): string;
      bits: number;
    }
    const universes: Universe[] = [
      { family: 4, base: cidr("192.168.1.0/32").start, bits: 32, text: (o, l) => `192.168.1.${o}/${24 + l}` },
      { family: 6, base: cidr("2001:db8::/128").start, bits: 128, text: (o, l) => `2001:db8::${o.toString(16)}/${120 + l}` },
    ];

    /** A random block of the universe, as text: host bits may be set, the parser clears them. */
    const blockText = (u: Universe) =>
      fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 8 })).map(([offset, length]) => u.text(offset, length));
    const blockList = (u: Universe) => fc.array(blockText(u), { maxLength: 6 });

    /** The offsets (0..255) a set covers; fails if it reaches outside the universe or is not in normal form. */
    function offsets(u: Universe, s: AddressSet): Set<number> {
      const ranges = u.family === 4 ? s.v4 : s.v6;
      assert.equal((u.family === 4 ? s.v6 : s.v4).length, 0, "the other family stays empty");
      const out = new Set<number>();
      ranges.forEach((r, i) => {
        assert.ok(r.start <= r.end, "ranges are not empty");
        if (i > 0) assert.ok(ranges[i - 1].end + 1n < r.start, "ranges are sorted, disjoint and not adjacent");
        assert.ok(r.start >= u.base && r.end <= u.base + 255n, "ranges stay in the universe");
        for (let a = r.start; a <= r.end; a++) out.add(Number(a - u.base));
      });
      return out;
    }

    function oracleBlock(u: Universe, text: string): Set<number> {
      const c = cidr(text);
      const size = 1 << (u.bits - c.prefixLength);
      const first = Number(c.start - u.base);
      return new Set(Array.from({ length: size }, (_, i) => first + i));
    }

    function oracleUnion(u: Universe, texts: string[]): Set<number> {
      const out = new Set<number>();
      for (const t of texts) for (const a of oracleBlock(u, t)) out.add(a);
      return out;
    }

    /** The fewest aligned blocks covering exactly `addresses`, by splitting the /24 in halves. */
    function minimalCount(addresses: Set<number>, start = 0, size = 256): number {
      let present = 0;
      for (let a = start; a < start + size; a++) if (addresses.has(a)) present++;
      if (present === 0) return 0;
      if (present === size) return 1;
      return minimalCount(addresses, start, size / 2) + minimalCount(addresses, start + size / 2, size / 2);
    }

    const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);

    for (const u of universes) {
      describe(`IPv${u.family}`, () => {
        it("union, intersection and difference agree with the oracle", () => {
          fc.assert(
            fc.property(blockList(u), blockList(u), (a, b) => {
              const sa = setOf(a.map(cidr));
              const sb = setOf(b.map(cidr));
              const oa = oracleUnion(u, a);
              const ob = oracleUnion(u, b);
              assert.deepEqual(sorted(offsets(u, sa)), sorted(oa));
              assert.deepEqual(sorted(offsets(u, union(sa, sb))), sorted(new Set([...oa, ...ob])));
              assert.deepEqual(sorted(offsets(u, intersection(sa, sb))), sorted(oa).filter((x) => ob.has(x)));
              assert.deepEqual(sorted(offsets(u, difference(sa, sb))), sorted(oa).filter((x) => !ob.has(x)));
            }),
            { numRuns: 300 },
          );
        });

        it("a block minus its excepts is a subset exactly when every remaining address is allowed", () => {
          fc.assert(
            fc.property(blockText(u), blockList(u), blockList(u), (block, except, allowed) => {
              const excepted = oracleUnion(u, except);
              const remaining = sorted(oracleBlock(u, block)).filter((x) => !excepted.has(x));
              const allowedOracle = oracleUnion(u, allowed);
              const s = blockSet(cidr(block), except.map(cidr));
              assert.deepEqual(sorted(offsets(u, s)), remaining);
              assert.equal(isSubset(s, setOf(allowed.map(cidr))), remaining.every((x) => allowedOracle.has(x)));
            }),
            { numRuns: 300 },
          );
        });

        it("toCidrs covers exactly the set with the fewest blocks", () => {
          fc.assert(
            fc.property(blockList(u), blockList(u), (a, b) => {
              const s = difference(setOf(a.map(cidr)), setOf(b.map(cidr)));
              const blocks = toCidrs(s);
              const expected = offsets(u, s);
              const covered = new Set<number>();
              for (const block of blocks) {
                assert.equal(block.family, u.family);
                for (const x of oracleBlock(u, formatCidr(block))) {
                  assert.ok(!covered.has(x), "blocks do not overlap");
                  covered.add(x);
                }
              }
              assert.deepEqual(sorted(covered), sorted(expected));
              assert.equal(blocks.length, minimalCount(expected));
              assert.deepEqual(setOf(blocks), s, "the blocks read back as the same set");
            }),
            { numRuns: 300 },
          );
        });
      });
    }

    it("never mixes families: operations on one family leave the other untouched", () => {
      const [v4, v6] = universes;
      fc.assert(
        fc.property(blockList(v4), blockList(v6), blockList(v4), blockList(v6), (a4, a6, b4, b6) => {
          const a = setOf([...a4, ...a6].map(cidr));
          const b = setOf([...b4, ...b6].map(cidr));
          const only4 = (s: AddressSet): AddressSet => ({ v4: s.v4, v6: [] });
          const only6 = (s: AddressSet): AddressSet => ({ v4: [], v6: s.v6 });
          for (const op of [union, intersection, difference]) {
            const both = op(a, b);
            assert.deepEqual(both.v4, op(only4(a), only4(b)).v4);
            assert.deepEqual(both.v6, op(only6(a), only6(b)).v6);
          }
          assert.equal(isSubset(a, b), isSubset(only4(a), only4(b)) && isSubset(only6(a), only6(b)));
        }),
        { numRuns: 200 },
      );
    });
  });
});
