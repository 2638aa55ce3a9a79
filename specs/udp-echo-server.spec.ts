import { udpRequest, type Datagram } from './harness/clients';
import { allByteValues, lowercaseText, pseudoRandomBytes } from './harness/data';
import { interleavedClients } from './harness/datagram-checks';
import { exercise, type ServerHandle } from './harness/exercise';
import { expectBytes, fail } from './harness/expect';
import { portInUse } from './harness/server-checks';

exercise('udp-echo-server', ({ check }) => {
  const echoes = async (server: ServerHandle, payload: Buffer, hint: string): Promise<Datagram | undefined> => {
    const reply = await udpRequest(server, payload, 2000);
    expectBytes(reply?.data, payload, {
      did: `sent 1 datagram to ${server.where} and waited 2 s for the reply`,
      sent: payload.length <= 64 ? payload : undefined, // the expected bytes are the sent ones
      what: reply ? 'The reply is not the datagram, byte for byte.' : 'No reply came back within 2 s.',
      hint,
    });
    return reply;
  };

  check({ id: 'echo', points: 2, title: 'sends a datagram back to its sender, from the port it was sent to' }, async (t) => {
    const server = await t.startServer('udp');
    const reply = await echoes(server, Buffer.from('Hello, echo!'), 'reply with sendto(data, addr) to the address recvfrom() returned');
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
    await echoes(server, Buffer.concat([allByteValues(), pseudoRandomBytes(256)]), 'echo the bytes as they are: decoding to text fails on invalid UTF-8 (or changes bytes)');
  });

  check({ id: 'empty', points: 1, title: 'answers an empty datagram with an empty datagram' }, async (t) => {
    const server = await t.startServer('udp');
    await echoes(server, Buffer.alloc(0), 'an empty datagram is still a datagram: recvfrom() returns b"", and it must be echoed too (do not break or continue on b"" as with TCP)');
  });

  check({ id: 'large', points: 2, title: 'returns a 60000-byte datagram intact' }, async (t) => {
    const server = await t.startServer('udp');
    await echoes(server, lowercaseText(60_000), 'recvfrom(1024) (or 4096...) silently cuts a datagram to that size: ask for 65535');
  });

  check({ id: 'max-size', points: 1, title: 'returns a datagram of the maximum size, 65507 bytes' }, async (t) => {
    const server = await t.startServer('udp');
    await echoes(server, lowercaseText(65_507), 'the largest UDP payload over IPv4 is 65507 bytes: recvfrom(65535) receives any datagram whole');
  });

  interleavedClients(check, (sent) => sent, 'reply to the address recvfrom() returned for that very datagram; do not connect() the server socket to its first client');

  check({ id: 'ipv6', points: 1, title: 'works over IPv6 (::1)' }, async (t) => {
    const server = await t.startServer('udp', '::1');
    await echoes(server, Buffer.from('over IPv6'), 'pick the address family from HOST: AF_INET6 when it contains ":" (or use getaddrinfo)');
  });

  portInUse(check, 'udp');
});
