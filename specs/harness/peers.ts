/**
 * Test-side servers for the client exercises: the student's client talks to these. Each listens on
 * loopback only, on a port the OS picks, records what it heard, and is closed when the check ends.
 *
 * A peer given several hosts (e.g. 127.0.0.1 and ::1 for `localhost`) listens on all of them on the
 * same port, so a client that resolves a name to either family reaches it.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { onCleanup } from './cleanup';
import { endpoint, type Endpoint } from './clients';
import { fairTimeout, heldBackMs } from './fair-timer';
import { describeListener } from './ready';
import { bytesOf, currentTimeline } from './timeline';

/** The hosts a client given `localhost` may resolve to. */
export const LOCALHOST_ADDRESSES = ['127.0.0.1', '::1'];

const familyOf = (host: string) => (host.includes(':') ? 'udp6' : 'udp4');
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const now = () => Number(process.hrtime.bigint() / 1_000_000n);

/** Binds one socket per host on one shared port (the OS picks it for the first host). */
async function onSharedPort<T>(hosts: string[], bind: (host: string, port: number) => Promise<T>, close: (item: T) => void, port: (item: T) => number): Promise<T[]> {
  for (let attempt = 0; ; attempt++) {
    const bound: T[] = [];
    try {
      for (const host of hosts) bound.push(await bind(host, bound.length ? port(bound[0]) : 0));
      return bound;
    } catch (error) {
      bound.forEach(close);
      // The port the OS gave for the first host may be taken on another: try a new one.
      if (attempt >= 5 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
}

// ---------------------------------------------------------------------------------------------- UDP

export interface Heard {
  data: Buffer;
  from: Endpoint;
  /** Milliseconds (monotonic clock) when it was read. */
  at: number;
  /**
   * How long the grader and its programs had been held back by load when it was read (fair-timer.ts):
   * between two datagrams, the growth of this is time the reading may have been late by.
   */
  held: number;
}

export interface UdpServerScript {
  /** How many datagrams to leave unanswered before answering (Infinity: never answer). */
  dropFirst?: number;
  /** The answer to a request. */
  reply?: (request: Buffer) => Buffer;
  /**
   * Sent to the client, from another port of the same host, before the real reply; the real reply
   * follows `decoyLeadMs` later.
   */
  decoy?: Buffer;
  decoyLeadMs?: number;
}

function bindUdp(host: string, port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: familyOf(host) });
  return new Promise((resolve, reject) => {
    socket.once('error', (error) => {
      socket.close();
      reject(error);
    });
    socket.bind(port, host, () => {
      socket.removeAllListeners('error');
      socket.on('error', () => undefined); // e.g. ICMP errors after the client left: not the check's business
      resolve(socket);
    });
  });
}

function closeUdp(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}

/** A UDP server the student's client sends to: it can drop datagrams, answer, or send a decoy first. */
export class UdpTestServer {
  /** Every request, in the order read (the settle() markers excluded). */
  readonly heard: Heard[] = [];
  private readonly markers = new Set<string>();
  private answered = 0;
  private readonly timeline = currentTimeline();

  private constructor(
    readonly host: string,
    readonly port: number,
    private readonly sockets: dgram.Socket[],
    private readonly script: UdpServerScript,
  ) {
    for (const socket of sockets) socket.on('message', (data, rinfo) => this.onDatagram(socket, data, { host: rinfo.address, port: rinfo.port }));
    this.timeline?.add({ kind: 'listen', from: 'grader', text: `listening on ${this.where}` });
  }

  static async start(script: UdpServerScript, hosts: string[] = ['127.0.0.1']): Promise<UdpTestServer> {
    const sockets = await onSharedPort(hosts, bindUdp, closeUdp, (s) => s.address().port);
    const server = new UdpTestServer(hosts[0], sockets[0].address().port, sockets, script);
    onCleanup(() => sockets.forEach(closeUdp));
    return server;
  }

  get where(): string {
    return describeListener({ protocol: 'udp', host: this.host, port: this.port });
  }

  /**
   * Resolves once every datagram sent to this server before the call has been read: a marker sent
   * now queues behind them (loopback keeps a socket's datagrams in order), so seeing it means they were seen.
   */
  async settle(timeoutMs = 1000): Promise<void> {
    const deadline = now() + timeoutMs;
    await Promise.all(
      this.sockets.map(async (socket) => {
        const { address } = socket.address();
        const probe = await bindUdp(address, 0);
        try {
          const marker = `settle ${randomUUID()}`;
          this.markers.add(marker);
          probe.send(marker, this.port, address);
          while (this.markers.has(marker) && now() < deadline) await pause(10);
        } finally {
          closeUdp(probe);
        }
      }),
    );
  }

  private onDatagram(socket: dgram.Socket, data: Buffer, from: Endpoint): void {
    const text = data.toString('latin1');
    if (this.markers.delete(text)) return;
    this.timeline?.add({ kind: 'receive', from: 'program', to: 'grader', via: `UDP ${endpoint(from.host, from.port)} → :${this.port}`, ...bytesOf(data) });
    this.heard.push({ data, from, at: now(), held: heldBackMs() });
    const { dropFirst = 0, reply, decoy, decoyLeadMs = 300 } = this.script;
    if (this.heard.length <= dropFirst || !reply) return;
    const answer = reply(data);
    if (decoy && this.answered++ === 0) {
      this.sendDecoy(socket, decoy, from)
        .then(() => pause(decoyLeadMs))
        .then(() => this.answer(socket, answer, from))
        .catch(() => undefined); // closed meanwhile: the check is over
      return;
    }
    this.answer(socket, answer, from);
  }

  private answer(socket: dgram.Socket, answer: Buffer, to: Endpoint): void {
    this.timeline?.add({ kind: 'send', from: 'grader', to: 'program', via: `UDP :${this.port} → ${endpoint(to.host, to.port)}`, ...bytesOf(answer) });
    socket.send(answer, to.port, to.host, () => undefined);
  }

  private async sendDecoy(socket: dgram.Socket, decoy: Buffer, to: Endpoint): Promise<void> {
    const other = await bindUdp(socket.address().address, 0);
    onCleanup(() => closeUdp(other));
    this.timeline?.add({ kind: 'send', from: 'grader', to: 'program', via: `UDP :${other.address().port} → ${endpoint(to.host, to.port)}`, text: 'a decoy from another port', ...bytesOf(decoy) });
    await new Promise<void>((resolve) => other.send(decoy, to.port, to.host, () => resolve()));
  }
}

// ---------------------------------------------------------------------------------------------- TCP

/** One connection a test server accepted: what the client sent, and whether it closed its side. */
export class AcceptedClient {
  private chunks: Buffer[] = [];
  /** The client half-closed (shutdown(SHUT_WR)) or closed: EOF was read. */
  ended = false;
  closed = false;
  private waiters = new Set<() => void>();
  private readonly via: string;

  constructor(
    readonly socket: net.Socket,
    private readonly timeline = currentTimeline(),
  ) {
    this.via = `TCP :${socket.remotePort}`;
    timeline?.add({ kind: 'accept', from: 'program', to: 'grader', via: `TCP ${endpoint(socket.remoteAddress ?? '?', socket.remotePort ?? 0)} → :${socket.localPort}`, text: 'connected' });
    socket.on('data', (chunk: Buffer) => {
      timeline?.add({ kind: 'receive', from: 'program', to: 'grader', via: this.via, ...bytesOf(chunk) });
      this.chunks.push(chunk);
      this.wake();
    });
    socket.on('end', () => {
      timeline?.add({ kind: 'eof', from: 'program', to: 'grader', via: this.via, text: 'closed its sending side (EOF)' });
      this.ended = true;
      this.wake();
    });
    // a client that resets is the client's problem, reported by the check
    socket.on('error', (error: NodeJS.ErrnoException) => timeline?.add({ kind: 'reset', from: 'program', to: 'grader', via: this.via, text: error.code === 'ECONNRESET' ? 'reset the connection (RST)' : `connection failed: ${error.code ?? error.message}` }));
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  get received(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /** Resolves true when `done(received)` holds, false when the client ended, closed or `timeoutMs` passed first. */
  waitFor(done: (received: Buffer) => boolean, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        const ok = done(this.received);
        if (ok || this.ended || this.closed) finish(ok);
      };
      const finish = (ok: boolean) => {
        cancel();
        this.waiters.delete(check);
        resolve(ok);
      };
      const cancel = fairTimeout(() => finish(false), timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Resolves true once the client has closed its sending side (EOF), false after `timeoutMs`. */
  async waitForEnd(timeoutMs: number): Promise<boolean> {
    await this.waitFor(() => false, timeoutMs);
    return this.ended;
  }

  write(data: Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.timeline?.add({ kind: 'send', from: 'grader', to: 'program', via: this.via, ...bytesOf(data) });
      this.socket.write(data, () => resolve());
    });
  }

  end(): void {
    this.timeline?.add({ kind: 'eof', from: 'grader', to: 'program', via: this.via, text: 'closed its sending side (EOF)' });
    this.socket.end();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

export type Serve = (client: AcceptedClient) => Promise<void>;

function listenTcp(host: string, port: number, onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen: true }, onConnection);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.removeListener('error', reject);
      resolve(server);
    });
  });
}

