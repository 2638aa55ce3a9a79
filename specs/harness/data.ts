/** Test data: deterministic payloads and the reference transformations the exercises ask for. */

/** Uppercases ASCII a-z only and leaves every other byte alone, like Python's bytes.upper(). */
export function asciiUpper(data: Buffer | string): Buffer {
  const out = Buffer.from(data);
  for (let i = 0; i < out.length; i++) if (out[i] >= 0x61 && out[i] <= 0x7a) out[i] -= 0x20;
  return out;
}

/** Bytes 0..255 once each. */
export function allByteValues(): Buffer {
  return Buffer.from(Array.from({ length: 256 }, (_, i) => i));
}

/** `length` pseudo-random bytes, the same for the same seed (xorshift32): failures are reproducible. */
export function pseudoRandomBytes(length: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Printable text of `length` bytes with lowercase letters, for payloads that must read well in a diff. */
export function lowercaseText(length: number): Buffer {
  const alphabet = Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789 ');
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = alphabet[(i * 7 + (i >> 5)) % alphabet.length];
  return out;
}
