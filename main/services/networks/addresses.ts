/** Address checks for network forms (ipaddr.js does the parsing and the subnet arithmetic). */
import ipaddr from 'ipaddr.js';
import { ApiFailure } from '../api-failure';

export type Family = 'ipv4' | 'ipv6';

export function parseAddress(value: string, family: Family, field: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const trimmed = value.trim();
  if (family === 'ipv4') {
    if (!ipaddr.IPv4.isValidFourPartDecimal(trimmed)) throw new ApiFailure('invalid-request', `"${value}" is not an IPv4 address`, { field });
    return ipaddr.IPv4.parse(trimmed);
  }
  if (!ipaddr.IPv6.isValid(trimmed) || trimmed.includes('%')) throw new ApiFailure('invalid-request', `"${value}" is not an IPv6 address`, { field });
  return ipaddr.IPv6.parse(trimmed);
}

const bytesOf = (address: ipaddr.IPv4 | ipaddr.IPv6): number[] => address.toByteArray();

/** Compares two addresses of one family: <0, 0, >0. */
export function compareAddresses(a: ipaddr.IPv4 | ipaddr.IPv6, b: ipaddr.IPv4 | ipaddr.IPv6): number {
  const x = bytesOf(a);
  const y = bytesOf(b);
  for (let i = 0; i < x.length; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function inSubnet(address: ipaddr.IPv4 | ipaddr.IPv6, network: ipaddr.IPv4 | ipaddr.IPv6, prefix: number): boolean {
  if (address.kind() !== network.kind()) return false;
  return (address as ipaddr.IPv4).match(network as ipaddr.IPv4, prefix);
}

/** The network (all host bits 0) and, for IPv4, broadcast (all 1) addresses of a subnet. */
export function subnetEdges(network: ipaddr.IPv4 | ipaddr.IPv6, prefix: number): { first: string; last: string } {
  const bytes = bytesOf(network);
  const first = bytes.map((byte, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    return byte & (0xff << (8 - keep)) & 0xff;
  });
  const last = first.map((byte, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    return byte | (0xff >> keep);
  });
  return { first: ipaddr.fromByteArray(first).toString(), last: ipaddr.fromByteArray(last).toString() };
}

/** The canonical text of an address (IPv6 compressed, lower case). */
export const canonical = (address: ipaddr.IPv4 | ipaddr.IPv6): string => address.toString();

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export function checkMac(value: string, field: string): string {
  const mac = value.trim().toLowerCase();
  if (!MAC.test(mac)) throw new ApiFailure('invalid-request', `"${value}" is not a MAC address (aa:bb:cc:dd:ee:ff)`, { field });
  if ((parseInt(mac.slice(0, 2), 16) & 1) === 1) throw new ApiFailure('invalid-request', `${mac} is a multicast MAC address`, { field });
  return mac;
}

/** An RFC 1123 host name or a dotted domain (labels of letters, digits and hyphens). */
export function checkHostname(value: string, field: string, what = 'host name'): string {
  const name = value.trim();
  const label = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
  if (name.length === 0 || name.length > 253 || !name.split('.').every((part) => label.test(part))) {
    throw new ApiFailure('invalid-request', `"${value}" is not a valid ${what}`, { field });
  }
  return name;
}

/** A Linux interface name (what `ip link` accepts: 1–15 bytes, no '/', ':' or white space). */
export function checkIfname(value: string, field: string): string {
  const name = value.trim();
  if (!/^[A-Za-z0-9_.+-]{1,15}$/.test(name) || name === '.' || name === '..') {
    throw new ApiFailure('invalid-request', `"${value}" is not a valid interface name (1–15 letters, digits, _ . + -)`, { field });
  }
  return name;
}
