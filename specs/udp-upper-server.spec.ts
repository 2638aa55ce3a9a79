import { UdpSocket, udpRequest } from './harness/clients';
import { allByteValues, asciiUpper } from './harness/data';
import { datagramSizes, expectAnswer, interleavedClients, overIpv6, type Answering } from './harness/datagram-checks';
import { exercise } from './harness/exercise';
import { fail } from './harness/expect';
import { portInUse } from './harness/server-checks';

const uppercase: Answering = { answer: asciiUpper, answerIs: 'the datagram uppercased' };
/**
 * The IPv6 check is `uppercase`'s exchange over the other address family: a server that fails that
 * one is not told again why. (Larger or more datagrams are not that: a swapcase() server answers
 * lowercase text right, and the selftest's labelled programs show it.)
 */
const ANSWERS = ['uppercase'];

exercise('udp-upper-server', ({ check }) => {
  check({ id: 'uppercase', points: 2, title: 'replies to a datagram with its letters uppercased' }, async (t) => {
    const server = await t.startServer('udp');
    await expectAnswer(server, Buffer.from('MixedCaseString'), uppercase, 'reply with sendto(data.upper(), addr) to the address recvfrom returned');
  });

  check({ id: 'reply-from-server-port', points: 1, title: 'replies from the port it listens on' }, async (t) => {
    const server = await t.startServer('udp');
    const reply = await udpRequest(server, Buffer.from('who is answering?'), 2000);
    if (!reply) fail('No reply came back within 2 s.', { did: `sent 1 datagram to ${server.where}` });
    if (reply.from.port !== server.port) {
      fail(`The reply came from port ${reply.from.port}, not from the server's port ${server.port}.`, {
        did: `sent 1 datagram to ${server.where}`,
        hint: 'answer with sendto() on the socket that received the datagram: a reply from another socket is ignored by clients that check where it came from',
      });
    }
  });

  check({ id: 'all-bytes', points: 1, title: 'leaves every non-letter byte, including non-ASCII ones, unchanged' }, async (t) => {
    const server = await t.startServer('udp');
    await expectAnswer(server, allByteValues(), uppercase, 'work on bytes: decoding to text and calling upper() changes bytes such as 0xe9 (é) or fails on invalid UTF-8');
  });

  datagramSizes(check, uppercase, { maxSizeHidden: true });

  interleavedClients(check, (sent) => sent.toUpperCase(), 'reply to the address recvfrom returned for that datagram, not to the first client ever seen');

  check({ id: 'burst', points: 1, title: 'answers a burst of 100 datagrams' }, async (t) => {
    const server = await t.startServer('udp');
    const client = await UdpSocket.open();
    const sent = Array.from({ length: 100 }, (_, i) => `message ${i}`);
    for (const message of sent) await client.send(message, server);
    const replies = new Set<string>();
    for (let i = 0; i < sent.length; i++) {
      const reply = await client.receive(2000);
      if (!reply) break;
      replies.add(reply.data.toString('latin1'));
    }
    const missing = sent.filter((m) => !replies.has(m.toUpperCase()));
    if (missing.length > 0) {
      fail(`${missing.length} of 100 datagrams got no correct reply.`, {
        did: `sent 100 datagrams ("message 0" ... "message 99") back to back to ${server.where}`,
        details: [`unanswered: ${missing.slice(0, 10).map((m) => JSON.stringify(m)).join(', ')}${missing.length > 10 ? ', ...' : ''}`],
        hint: 'serve every datagram in a loop; do not exit or sleep between datagrams',
      });
    }
  });

  check({ id: 'survives-client', points: 1, title: 'keeps serving after a client goes away' }, async (t) => {
    const server = await t.startServer('udp');
    const first = await UdpSocket.open();
    await first.send('hello', server);
    first.close();
    await expectAnswer(server, Buffer.from('still there?'), uppercase, 'the server must loop forever: do not exit or close the socket after one client, and ignore errors caused by a vanished client');
  });

  overIpv6(check, uppercase, ANSWERS);

  portInUse(check, 'udp');
});
