/** Checks both UDP servers share (udp-upper-server, udp-echo-server): only the reply's transformation differs. */
import { UdpSocket, udpRequest, type Datagram } from './clients';
import { lowercaseText } from './data';
import type { Check, CheckRun, ServerHandle } from './exercise';
import { expectBytes, fail } from './expect';

type Register = (meta: Check, body: (t: CheckRun) => Promise<void>) => void;

/** What a UDP server answers to a datagram. */
export interface Answering {
  answer: (sent: Buffer) => Buffer;
  /** The answer in words, as in "The reply is not the datagram uppercased." */
  answerIs: string;
}

/** Sends one datagram and fails unless the answer comes back within 2 s; the reply, for further checks. */
export async function expectAnswer(server: ServerHandle, payload: Buffer, answering: Answering, hint: string): Promise<Datagram | undefined> {
  const reply = await udpRequest(server, payload, 2000);
  const expected = answering.answer(payload);
  expectBytes(reply?.data, expected, {
    did: `sent 1 datagram to ${server.where} and waited 2 s for the reply`,
    // An echo's expected bytes are the sent ones: shown once, unless short.
    sent: payload.length <= 64 || !expected.equals(payload) ? payload : undefined,
    what: reply ? `The reply is not ${answering.answerIs}.` : 'No reply came back within 2 s.',
    hint,
  });
  return reply;
}

/**
 * Datagrams of the sizes UDP allows: none, large, and the largest over IPv4. `maxSizeHidden`: the
 * largest is one of the exercise's hidden checks.
 */
export function datagramSizes(check: Register, answering: Answering, options: { maxSizeHidden?: boolean } = {}): void {
  check({ id: 'empty', points: 1, title: 'answers an empty datagram with an empty datagram' }, async (t) => {
    const server = await t.startServer('udp');
    await expectAnswer(server, Buffer.alloc(0), answering, 'an empty datagram is still a datagram: recvfrom() returns b"", and the reply must be sent anyway (do not break or continue on b"" as with TCP)');
  });

  check({ id: 'large', points: 2, title: 'returns a 60000-byte datagram intact' }, async (t) => {
    const server = await t.startServer('udp');
    await expectAnswer(server, lowercaseText(60_000), answering, 'recvfrom(1024) (or 4096...) silently cuts a datagram to that size: ask for 65535');
  });

  check({ id: 'max-size', points: 1, hidden: options.maxSizeHidden, title: 'returns a datagram of the largest size UDP over IPv4 allows (65507 bytes)' }, async (t) => {
    const server = await t.startServer('udp');
    await expectAnswer(server, lowercaseText(65_507), answering, 'the largest UDP payload over IPv4 is 65507 bytes, and a smaller buffer (65000, say) cuts it: ask recvfrom() for 65535');
  });
}

/** The same exchange over IPv6; `requires`: the exercise's check of that exchange over IPv4. */
export function overIpv6(check: Register, answering: Answering, requires?: string[]): void {
  check({ id: 'ipv6', points: 1, requires, title: 'works over IPv6 (::1)' }, async (t) => {
    const server = await t.startServer('udp', '::1');
    await expectAnswer(server, Buffer.from('over IPv6'), answering, 'pick the address family from HOST: AF_INET6 when it contains ":" (or use getaddrinfo)');
  });
}

/** Two clients send alternately; each must get the answers to its own datagrams, in order. */
export function interleavedClients(check: Register, reply: (sent: string) => string, hint: string): void {
  check({ id: 'interleaved', points: 1, title: 'answers two clients whose datagrams interleave, each at its own address' }, async (t) => {
    const server = await t.startServer('udp');
    const [a, b] = await Promise.all([UdpSocket.open(), UdpSocket.open()]);
    await a.send('first from a', server);
    await b.send('first from b', server);
    await a.send('second from a', server);
    await b.send('second from b', server);
    for (const [client, name] of [[a, 'a'], [b, 'b']] as const) {
      const got = [await client.receive(2000), await client.receive(2000)].map((d) => d?.data.toString('latin1'));
      const expected = [`first from ${name}`, `second from ${name}`].map(reply);
      if (got.join('|') !== expected.join('|')) {
        fail(`Client ${name} did not get the answers to its own two datagrams.`, {
          did: `two clients (a, b) sent alternately 4 datagrams to ${server.where}`,
          details: [`expected at ${name}: ${JSON.stringify(expected)}`, `received at ${name}: ${JSON.stringify(got)}`],
          hint,
        });
      }
    }
  });
}