/** A TCP server the student's client connects to; `serve` plays the server's side of each connection. */
export class TcpTestServer {
  readonly clients: AcceptedClient[] = [];

  private constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  static async start(serve: Serve, hosts: string[] = ['127.0.0.1']): Promise<TcpTestServer> {
    const sockets = new Set<net.Socket>();
    let self: TcpTestServer | undefined;
    const timeline = currentTimeline();
    const onConnection = (socket: net.Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      const client = new AcceptedClient(socket, timeline);
      self!.clients.push(client);
      void serve(client).catch(() => socket.destroy());
    };
    const servers = await onSharedPort(
      hosts,
      (host, port) => listenTcp(host, port, onConnection),
      (s) => s.close(),
      (s) => (s.address() as net.AddressInfo).port,
    );
    self = new TcpTestServer(hosts[0], (servers[0].address() as net.AddressInfo).port);
    timeline?.add({ kind: 'listen', from: 'grader', text: `listening on ${self.where}` });
    onCleanup(() => {
      servers.forEach((s) => s.close());
      sockets.forEach((s) => s.destroy());
    });
    return self;
  }

  get where(): string {
    return describeListener({ protocol: 'tcp', host: this.host, port: this.port });
  }

  /** What the first client sent (empty if none connected). */
  get firstRequest(): Buffer {
    return this.clients[0]?.received ?? Buffer.alloc(0);
  }
}

/**
 * Waits for `requestLength` bytes (or the client's EOF), then writes the reply's fragments with
 * `pauseMs` between them, then closes. The client need not half-close to get its reply.
 */
export function answerOnRequest(requestLength: number, fragments: Buffer[], pauseMs = 0, waitMs = 5000): Serve {
  return async (client) => {
    await client.waitFor((received) => received.length >= requestLength, waitMs);
    if (client.closed) return;
    for (const [i, fragment] of fragments.entries()) {
      if (i > 0 && pauseMs > 0) await pause(pauseMs);
      await client.write(fragment);
    }
    client.end();
  };
}

/** Answers only after the client's EOF (with `reply(request)`), then closes; without EOF it stays silent. */
export function answerAfterEof(reply: (request: Buffer) => Buffer, waitMs = 8000): Serve {
  return async (client) => {
    if (!(await client.waitForEnd(waitMs)) || client.closed) return;
    await client.write(reply(client.received));
    client.end();
  };
}

/** Accepts and reads, but never answers and never closes. */
export function neverAnswer(): Serve {
  return async () => undefined;
}
