import { UdpSocket, udpRequest } from './harness/clients';
import { allByteValues, asciiUpper, lowercaseText } from './harness/data';
import { exercise } from './harness/exercise';
import { expectBytes, fail } from './harness/expect';
import { interleavedClients } from './harness/datagram-checks';
import { portInUse } from './harness/server-checks';

exercise('udp-upper-server', ({ check }) => {
  const ask = async (server: { host: string; port: number; where: string }, payload: Buffer, hint?: string) => {
    const reply = await udpRequest(server, payload, 2000);
    expectBytes(reply?.data, asciiUpper(payload), {
      did: `sent 1 datagram to ${server.where} and waited 2 s for the reply`,
      sent: payload,
      what: reply ? 'The reply is not the datagram uppercased.' : 'No reply came back within 2 s.',
      hint,
    });
  };

  check({ id: 'uppercase', points: 2, title: 'replies to a datagram with its letters uppercased' }, async (t) => {
    const server = await t.startServer('udp');
    await ask(server, Buffer.from('MixedCaseString'), 'reply with sendto(data.upper(), addr) to the address recvfrom returned');
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
    await ask(server, allByteValues(), 'work on bytes: decoding to text and calling upper() changes bytes such as 0xe9 (é) or fails on invalid UTF-8');
  });

  check({ id: 'empty', points: 1, title: 'answers an empty datagram with an empty datagram' }, async (t) => {
    const server = await t.startServer('udp');
    await ask(server, Buffer.alloc(0), 'an empty datagram is still a datagram: recvfrom returns b"", and the reply must be sent anyway');
  });

  check({ id: 'large', points: 2, title: 'returns a 60000-byte datagram intact' }, async (t) => {
    const server = await t.startServer('udp');
    await ask(server, lowercaseText(60_000), 'recvfrom(1024) cuts a datagram to 1024 bytes: ask for 65535');
  });

  check({ id: 'max-datagram', points: 1, hidden: true, title: 'returns a datagram of the largest size UDP over IPv4 allows (65507 bytes)' }, async (t) => {
    const server = await t.startServer('udp');
    await ask(server, lowercaseText(65_507), 'a buffer smaller than 65507 (e.g. 65000) still cuts the largest datagrams: ask recvfrom for 65535');
  });

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
    await ask(server, Buffer.from('still there?'), 'the server must loop forever: do not exit or close the socket after one client, and ignore errors caused by a vanished client');
  });

  check({ id: 'ipv6', points: 1, title: 'works over IPv6 (::1)' }, async (t) => {
    const server = await t.startServer('udp', '::1');
    await ask(server, Buffer.from('over IPv6'), 'pick the address family from HOST: AF_INET6 when it contains ":" (or use getaddrinfo)');
  });

  portInUse(check, 'udp');
});
