/**
 * Clients that talk to a student's server over real sockets, every wait bounded by a deadline
 * (fair-timer.ts: the machine's load does not shorten it).
 * Reads never throw on a timeout: they return what arrived and how the wait ended, so the spec can
 * say exactly what came back.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { existsSync } from 'node:fs';
import { onCleanup } from './cleanup';
import { fairTimeout } from './fair-timer';
import { socketTableRows } from './proc-files';
import { bytesOf, currentTimeline } from './timeline';

export interface Endpoint {
  host: string;
  port: number;
}

export interface Received {
  data: Buffer;
  /** The peer closed its side (EOF). */
  ended: boolean;
  /** The connection was reset or failed. */
  error?: string;
  timedOut: boolean;
  ms: number;
}

export class TcpConnection {
  private chunks: Buffer[] = [];
  private size = 0;
  private ended = false;
  private error: string | undefined;
  private waiters = new Set<() => void>();
  /** When the peer closed or reset the connection (Date.now()), if it did. */
  hungUpAt: number | undefined;
  private readonly timeline = currentTimeline();
  /** This connection in the timeline: the grader's port, or the Unix socket's path. */
  private readonly via: string;

  private constructor(readonly socket: net.Socket, where: string) {
    onCleanup(() => socket.destroy());
    const unix = socket.localPort === undefined;
    this.via = unix ? `Unix ${where}` : `TCP :${socket.localPort}`;
    this.timeline?.add({ kind: 'connect', from: 'grader', to: 'program', via: unix ? `Unix ${where}` : `TCP ${socket.localAddress}:${socket.localPort} → ${where}`, text: 'connected' });
    socket.on('data', (chunk: Buffer) => {
      this.timeline?.add({ kind: 'receive', from: 'program', to: 'grader', via: this.via, ...bytesOf(chunk) });
      this.chunks.push(chunk);
      this.size += chunk.length;
      this.wake();
    });
    socket.on('end', () => {
      this.timeline?.add({ kind: 'eof', from: 'program', to: 'grader', via: this.via, text: 'closed its side (EOF)' });
      this.ended = true;
      this.hungUpAt ??= Date.now();
      this.wake();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.timeline?.add({ kind: 'reset', from: 'program', to: 'grader', via: this.via, text: error.code === 'ECONNRESET' ? 'reset the connection (RST)' : `connection failed: ${error.code ?? error.message}` });
      this.error = error.code ?? error.message;
      this.hungUpAt ??= Date.now();
      this.wake();
    });
    socket.on('close', () => this.wake());
  }

