/**
 * Length-prefixed uppercase server: `tcp-framed-server HOST PORT`.
 *
 * A message is a 4-byte unsigned big-endian length (network byte order) followed by that many bytes.
 * Each message is answered with one message framed the same way whose ASCII a-z are uppercased.
 * A length over 1 MiB closes the connection without a reply; a message cut short by the client's EOF
 * gets no reply. Clients are served one after another (Node's event loop serves them concurrently,
 * which the contract allows).
 */
import net from 'node:net';

const MAX_LENGTH = 1024 * 1024;
const HEADER = 4;

const [host, port] = process.argv.slice(2);
if (!host || !port) {
  console.error('usage: tcp-framed-server HOST PORT');
  process.exit(2);
}

function asciiUpper(data: Buffer): Buffer {
  // toUpperCase() on a decoded string would rewrite non-ASCII bytes; only a-z may change.
  const out = Buffer.from(data);
  for (let i = 0; i < out.length; i++) if (out[i] >= 0x61 && out[i] <= 0x7a) out[i] -= 0x20;
  return out;
}

function frame(payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER);
  header.writeUInt32BE(payload.length);
  return Buffer.concat([header, payload]);
}

/**
 * Collects a connection's bytes and cuts them into messages. TCP delivers a stream: one chunk may hold
 * part of a header, several messages, or the start of the next one, so nothing is assumed about chunks.
 */
class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  get pendingBytes(): number {
    return this.buffered;
  }

  /** The next whole message, 'too-long' for an announced length over the limit, or undefined until more arrives. */
  next(): Buffer | 'too-long' | undefined {
    if (this.buffered < HEADER) return undefined;
    const length = this.take(HEADER, false).readUInt32BE(0);
    if (length > MAX_LENGTH) return 'too-long';
    if (this.buffered < HEADER + length) return undefined;
    this.take(HEADER, true);
    return this.take(length, true);
  }

  /** The first `count` bytes (joining chunks only when a message spans them), removed if `consume`. */
  private take(count: number, consume: boolean): Buffer {
    if (this.chunks.length > 1 && this.chunks[0].length < count) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0] ?? Buffer.alloc(0);
    const taken = first.subarray(0, count);
    if (consume) {
      this.buffered -= count;
      if (first.length === count) this.chunks.shift();
      else this.chunks[0] = first.subarray(count);
    }
    return taken;
  }
}

const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  const reader = new FrameReader();
  let answered = 0;
  console.log(`client ${peer} connected`);

  socket.on('data', (chunk: Buffer) => {
    reader.push(chunk);
    for (let message = reader.next(); message !== undefined; message = reader.next()) {
      if (message === 'too-long') {
        console.log(`client ${peer}: announced length over ${MAX_LENGTH} bytes, closing`);
        socket.removeAllListeners('data');
        // Replies already queued are still sent; then the socket is closed (not just half-closed).
        socket.destroySoon();
        return;
      }
      socket.write(frame(asciiUpper(message)));
      answered += 1;
    }
  });

  socket.on('end', () => {
    // EOF in the middle of a message: the partial message is dropped, never answered.
    const dropped = reader.pendingBytes;
    console.log(`client ${peer} closed after ${answered} messages${dropped ? `, dropping ${dropped} bytes of an incomplete message` : ''}`);
    socket.end();
  });

  // A client that resets the connection must not bring the server down.
  socket.on('error', (error) => console.log(`client ${peer}: ${error.message}`));
});

server.on('error', (error) => {
  console.error(`tcp-framed-server: ${error.message}`);
  process.exit(1);
});

server.listen({ host, port: Number(port) }, () => console.log(`listening on TCP ${host}:${port}`));
