/**
 * Bounded capture of a program's output: keeps the first and the last bytes and counts what was
 * cut, so a program that floods stdout costs neither memory nor the report's readability.
 */
export class BoundedOutput {
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;

  constructor(
    private readonly headLimit = 64 * 1024,
    private readonly tailLimit = 64 * 1024,
  ) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headBytes < this.headLimit) {
      const take = chunk.subarray(0, this.headLimit - this.headBytes);
      this.head.push(take);
      this.headBytes += take.length;
      chunk = chunk.subarray(take.length);
    }
    if (chunk.length === 0) return;
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    while (this.tailBytes - this.tail[0].length >= this.tailLimit) {
      this.tailBytes -= this.tail.shift()!.length;
    }
  }

  get totalBytes(): number {
    return this.total;
  }

  get cutBytes(): number {
    return this.total - this.headBytes - Math.min(this.tailBytes, this.tailLimit);
  }

  toString(): string {
    const head = Buffer.concat(this.head).toString('utf8');
    let tail = Buffer.concat(this.tail);
    if (tail.length > this.tailLimit) tail = tail.subarray(tail.length - this.tailLimit);
    const cut = this.cutBytes;
    if (cut === 0) return head + tail.toString('utf8');
    return `${head}\n[... output truncated: ${cut} bytes cut, ${this.total} bytes in all ...]\n${tail.toString('utf8')}`;
  }
}

/** The last `count` non-empty lines of a text, for "what did the program print" in failures. */
export function lastLines(text: string, count: number): string[] {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  return lines.slice(-count);
}
