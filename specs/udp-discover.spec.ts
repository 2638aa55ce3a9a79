import { exercise, sharedObservation, type CheckRun, type RunResult } from './harness/exercise';
import { fail, showBytes } from './harness/expect';
import { GraderError } from './harness/grader-error';
import { BROADCAST_ADDRESS, BroadcastLab, broadcastSupport, type LabLog, type Responder, type Scenario } from './harness/broadcast-lab';

const MESSAGE = 'who is there?';
/** The contract's wait: 1 s in all. Past this (on the program's own clock) it is treated as hanging. */
const RUN_LIMIT_MS = 5000;
/** The latest reply is planned this long after the broadcast, 0.1 s before the program's deadline. */
const LATE_S = 0.9;
/** A responder later than this (a busy machine) leaves too little margin to blame the program for missing it. */
const LATE_ENOUGH_S = 0.96;

const THREE: Responder[] = [
  { address: '127.0.0.2', reply: 'alpha ready', delays: [0] },
  { address: '127.0.0.3', reply: 'bravo ready', delays: [0.3, 0.45] },
  { address: '127.0.0.4', reply: 'charlie ready', delays: [LATE_S] },
];
const TWICE = 1;
const DECOY = { address: '127.0.0.2', reply: 'not a reply', after: 0.15 };
const CHATTY: Responder = { address: '127.0.0.5', reply: 'delta ready', every: 0.3 };

/** Why the checks cannot run here, found once (a jailed probe) when they are registered to run; never when only declared. */
let probed: { reason: string | undefined } | undefined;
function skip(): string | undefined {
  probed ??= { reason: broadcastSkipReason() };
  return probed.reason;
}

function broadcastSkipReason(): string | undefined {
  const support = broadcastSupport();
  return support.available ? undefined : `needs Linux user and network namespaces to keep broadcasts on this machine (${support.reason})`;
}

interface Discovery {
  scenario: Scenario;
  result: RunResult;
  log: LabLog;
  lines: string[];
}

async function discover(t: CheckRun, responders: Responder[], decoy?: Scenario['decoy']): Promise<Discovery> {
  const scenario: Scenario = { port: await t.freePort(), responders, decoy };
  const lab = new BroadcastLab(t.tempDir(), scenario);
  const result = await t.run([BROADCAST_ADDRESS, String(scenario.port), MESSAGE], RUN_LIMIT_MS, { wrap: lab.wrap });
  const lines = result.stdout.split(/\r?\n/).filter((line) => line.trim() !== '');
  return { scenario, result, log: lab.log(), lines };
}

const lineOf = (d: Discovery, responder: { address: string; reply: string }) => `${responder.address} ${d.scenario.port} ${responder.reply}`;
const decoyLine = (d: Discovery) => d.lines.find((line) => line.includes(DECOY.reply));

function ran(d: Discovery): string {
  return `ran udp-discover ${BROADCAST_ADDRESS} ${d.scenario.port} ${JSON.stringify(MESSAGE)} in a network namespace of its own, where ${describeResponders(d)}`;
}

function describeResponders(d: Discovery): string {
  if (d.scenario.responders.length === 0) return 'nobody answers';
  const who = d.scenario.responders.map((r) => {
    const when = r.every ? `every ${r.every} s` : `after ${r.delays!.map((s) => `${s} s`).join(' and ')}`;
    return `${r.address}:${d.scenario.port} answers ${JSON.stringify(r.reply)} ${when}`;
  });
  if (d.scenario.decoy) who.push(`${d.scenario.decoy.address} sends ${JSON.stringify(d.scenario.decoy.reply)} from another port after ${d.scenario.decoy.after} s`);
  return who.join('; ');
}

function outcome(d: Discovery): string {
  if (d.result.timedOut) return `it was still running after ${RUN_LIMIT_MS / 1000} s and was stopped`;
  const waited = waitedSeconds(d);
  return `it ${d.result.program.describeExit()}${waited === undefined ? '' : ` ${waited.toFixed(2)} s after its broadcast`}`;
}

function details(d: Discovery): string[] {
  const expected = d.scenario.responders.map((r) => lineOf(d, r));
  return [
    outcome(d),
    ...(expected.length ? [`expected stdout:\n${expected.map((l) => `    ${l}`).join('\n')}`] : []),
    `stdout:   ${showBytes(Buffer.from(d.result.stdout), 400)}`,
  ];
}

/** Seconds from the broadcast to the program's end, when both were seen. */
function waitedSeconds(d: Discovery): number | undefined {
  const first = d.log.heard[0];
  return first && d.log.ended !== undefined ? d.log.ended - first.at : undefined;
}

