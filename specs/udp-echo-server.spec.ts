import { allByteValues, pseudoRandomBytes } from './harness/data';
import { datagramSizes, expectAnswer, interleavedClients, overIpv6, type Answering } from './harness/datagram-checks';
import { exercise } from './harness/exercise';
import { fail } from './harness/expect';
import { portInUse } from './harness/server-checks';

const echo: Answering = { answer: (sent) => sent, answerIs: 'the datagram, byte for byte' };

exercise('udp-echo-server', ({ check }) => {
  check({ id: 'echo', points: 2, title: 'sends a datagram back to its sender, from the port it was sent to' }, async (t) => {
    const server = await t.startServer('udp');
    const reply = await expectAnswer(server, Buffer.from('Hello, echo!'), echo, 'reply with sendto(data, addr) to the address recvfrom() returned');
    if (reply && reply.from.port !== server.port) {
      fail(`The reply came from port ${reply.from.port}, not from the server's port ${server.port}.`, {
        did: `sent 1 datagram to ${server.where}`,
        details: [`reply from: ${reply.from.host}:${reply.from.port}`],
        hint: 'answer from the socket that received the datagram: a client that connect()s its UDP socket to the server drops replies from any other port',
      });
    }
  });

  check({ id: 'all-bytes', points: 1, title: 'returns every byte value unchanged' }, async (t) => {
    const server = await t.startServer('udp');
    await expectAnswer(server, Buffer.concat([allByteValues(), pseudoRandomBytes(256)]), echo, 'echo the bytes as they are: decoding to text fails on invalid UTF-8 (or changes bytes)');
  });

  datagramSizes(check, echo);

  interleavedClients(check, (sent) => sent, 'reply to the address recvfrom() returned for that very datagram; do not connect() the server socket to its first client');

  overIpv6(check, echo);

  portInUse(check, 'udp');
});
