/**
 * Checks every server exercise shares: clients that connect and send nothing, or reset, must not bring
 * the server down; a second start on a port already in use must exit non-zero with a clear message.
 */
import { TcpConnection } from './clients';
import type { Check, CheckRun, ServerHandle } from './exercise';
import { fail } from './expect';
import type { Launched } from './launch';

type Register = (meta: Check, body: (t: CheckRun) => Promise<void>) => void;

/** A correct exchange with the server; must throw (fail) when the server does not answer properly. */
export type Probe = (server: ServerHandle, t: CheckRun) => Promise<void>;

export function silentAndResettingClients(check: Register, probe: Probe, points = 1): void {
  check({ id: 'silent-clients', points, title: 'survives clients that send nothing, or reset the connection' }, async (t) => {
    const server = await t.startServer('tcp');
    const did = `3 clients connected to ${server.where} and closed without sending; 2 sent a few bytes and reset (RST)`;
    const died = (after: string) =>
      fail(`The server ${server.program.describeExit()} after ${after}.`, {
        did,
        hint: 'recv() returning b"" (EOF) right away is normal, and a reset raises ConnectionResetError: catch it per client and go back to accept()',
      });
    const connect = async (after: string) => {
      try {
        return await TcpConnection.open(server);
      } catch (error) {
        if (await server.program.waitForExit(500)) died(after);
        throw error;
      }
    };
    for (let i = 0; i < 3; i++) {
      const idle = await connect('a client that connected and sent nothing');
      idle.end();
      await idle.readUntilEnd(2500);
      idle.close();
    }
    for (let i = 0; i < 2; i++) {
      const rude = await connect(i === 0 ? 'clients that connected and sent nothing' : 'a client that reset its connection');
      await rude.write('half a request');
      rude.reset();
    }
    if (await server.program.waitForExit(200)) died('a client that reset its connection');
    await probe(server, t);
  });
}

export function portInUse(check: Register, protocol: 'tcp' | 'udp', points = 1): void {
  check({ id: 'port-in-use', points, title: 'exits non-zero with a clear message when its port is already in use' }, async (t) => {
    const first = await t.startServer(protocol);
    const second = t.start([first.host, String(first.port)]);
    const exit = await second.waitForExit(5000, 'own');
    const said = second.stderr.toString() + second.stdout.toString();
    const did = `started a first server on ${first.where}, then a second one with the same HOST and PORT`;
    if (!exit) {
      fail('The second server was still running after 5 s: it should have failed to bind and exited.', {
        did,
        hint: 'let bind() fail loudly (do not retry forever or swallow the error), and do not set SO_REUSEPORT',
      });
    }
    if (exit.code === 0 || exit.signal) {
      fail(`The second server ${second.describeExit()}: a failed bind must end with a non-zero exit code.`, { did, hint: 'exit with sys.exit(1) / process.exit(1) after printing the error' });
    }
    if (!/in use|EADDRINUSE|errno 98|address already/i.test(said)) {
      fail('The second server exited without saying that the address is in use.', {
        did,
        details: [`it printed: ${JSON.stringify(said.slice(-300))}`],
        hint: 'print the bind error (e.g. "Address already in use") to stderr before exiting',
      });
    }
  });
}

/**
 * How a server that is gone ended: a crash points at what it printed; a clean exit is a mistake of its
 * own, and `mustKeep` says what it must do instead ("it must keep serving clients until it is killed.").
 */
export function serverEnded(program: Launched, mustKeep: string): string {
  if (program.exit?.code !== 0) return `The server ${program.describeExit()} (what it printed is below).`;
  return `The server ${program.describeExit()}: ${mustKeep}`;
}

/** Opens a client connection with `open`, or fails saying why, and how the server ended when it is gone. */
export async function connectOrFail(server: { where: string; program: Launched }, open: () => Promise<TcpConnection>, why: string, mustKeep: string): Promise<TcpConnection> {
  try {
    return await open();
  } catch (error) {
    const exit = await server.program.waitForExit(500);
    fail(`Could not connect to ${server.where} ${why}: ${(error as Error).message}.${exit ? `\n  ${serverEnded(server.program, mustKeep)}` : ''}`, {
      hint: 'the server must keep running and go back to accept() after every client, whatever that client did',
    });
  }
}
