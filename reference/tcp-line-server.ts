/**
 * Line server: `tcp-line-server HOST PORT`.
 * Iterative: one client at a time, the others wait their turn. Each line the client sends (ended by
 * "\n", or "\r\n") is answered with the line, ASCII a-z uppercased, plus "\n"; a last line without
 * newline is answered at EOF. A line may arrive in any number of pieces, and one piece may hold many
 * lines. After the client's EOF the connection is closed; a connection on which nothing happens for
 * 2 s is closed too, so a silent client cannot block the others.
 */
import net from 'node:net';

const IDLE_TIMEOUT_MS = 2000;
const LF = 0x0a;
const CR = 0x0d;

const [host, port] = process.argv.slice(2);
if (!host || !port) {
  console.error('usage: tcp-line-server HOST PORT');
  process.exit(2);
}

function asciiUpper(data: Buffer): Buffer {
  // toUpperCase() on a decoded string would rewrite non-ASCII bytes; only a-z may change.
  const out = Buffer.from(data);
  for (let i = 0; i < out.length; i++) if (out[i] >= 0x61 && out[i] <= 0x7a) out[i] -= 0x20;
  return out;
}

/** The reply to one line given without its "\n": a "\r" before the "\n" belongs to the end of line. */
function replyTo(line: Buffer): Buffer {
  const body = line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, -1) : line;
  return Buffer.concat([asciiUpper(body), Buffer.from([LF])]);
}

/** Cuts a byte stream into lines; the unfinished end of the stream is kept until its "\n" arrives. */
class LineSplitter {
  // The pieces of the current line, joined only once it is complete (a long line in many small
  // pieces would otherwise be copied again for every piece).
  private partial: Buffer[] = [];

  /** The lines completed by `chunk`, without their "\n". */
  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let start = 0;
    for (let end = chunk.indexOf(LF); end !== -1; end = chunk.indexOf(LF, start)) {
      lines.push(Buffer.concat([...this.partial, chunk.subarray(start, end)]));
      this.partial = [];
      start = end + 1;
    }
    if (start < chunk.length) this.partial.push(chunk.subarray(start));
    return lines;
  }

  /** What is left at EOF: a last line without newline, if any. */
  rest(): Buffer | undefined {
    return this.partial.length > 0 ? Buffer.concat(this.partial) : undefined;
  }
}

const waiting: net.Socket[] = [];
let serving = false;

function serveNext(): void {
  if (serving) return;
  let socket = waiting.shift();
  while (socket?.destroyed) socket = waiting.shift(); // gone while it waited: nothing to serve
  if (!socket) return;
  serving = true;
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  const splitter = new LineSplitter();
  let answered = 0;
  console.log(`serving ${peer}`);
  socket.setTimeout(IDLE_TIMEOUT_MS, () => {
    console.log(`${peer} idle for ${IDLE_TIMEOUT_MS / 1000} s: closing`);
    socket.destroy();
  });
  socket.on('data', (chunk: Buffer) => {
    const lines = splitter.push(chunk);
    if (lines.length === 0) return;
    answered += lines.length;
    // Backpressure: stop reading while the client is not reading its replies.
    if (!socket.write(Buffer.concat(lines.map(replyTo)))) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
  });
  socket.on('end', () => {
    const last = splitter.rest();
    if (last) {
      answered++;
      socket.write(replyTo(last));
    }
    socket.end(); // finish sending, then close our side
  });
  socket.once('close', () => {
    console.log(`${peer} done after ${answered} lines`);
    serving = false;
    serveNext();
  });
  socket.resume();
}

// pauseOnConnect: a client waiting its turn is not read from until it is served.
const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => {
  socket.on('error', (error: NodeJS.ErrnoException) => console.log(`${socket.remoteAddress}:${socket.remotePort}: ${error.code ?? error.message}`));
  waiting.push(socket);
  serveNext();
});

server.on('error', (error) => {
  console.error(`tcp-line-server: ${error.message}`);
  process.exit(1);
});

server.listen(Number(port), host, () => console.log(`listening on TCP ${host}:${port}`));
