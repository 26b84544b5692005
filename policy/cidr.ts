/**
 * Exact address-set arithmetic for NetworkPolicy ipBlocks.
 *
 * A set of addresses is kept per family as a sorted list of disjoint, non-adjacent inclusive ranges of bigints,
 * so that "0.0.0.0/0 except 10.0.0.0/8" or the union of two /16s is represented exactly and every operation is
 * a linear merge. IPv4 and IPv6 never mix: each operation works family by family.
 *
 * Text is parsed by ipaddr.js, held to the strict forms Kubernetes accepts (four-part decimal IPv4 without leading
 * zeros, IPv6 without a zone, a decimal prefix length).
 */
import * as ipaddr from "ipaddr.js";

export type Family = 4 | 6;

/** A CIDR block: its network address (host bits cleared) and prefix length. */
export interface Cidr {
  readonly family: Family;
  readonly start: bigint;
  readonly prefixLength: number;
}

/** An inclusive range of addresses of one family. */
export interface Range {
  readonly start: bigint;
  readonly end: bigint;
}

/** A set of addresses: sorted, disjoint, non-adjacent ranges per family. */
export interface AddressSet {
  readonly v4: readonly Range[];
  readonly v6: readonly Range[];
}

export const EMPTY: AddressSet = { v4: [], v6: [] };

const BITS: Record<Family, number> = { 4: 32, 6: 128 };
const PREFIX_LENGTH = /^(0|[1-9][0-9]{0,2})$/;
/** What Kubernetes accepts for IPv4: no octal, hex or shortened forms, which ipaddr.js would also read. */
const FOUR_PART_DECIMAL = /^(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}$/;

/**
 * Parses "a.b.c.d/n" or "x:y::z/n". Host bits may be set ("10.42.0.5/16" is 10.42.0.0/16), as Kubernetes accepts.
 * Returns undefined for anything else, including a bare address without a prefix length.
 */
export function parseCidr(text: string): Cidr | undefined {
  if (typeof text !== "string") return undefined;
  const slash = text.indexOf("/");
  if (slash < 0 || slash !== text.lastIndexOf("/")) return undefined;
  const address = text.slice(0, slash);
  const length = text.slice(slash + 1);
  if (!PREFIX_LENGTH.test(length)) return undefined;
  const family: Family | undefined = FOUR_PART_DECIMAL.test(address) ? 4 : address.includes(":") && !address.includes("%") ? 6 : undefined;
  if (family === undefined) return undefined;
  const prefixLength = Number(length);
  if (prefixLength > BITS[family]) return undefined;
  let bytes: number[];
  try {
    bytes = (family === 4 ? ipaddr.IPv4.parse(address) : ipaddr.IPv6.parse(address)).toByteArray();
  } catch {
    return undefined;
  }
  return { family, start: bytesToBigint(bytes) & prefixMask(family, prefixLength), prefixLength };
}

/** The canonical text of a CIDR: network address and prefix length (IPv6 in RFC 5952 form). */
export function formatCidr(cidr: Cidr): string {
  return `${formatAddress(cidr.family, cidr.start)}/${cidr.prefixLength}`;
}

export function formatAddress(family: Family, value: bigint): string {
  const bytes: number[] = [];
  for (let i = BITS[family] / 8 - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(8 * i)) & 0xffn));
  const address = ipaddr.fromByteArray(bytes);
  return address.kind() === "ipv6" ? (address as ipaddr.IPv6).toRFC5952String() : address.toString();
}

/** The range of addresses a CIDR covers. */
export function rangeOf(cidr: Cidr): Range {
  return { start: cidr.start, end: cidr.start + blockSize(cidr.family, cidr.prefixLength) - 1n };
}

/** The set of addresses covered by any of `cidrs`. */
export function setOf(cidrs: Iterable<Cidr>): AddressSet {
  const v4: Range[] = [];
  const v6: Range[] = [];
  for (const cidr of cidrs) (cidr.family === 4 ? v4 : v6).push(rangeOf(cidr));
  return { v4: normalize(v4), v6: normalize(v6) };
}

/** The addresses of an ipBlock: its `cidr` minus every `except` entry (entries of the other family remove nothing). */
export function blockSet(cidr: Cidr, except: readonly Cidr[] = []): AddressSet {
  return difference(setOf([cidr]), setOf(except));
}