  /**
   * Whether the peer has closed or reset the connection by now: as this process has seen it, or as
   * the kernel knows it already (FIN or RST arrived, its events not handled yet: a busy event loop
   * handles what arrived together in any order). The kernel is asked on Linux, TCP only.
   */
  peerHasClosed(): boolean {
    if (this.hungUpAt !== undefined) return true;
    const { localPort, remotePort } = this.socket;
    if (process.platform !== 'linux' || localPort === undefined || remotePort === undefined || !existsSync('/proc/net/tcp')) return false;
    const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      for (const fields of socketTableRows(table)) {
        if (fields[1].endsWith(`:${hex(localPort)}`) && fields[2].endsWith(`:${hex(remotePort)}`)) return fields[3] !== '01'; // 01: ESTABLISHED
      }
    }
    return !this.socket.destroyed; // gone from the tables while still open here: reset
  }

  /** Connects to a TCP endpoint or a Unix socket path; rejects with a clear message after `timeoutMs`. */
  static open(target: Endpoint | { path: string }, timeoutMs = 2000): Promise<TcpConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(target as net.NetConnectOpts);
      const where = 'path' in target ? target.path : `${target.host}:${target.port}`;
      const timeline = currentTimeline();
      const via = 'path' in target ? `Unix ${where}` : `TCP → ${where}`;
      const cancel = fairTimeout(() => {
        socket.destroy();
        timeline?.add({ kind: 'connect', from: 'grader', to: 'program', via, text: `no answer within ${timeoutMs} ms` });
        reject(new Error(`could not connect to ${where} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        cancel();
        socket.removeAllListeners('error');
        resolve(new TcpConnection(socket, where));
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        cancel();
        timeline?.add({ kind: 'connect', from: 'grader', to: 'program', via, text: `failed: ${error.code ?? error.message}` });
        reject(new Error(`could not connect to ${where}: ${error.code ?? error.message}`));
      });
    });
  }

  /** Everything received so far. */
  get data(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  write(data: Buffer | string): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.timeline?.add({ kind: 'send', from: 'grader', to: 'program', via: this.via, ...bytesOf(data) });
      this.socket.write(data, () => resolve());
    });
  }

  /** Half-close: shutdown(SHUT_WR). The server sees EOF; we can still read. */
  end(): void {
    this.timeline?.add({ kind: 'eof', from: 'grader', to: 'program', via: this.via, text: 'closed its sending side (shutdown: EOF)' });
    this.socket.end();
  }

  /** Abort with a TCP RST instead of a clean close. */
  reset(): void {
    this.timeline?.add({ kind: 'reset', from: 'grader', to: 'program', via: this.via, text: 'aborted the connection (RST)' });
    // Node cannot reset a socket whose sending side is already shut down (EINVAL, and the handle
    // stays open, keeping jest's worker alive): close it instead.
    if (this.ended || this.socket.writableEnded) {
      this.socket.destroy();
      return;
    }
    this.socket.resetAndDestroy();
  }

  close(): void {
    if (!this.socket.destroyed) this.timeline?.add({ kind: 'close', from: 'grader', to: 'program', via: this.via, text: 'closed the connection' });
    this.socket.destroy();
  }

  /** Waits until `done(data)` holds, the peer ends or fails, or `timeoutMs` passes. */
  waitFor(done: (data: Buffer) => boolean, timeoutMs: number): Promise<Received> {
    const started = Date.now();
    return new Promise((resolve) => {
      const finish = (timedOut: boolean) => {
        cancel();
        if (timedOut) this.timeline?.add({ kind: 'wait', from: 'grader', via: this.via, text: `waited ${seconds(timeoutMs)}: no more came (${this.data.length} bytes so far)` });
        this.waiters.delete(check);
        resolve({ data: this.data, ended: this.ended, error: this.error, timedOut, ms: Date.now() - started });
      };
      const check = () => {
        if (done(this.data) || this.ended || this.error || this.socket.destroyed) finish(false);
      };
      const cancel = fairTimeout(() => finish(true), timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  readBytes(count: number, timeoutMs = 3000): Promise<Received> {
    return this.waitFor((data) => data.length >= count, timeoutMs);
  }

  readUntilEnd(timeoutMs = 3000): Promise<Received> {
    return this.waitFor(() => false, timeoutMs);
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

export interface Datagram {
  data: Buffer;
  from: Endpoint;
}

export class UdpSocket {
  private queue: Datagram[] = [];
  private waiter: (() => void) | undefined;
  private readonly timeline = currentTimeline();

  private constructor(readonly socket: dgram.Socket) {
    onCleanup(() => this.close());
    socket.on('message', (data, rinfo) => {
      this.timeline?.add({ kind: 'receive', from: 'program', to: 'grader', via: `UDP ${endpoint(rinfo.address, rinfo.port)} → :${this.ownPort()}`, ...bytesOf(data) });
      this.queue.push({ data, from: { host: rinfo.address, port: rinfo.port } });
      this.waiter?.();
    });
  }

  /** A UDP socket bound to an ephemeral (or given) port on the loopback of `host`'s family. */
  static open(host = '127.0.0.1', port = 0): Promise<UdpSocket> {
    const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.removeListener('error', reject);
        resolve(new UdpSocket(socket));
      });
    });
  }

  get address(): Endpoint {
    const { address, port } = this.socket.address();
    return { host: address, port };
  }

  private ownPort(): number | string {
    try {
      return this.socket.address().port;
    } catch {
      return '?'; // closed
    }
  }

  send(data: Buffer | string, to: Endpoint): Promise<void> {
    this.timeline?.add({ kind: 'send', from: 'grader', to: 'program', via: `UDP :${this.ownPort()} → ${endpoint(to.host, to.port)}`, ...bytesOf(data) });
    return new Promise((resolve, reject) => this.socket.send(data, to.port, to.host, (error) => (error ? reject(error) : resolve())));
  }

  /** The next datagram, or undefined when none arrives within `timeoutMs`. */
  async receive(timeoutMs = 2000): Promise<Datagram | undefined> {
    if (this.queue.length === 0) {
      await new Promise<void>((resolve) => {
        const cancel = fairTimeout(() => {
          this.timeline?.add({ kind: 'wait', from: 'grader', via: `UDP :${this.ownPort()}`, text: `waited ${seconds(timeoutMs)}: no datagram came` });
          done();
        }, timeoutMs);
        function done() {
          cancel();
          resolve();
        }
        this.waiter = done;
      });
      this.waiter = undefined;
    }
    return this.queue.shift();
  }

  close(): void {
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}

/** Sends one datagram from a fresh socket and returns the first reply (or undefined). */
export async function udpRequest(to: Endpoint, data: Buffer, timeoutMs = 2000): Promise<Datagram | undefined> {
  const socket = await UdpSocket.open(to.host.includes(':') ? '::1' : '127.0.0.1');
  try {
    await socket.send(data, to);
    return await socket.receive(timeoutMs);
  } finally {
    socket.close();
  }
}

/** "127.0.0.1:4000", "[::1]:4000". */
export function endpoint(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