/** Seconds from the broadcast to the reply of responder `index`, if it was sent. */
function replySeconds(d: Discovery, index: number): number | undefined {
  const first = d.log.heard[0];
  const sent = d.log.sent.find((s) => s.by === index);
  return first && sent ? sent.at - first.at : undefined;
}

exercise('udp-discover', ({ check }) => {
  // One run against three responders and a decoy, judged by the four checks below.
  const discoverThree = sharedObservation((t: CheckRun) => discover(t, THREE, DECOY));
  const observeThree = (t: CheckRun) =>
    discoverThree(t).then((d) => {
      if (!t.launched.includes(d.result.program)) t.launched.push(d.result.program); // so failures show its output
      return d;
    });

  check({ id: 'broadcasts', points: 2, title: 'sends MESSAGE once, as a broadcast to BROADCAST_ADDRESS:PORT', skip }, async (t) => {
    const d = await observeThree(t);
    const heard = d.log.heard;
    const did = ran(d);
    if (heard.length === 0) {
      const refused = /permission denied|EACCES|errno 13/i.test(d.result.stderr);
      fail(refused ? 'Sending the broadcast failed with a permission error.' : 'The responders heard nothing.', {
        did,
        details: [outcome(d), `stderr:   ${showBytes(Buffer.from(d.result.stderr), 300)}`],
        hint: refused
          ? 'the kernel sends to a broadcast address only from a socket that asked for it: s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1) before sendto'
          : 'send MESSAGE with sendto((BROADCAST_ADDRESS, PORT)) from a UDP socket with SO_BROADCAST set',
      });
    }
    const first = heard[0];
    if (first.destination !== BROADCAST_ADDRESS) {
      fail(`The datagram was sent to ${first.destination ?? 'an address the responders could not see'}, not to the broadcast address ${BROADCAST_ADDRESS}.`, {
        did,
        details: [`the responders heard ${heard.length} datagram(s), the first from ${first.source.join(':')} to ${first.destination}:${d.scenario.port}`],
        hint: 'send to the BROADCAST_ADDRESS argument: a unicast to one address reaches one host, never all of them',
      });
    }
    if (!first.data.equals(Buffer.from(MESSAGE))) {
      fail('The broadcast datagram is not exactly MESSAGE.', {
        did,
        details: [`expected: ${showBytes(Buffer.from(MESSAGE))}`, `received: ${showBytes(first.data)}`],
        hint: 'send MESSAGE.encode() as it is: no added newline, quotes or prefix',
      });
    }
    if (heard.length > 1) {
      fail(`The program sent ${heard.length} datagrams; the contract asks for one broadcast.`, {
        did,
        details: heard.map((h, i) => `datagram ${i + 1}: ${showBytes(h.data)} to ${h.destination}, at ${(h.at - first.at).toFixed(2)} s`),
        hint: 'broadcast once, then only listen: every responder hears that one datagram',
      });
    }
  });

  check({ id: 'lists-responders', points: 2, title: 'prints ADDRESS PORT REPLY for each of three responders, the last answering after 0.9 s; exit code 0', skip }, async (t) => {
    const d = await observeThree(t);
    const did = ran(d);
    const expected = THREE.map((r) => lineOf(d, r));
    const listed = [...new Set(d.lines)].filter((line) => line !== decoyLine(d));
    const missing = expected.filter((line) => !listed.includes(line));
    if (missing.length === 1 && missing[0] === expected[2]) {
      // Only the late responder is missing: the program's fault if it stopped before that reply was due,
      // or if the reply came in good time; not if the responder itself ran late on a busy machine.
      const waited = waitedSeconds(d);
      const late = replySeconds(d, 2);
      if (!(waited !== undefined && waited < LATE_S) && !(late !== undefined && late <= LATE_ENOUGH_S)) {
        throw new GraderError(`the responder that answers after ${LATE_S} s ${late === undefined ? 'never answered' : `answered only after ${late.toFixed(2)} s`}: the machine was too busy to judge the 1-s wait`);
      }
      // It stopped between 0.9 s and that reply: a correct program whose clock started before its
      // broadcast does so only if it was kept from a CPU in between, for about what it fell short of 1 s
      // (its own wait for a CPU, the jail's set-up before it left out).
      const heldS = (d.result.program.processTree()?.programWaitedMs() ?? 0) / 1000;
      if (waited !== undefined && late !== undefined && waited >= LATE_S && waited < late && heldS >= 1 - waited) {
        throw new GraderError(`the program stopped ${waited.toFixed(2)} s after its broadcast, just before the last reply (${late.toFixed(2)} s), having waited ${heldS.toFixed(2)} s for a CPU: the machine was too busy to judge the 1-s wait`);
      }
    }
    if (missing.length > 0 || listed.length !== expected.length || listed.some((line, i) => line !== expected[i])) {
      const problem = missing.length === 0
        ? 'The program listed every responder, but not exactly as the contract asks (one line each, in the order their replies arrived, nothing else on stdout).'
        : missing.includes(expected[2]) && missing.length === 1
          ? `The program did not list the responder that answered after ${LATE_S} s${(waitedSeconds(d) ?? 1) < LATE_S ? ': it stopped waiting too early' : ''}.`
          : `The program did not list ${missing.length} of the 3 responders.`;
      fail(problem, {
        did,
        details: details(d),
        hint: missing.includes(expected[2])
          ? 'keep receiving until 1 s has passed since the broadcast, not until the first reply (or a shorter wait)'
          : 'print(addr[0], addr[1], data.decode()) for each reply: the address and port recvfrom returns, then the reply text; messages for people go to stderr',
      });
    }
    if (d.result.exit?.code !== 0) {
      fail(`The program listed the responders but ${outcome(d)} (expected exit code 0).`, { did, details: details(d), hint: 'exit 0 when at least one responder answered' });
    }
  });

  check({ id: 'once-each', points: 1, title: 'lists a responder that answers twice only once', skip }, async (t) => {
    const d = await observeThree(t);
    const twice = lineOf(d, THREE[TWICE]);
    const count = d.lines.filter((line) => line === twice).length;
    if (count !== 1) {
      fail(count === 0 ? `The program did not list ${THREE[TWICE].address}, which answered twice.` : `The program listed ${THREE[TWICE].address} ${count} times: it answered twice, and is one responder.`, {
        did: ran(d),
        details: details(d),
        hint: count === 0 ? 'receive for the whole second, printing each reply' : 'remember who answered already (a set of (address, port)) and print each responder once, on its first reply',
      });
    }
  });

  check({ id: 'ignores-other-port', points: 1, title: 'ignores a datagram from another port', skip }, async (t) => {
    const d = await observeThree(t);
    const shown = decoyLine(d);
    if (shown || d.lines.length === 0) {
      fail(shown ? `The program listed the decoy, which came from another port than ${d.scenario.port}: ${JSON.stringify(shown)}` : 'The program listed nothing, so it cannot be told whether it ignores datagrams from other ports.', {
        did: ran(d),
        details: details(d),
        hint: `a reply comes from the port you broadcast to: skip datagrams whose recvfrom port is not PORT (the decoy came from ${DECOY.address}, a responder's own address, but another port)`,
      });
    }
  });

  check({ id: 'total-deadline', points: 2, title: 'stops after 1 s in all, though a responder keeps answering every 0.3 s', skip }, async (t) => {
    const d = await discover(t, [CHATTY]);
    const did = ran(d);
    if (d.result.timedOut) {
      fail('The program never stopped: a responder that keeps answering kept it waiting.', {
        did,
        details: details(d),
        hint: 'the 1 s is a deadline for the whole wait: deadline = time.monotonic() + 1, and before each recvfrom settimeout(deadline - time.monotonic()); a timeout of 1 s per recvfrom starts again with every reply',
      });
    }
    if (d.result.exit?.code !== 0 || !d.lines.includes(lineOf(d, CHATTY))) {
      fail(`The program stopped, but ${d.result.exit?.code !== 0 ? outcome(d) : `without listing ${CHATTY.address}`} (expected its line and exit code 0).`, {
        did,
        details: details(d),
        hint: 'when the deadline passes, print what was received and exit 0',
      });
    }
  });

  check({ id: 'no-responder', points: 1, title: 'with nobody answering: a message on stderr, nothing on stdout, exit code 1', skip }, async (t) => {
    const d = await discover(t, []);
    const { result } = d;
    if (result.timedOut || result.exit?.code !== 1 || result.stderr.trim() === '' || d.lines.length > 0) {
      const problem = result.timedOut
        ? 'The program never gave up.'
        : result.exit?.code !== 1
          ? `With nobody answering, ${outcome(d)} (expected exit code 1).`
          : d.lines.length > 0
            ? 'With nobody answering, the program printed on stdout, where only responders belong.'
            : 'With nobody answering, the program said nothing on stderr.';
      fail(problem, {
        did: ran(d),
        details: [outcome(d), `stdout:   ${showBytes(Buffer.from(result.stdout), 300)}`, `stderr:   ${showBytes(Buffer.from(result.stderr), 300)}`],
        hint: 'after the 1-s wait with no reply: print(f"udp-discover: no reply within 1 s", file=sys.stderr) and sys.exit(1)',
      });
    }
  });
});