export function isEmpty(set: AddressSet): boolean {
  return set.v4.length === 0 && set.v6.length === 0;
}

export function union(a: AddressSet, b: AddressSet): AddressSet {
  return { v4: normalize([...a.v4, ...b.v4]), v6: normalize([...a.v6, ...b.v6]) };
}

export function intersection(a: AddressSet, b: AddressSet): AddressSet {
  return { v4: intersectRanges(a.v4, b.v4), v6: intersectRanges(a.v6, b.v6) };
}

/** The addresses of `a` that are not in `b`. */
export function difference(a: AddressSet, b: AddressSet): AddressSet {
  return { v4: subtractRanges(a.v4, b.v4), v6: subtractRanges(a.v6, b.v6) };
}

/** True when every address of `a` is in `b`. */
export function isSubset(a: AddressSet, b: AddressSet): boolean {
  return rangesWithin(a.v4, b.v4) && rangesWithin(a.v6, b.v6);
}

/** The fewest CIDR blocks covering exactly `set`, IPv4 first, each family in address order. */
export function toCidrs(set: AddressSet): Cidr[] {
  const out: Cidr[] = [];
  for (const family of [4, 6] as const) {
    for (const range of family === 4 ? set.v4 : set.v6) out.push(...rangeToCidrs(family, range));
  }
  return out;
}

/** Splits one range into the fewest aligned blocks (greedy from the low end is optimal for a single range). */
function rangeToCidrs(family: Family, range: Range): Cidr[] {
  const bits = BITS[family];
  const out: Cidr[] = [];
  let start = range.start;
  while (start <= range.end) {
    // The largest block aligned at `start` that does not run past the end of the range.
    let length = start === 0n ? 0 : bits - trailingZeros(start);
    while (start + blockSize(family, length) - 1n > range.end) length++;
    out.push({ family, start, prefixLength: length });
    start += blockSize(family, length);
  }
  return out;
}

function trailingZeros(value: bigint): number {
  let n = 0;
  while ((value & 1n) === 0n) {
    value >>= 1n;
    n++;
  }
  return n;
}

function blockSize(family: Family, prefixLength: number): bigint {
  return 1n << BigInt(BITS[family] - prefixLength);
}

function prefixMask(family: Family, prefixLength: number): bigint {
  const all = (1n << BigInt(BITS[family])) - 1n;
  return all ^ (blockSize(family, prefixLength) - 1n);
}

function bytesToBigint(bytes: number[]): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/** Sorts and merges overlapping or adjacent ranges. */
function normalize(ranges: Range[]): Range[] {
  if (ranges.length <= 1) return ranges;
  const sorted = [...ranges].sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : 0));
  const out: Range[] = [];
  let current = sorted[0];
  for (let i = 1; i < sorted.length; i++) {
    const next = sorted[i];
    if (next.start <= current.end + 1n) {
      if (next.end > current.end) current = { start: current.start, end: next.end };
    } else {
      out.push(current);
      current = next;
    }
  }
  out.push(current);
  return out;
}

function intersectRanges(a: readonly Range[], b: readonly Range[]): Range[] {
  const out: Range[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const start = a[i].start > b[j].start ? a[i].start : b[j].start;
    const end = a[i].end < b[j].end ? a[i].end : b[j].end;
    if (start <= end) out.push({ start, end });
    if (a[i].end < b[j].end) i++;
    else j++;
  }
  return out;
}

function subtractRanges(a: readonly Range[], b: readonly Range[]): Range[] {
  const out: Range[] = [];
  let j = 0;
  for (const range of a) {
    let start = range.start;
    // Ranges of `b` that end before this one starts cannot touch it or any later one.
    while (j < b.length && b[j].end < start) j++;
    let k = j;
    while (k < b.length && b[k].start <= range.end && start <= range.end) {
      if (b[k].start > start) out.push({ start, end: b[k].start - 1n });
      start = b[k].end + 1n;
      k++;
    }
    if (start <= range.end) out.push({ start, end: range.end });
  }
  return out;
}

/** With `b` merged, each range of `a` lies within `b` only if it lies within a single range of `b`. */
function rangesWithin(a: readonly Range[], b: readonly Range[]): boolean {
  let j = 0;
  for (const range of a) {
    while (j < b.length && b[j].end < range.start) j++;
    if (j === b.length || b[j].start > range.start || b[j].end < range.end) return false;
  }
  return true;
}
