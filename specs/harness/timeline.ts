/**
 * What a check did and saw on the wire, in order: the program's start, listening and exit, and on the
 * grader's sockets each connect, accept, send, receive, end, reset and wait, with times since the
 * check began, sizes and first bytes. Each check records into its own timeline (AsyncLocalStorage
 * follows it through its awaits; objects that outlive a step, such as a connection, keep the one
 * they were made in). Bounded: past MAX_EVENTS the middle is left out and counted.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';

/** The grader's side (its clients and test servers) or the student's program, as the grader saw it. */
export type Party = 'grader' | 'program';

export type EventKind = 'start' | 'listening' | 'exit' | 'stopped' | 'listen' | 'connect' | 'accept' | 'send' | 'receive' | 'eof' | 'reset' | 'close' | 'wait';

export interface TimelineEvent {
  /** Milliseconds since the check began. */
  ms: number;
  kind: EventKind;
  from: Party;
  /** Who it went to; absent for what happened on one side only (a start, a wait). */
  to?: Party;
  /** The socket, e.g. "UDP 127.0.0.1:41234 → 127.0.0.1:23456", or ":41234" once the connection is known. */
  via?: string;
  /** Bytes sent or received. */
  size?: number;
  /** The first HEAD_BYTES of them, as hex. */
  head?: string;
  /** Anything else worth saying: the command line, how it exited, what the wait was for. */
  text?: string;
}

export interface TimelineRecord {
  /** When the check began, in ms since the epoch (what a packet capture's timestamps count from). */
  startedAt?: number;
  events: TimelineEvent[];
  /** Events left out between events[cutAt - 1] and events[cutAt]. */
  cut: number;
  cutAt?: number;
}

export const HEAD_BYTES = 16;
export const MAX_EVENTS = 100;
const KEEP_LAST = 40;

export class Timeline {
  private readonly began = performance.now();
  private readonly first: TimelineEvent[] = [];
  private last: TimelineEvent[] = [];
  private cut = 0;
  /** The timeline of an observation this check judges but another check made (follow). */
  private followed: Timeline | undefined;

  /**
   * This check judges what another check's observation recorded (one run of the program judged by
   * several checks): its record is that one's, with this check's own events added in that one's time.
   */
  follow(other: Timeline): void {
    if (other !== this) this.followed = other;
  }

  add(event: Omit<TimelineEvent, 'ms'>): void {
    const full = { ms: Math.round((performance.now() - this.began) * 10) / 10, ...event };
    if (this.first.length < MAX_EVENTS - KEEP_LAST) {
      this.first.push(full);
      return;
    }
    this.last.push(full);
    if (this.last.length > KEEP_LAST) {
      this.last = this.last.slice(-KEEP_LAST);
      this.cut += 1;
    }
  }

  get empty(): boolean {
    return this.first.length === 0 && (this.followed?.empty ?? true);
  }

  record(): TimelineRecord {
    const own: TimelineRecord = {
      startedAt: Math.round(performance.timeOrigin + this.began),
      events: [...this.first, ...this.last],
      cut: this.cut,
      ...(this.cut ? { cutAt: this.first.length } : {}),
    };
    if (!this.followed) return own;
    const base = this.followed.record();
    const shift = this.began - this.followed.began;
    const added = own.events.map((event) => ({ ...event, ms: Math.round((event.ms + shift) * 10) / 10 }));
    const events = [...base.events, ...added].sort((a, b) => a.ms - b.ms);
    const cutAt = base.cutAt === undefined ? undefined : events.indexOf(base.events[base.cutAt]);
    return { startedAt: base.startedAt, events, cut: base.cut + own.cut, ...(cutAt !== undefined ? { cutAt } : {}) };
  }
}

/** Size and first bytes of data sent or received, for an event. */
export function bytesOf(data: Buffer | string): { size: number; head: string } {
  const buffer = typeof data === 'string' ? Buffer.from(data) : data;
  return { size: buffer.length, head: buffer.subarray(0, HEAD_BYTES).toString('hex') };
}

const scope = new AsyncLocalStorage<Timeline>();

/** Runs `work` recording into `timeline`. */
export function withTimeline<T>(timeline: Timeline, work: () => Promise<T>): Promise<T> {
  return scope.run(timeline, work);
}

/** The running check's timeline, if any: keep it in objects that report events later (sockets, programs). */
export function currentTimeline(): Timeline | undefined {
  return scope.getStore();
}
