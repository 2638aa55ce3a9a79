/** Checks both UDP servers share (udp-upper-server, udp-echo-server): only the reply's transformation differs. */
import { UdpSocket } from './clients';
import type { Check, CheckRun } from './exercise';
import { fail } from './expect';

type Register = (meta: Check, body: (t: CheckRun) => Promise<void>) => void;

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
