import { launch } from '../specs/harness/launch';
import { BoundedOutput, lastLines } from '../specs/harness/output';
import { asciiUpper, pseudoRandomBytes } from '../specs/harness/data';
import { firstDifference, hexdump, showBytes } from '../specs/harness/expect';
import { checkTitle, matchCheck, notRunTitle } from '../specs/harness/titles';

describe('BoundedOutput', () => {
  test('keeps head and tail of a flood and says how much was cut', () => {
    const out = new BoundedOutput(10, 10);
    for (let i = 0; i < 1000; i++) out.push(Buffer.from('0123456789'));
    const text = out.toString();
    expect(text.startsWith('0123456789')).toBe(true);
    expect(text.endsWith('0123456789')).toBe(true);
    expect(text).toContain('9980 bytes cut, 10000 bytes in all');
    expect(text.length).toBeLessThan(200);
  });

  test('keeps everything below the limits', () => {
    const out = new BoundedOutput(10, 10);
    out.push(Buffer.from('hello '));
    out.push(Buffer.from('world'));
    expect(out.toString()).toBe('hello world');
  });
});

test('lastLines drops trailing blank lines', () => {
  expect(lastLines('a\nb\nc\n\n', 2)).toEqual(['b', 'c']);
});

test('asciiUpper changes a-z only', () => {
  expect(asciiUpper(Buffer.from([0x61, 0x7a, 0xe9, 0x41, 0x00]))).toEqual(Buffer.from([0x41, 0x5a, 0xe9, 0x41, 0x00]));
});

test('pseudoRandomBytes is deterministic', () => {
  expect(pseudoRandomBytes(64, 7)).toEqual(pseudoRandomBytes(64, 7));
  expect(pseudoRandomBytes(64, 7)).not.toEqual(pseudoRandomBytes(64, 8));
});

test('hexdump and showBytes', () => {
  expect(hexdump(Buffer.from('AB\x00'))).toBe(`    00000000  ${'41 42 00'.padEnd(47)}  AB.`);
  expect(showBytes(Buffer.from('hi'))).toBe('2 bytes: "hi"');
  expect(showBytes(Buffer.alloc(0))).toBe('0 bytes (empty)');
  expect(showBytes(undefined)).toBe('nothing');
  expect(firstDifference(Buffer.from('abc'), Buffer.from('abd'))).toBe(2);
  expect(firstDifference(Buffer.from('ab'), Buffer.from('abc'))).toBe(2);
  expect(firstDifference(Buffer.from('ab'), Buffer.from('ab'))).toBe(-1);
});

test('a test is matched to the check declared with its name, whatever its title holds', () => {
  const declared = [
    { id: 'large', title: 'returns a big datagram [not metadata]', points: 2, hidden: true },
    { id: 'a-1', title: 't', points: 1 },
  ];
  expect(matchCheck(checkTitle(declared[0]), declared)).toEqual({ meta: declared[0] });
  expect(matchCheck(checkTitle(declared[1]), declared)).toEqual({ meta: declared[1] });
  expect(matchCheck('no metadata here', declared)).toBeUndefined();
  // A name that only looks like a declared one is not it: the points are part of the name.
  expect(matchCheck(checkTitle({ ...declared[1], points: 3 }), declared)).toBeUndefined();
});

test('a check the run did not run says why after its name', () => {
  const meta = { id: 'stale-file', title: 'works with a stale file', points: 1 };
  expect(matchCheck(notRunTitle(meta, 'skipped', 'AF_UNIX is not available on Windows'), [meta])).toEqual({ meta, notRun: { why: 'skipped', reason: 'AF_UNIX is not available on Windows' } });
  expect(matchCheck(notRunTitle(meta, 'not attempted', 'no file (really)'), [meta])).toEqual({ meta, notRun: { why: 'not attempted', reason: 'no file (really)' } });
  expect(matchCheck(`${checkTitle(meta)} (something else: x)`, [meta])).toBeUndefined();
});

test('a launched command is shown quoted the way a shell needs it', async () => {
  const program = launch({ command: 'true', args: ['127.0.0.1', 'Hello, TCP server', "it's", ''], cwd: '/', label: 'true' });
  await program.exited;
  expect(program.commandLine).toBe("true 127.0.0.1 'Hello, TCP server' 'it'\\''s' ''");
});
