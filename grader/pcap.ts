/**
 * Just enough of the classic pcap file format (what tcpdump -w writes; Wireshark reads it) to cut one
 * check's packets out of a submission's capture: the packets of given TCP/UDP ports within a time
 * window, as a pcap file of their own, bounded in bytes.
 */

const MAGIC_MICROS = 0xa1b2c3d4;
const MAGIC_NANOS = 0xa1b23c4d;
const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;
/** Link types of a Linux loopback capture: Ethernet (lo), and the cooked headers of "-i any". */
const ETHERNET = 1;
const LINUX_SLL = 113;
const LINUX_SLL2 = 276;

export interface Packet {
  /** Capture time in ms since the epoch. */
  ms: number;
  /** The record as stored: its 16-byte header and the captured bytes. */
  record: Buffer;
  /** The captured bytes only. */
  data: Buffer;
}

export interface Capture {
  header: Buffer;
  linkType: number;
  packets: Packet[];
}

/** The packets of a pcap file; a record cut short at the end (a capture killed mid-write) is left out. */
export function readPcap(file: Buffer): Capture | undefined {
  if (file.length < GLOBAL_HEADER) return undefined;
  const little = file.readUInt32LE(0) === MAGIC_MICROS || file.readUInt32LE(0) === MAGIC_NANOS;
  const magic = little ? file.readUInt32LE(0) : file.readUInt32BE(0);
  if (magic !== MAGIC_MICROS && magic !== MAGIC_NANOS) return undefined;
  const u32 = (at: number) => (little ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const fraction = magic === MAGIC_NANOS ? 1e6 : 1e3;
  const packets: Packet[] = [];
  for (let at = GLOBAL_HEADER; at + RECORD_HEADER <= file.length; ) {
    const length = u32(at + 8);
    const end = at + RECORD_HEADER + length;
    if (end > file.length) break;
    packets.push({ ms: u32(at) * 1000 + u32(at + 4) / fraction, record: file.subarray(at, end), data: file.subarray(at + RECORD_HEADER, end) });
    at = end;
  }
  return { header: file.subarray(0, GLOBAL_HEADER), linkType: u32(20) & 0xffff, packets };
}

/** Where the IP header starts after the link layer, or undefined for a link type not read here. */
function ipStart(linkType: number, data: Buffer): number | undefined {
  if (linkType === ETHERNET) return data.length >= 14 ? (data.readUInt16BE(12) === 0x8100 ? 18 : 14) : undefined;
  if (linkType === LINUX_SLL) return 16;
  if (linkType === LINUX_SLL2) return 20;
  return undefined;
}

const TCP = 6;
const UDP = 17;

/** A TCP or UDP packet's source and destination ports (IPv4 or IPv6 without extension headers). */
export function portsOf(linkType: number, data: Buffer): [number, number] | undefined {
  let at = ipStart(linkType, data);
  if (at === undefined || data.length < at + 1) return undefined;
  const version = data[at] >> 4;
  let protocol: number;
  if (version === 4) {
    if (data.length < at + 20) return undefined;
    protocol = data[at + 9];
    at += (data[at] & 0x0f) * 4;
  } else if (version === 6) {
    if (data.length < at + 40) return undefined;
    protocol = data[at + 6];
    at += 40;
  } else return undefined;
  if ((protocol !== TCP && protocol !== UDP) || data.length < at + 4) return undefined;
  return [data.readUInt16BE(at), data.readUInt16BE(at + 2)];
}

export interface Selection {
  ports: Set<number>;
  fromMs: number;
  toMs: number;
  maxBytes: number;
}

/** A pcap file of the packets to or from `ports` within the window, stopping before `maxBytes`; undefined when none. */
export function selectPackets(capture: Capture, selection: Selection): { file: Buffer; packets: number; cut: number } | undefined {
  const chosen: Buffer[] = [capture.header];
  let size = capture.header.length;
  let packets = 0;
  let cut = 0;
  for (const packet of capture.packets) {
    if (packet.ms < selection.fromMs || packet.ms > selection.toMs) continue;
    const ports = portsOf(capture.linkType, packet.data);
    if (!ports || !(selection.ports.has(ports[0]) || selection.ports.has(ports[1]))) continue;
    if (size + packet.record.length > selection.maxBytes) {
      cut += 1;
      continue;
    }
    chosen.push(packet.record);
    size += packet.record.length;
    packets += 1;
  }
  return packets ? { file: Buffer.concat(chosen), packets, cut } : undefined;
}
