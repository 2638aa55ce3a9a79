/**
 * The ports a check gives its programs: chosen at random, so that parallel checks (other jest workers,
 * other submissions) rarely pick the same one, and free when picked, for the protocol the server uses.
 */
import dgram from 'node:dgram';
import getPort from 'get-port';
import { GraderError } from './grader-error';

/** Ports outside Linux's ephemeral range (32768-60999), so they never collide with clients' ports. */
export const SERVER_PORTS = [20000, 32767] as const;
/** Ports for "nothing listens there": never given to a server, so a parallel check's cannot take one meanwhile. */
export const CLOSED_PORTS = [10000, 19999] as const;

/**
 * A port free for TCP (get-port's test) and, for a UDP server, for UDP too: get-port knows only TCP, so a
 * port a parallel check's UDP server holds would be handed out again.
 */
export async function randomFreePort([low, high]: readonly [number, number], protocol: 'tcp' | 'udp' = 'tcp'): Promise<number> {
  for (let round = 0; round < 50; round++) {
    const candidates = Array.from({ length: 20 }, () => low + Math.floor(Math.random() * (high - low + 1)));
    const port = await getPort({ port: candidates });
    if (port < low || port > high) continue; // none of them was free: get-port fell back to any port
    if (protocol === 'tcp' || (await udpFree(port))) return port;
  }
  throw new GraderError(`no free port found in ${low}-${high}: this machine's ports are all taken`);
}

/** Nothing is bound to the port for UDP, on any IPv4 or IPv6 address (a wildcard bind fails if anything is). */
async function udpFree(port: number): Promise<boolean> {
  for (const type of ['udp4', 'udp6'] as const) {
    const failure = await new Promise<string | undefined>((resolve) => {
      const socket = dgram.createSocket({ type, ipv6Only: type === 'udp6' });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        socket.close();
        resolve(error.code ?? 'error');
      });
      socket.bind(port, type === 'udp4' ? '0.0.0.0' : '::', () => {
        socket.close();
        resolve(undefined);
      });
    });
    // Any other failure of [::] is a machine without IPv6, where nothing can hold it.
    if (failure === 'EADDRINUSE' || (failure && type === 'udp4')) return false;
  }
  return true;
}
