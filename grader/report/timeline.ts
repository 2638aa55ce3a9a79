/**
 * A check's timeline (specs/harness/timeline.ts) drawn three ways: as text for the terminal
 * (`npm test -- --trace ID`), as a Mermaid sequenceDiagram for Markdown that GitHub renders
 * (feedback.md, the CI job summary), and as an inline SVG for report.html and feedback.html. The two
 * lifelines are the grader (the tests' sockets) and the student's program; gaps of a quarter second
 * or more are marked, so that timing is seen at a glance.
 */
import type { TimelineEvent, TimelineRecord } from '../../specs/harness/timeline';

const PRINTABLE = /^[\x20-\x7e\t\r\n]*$/;
/** A gap between two events from which on it is drawn. */
const GAP_MS = 250;

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

/** The first bytes of an event: quoted text when printable, else hex; "…" when there were more. */
export function headOf(event: TimelineEvent): string {
  if (event.head === undefined || event.size === undefined) return '';
  const bytes = Buffer.from(event.head, 'hex');
  const more = event.size > bytes.length ? '…' : '';
  if (bytes.length === 0) return '';
  const latin = bytes.toString('latin1');
  if (PRINTABLE.test(latin)) return `${JSON.stringify(latin)}${more}`;
  return `${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ')}${more}`;
}

const bytes = (n: number) => `${n} byte${n === 1 ? '' : 's'}`;

/** What an event says, without its time: e.g. "UDP :41234 → 127.0.0.1:23456  5 bytes "hello"". */
export function eventLabel(event: TimelineEvent): string {
  const parts = [event.via, event.text, event.size !== undefined ? bytes(event.size) : undefined, headOf(event) || undefined];
  return parts.filter((part) => part !== undefined && part !== '').join('  ');
}

/** The cut marker's words, where the timeline left events out. */
function cutNotice(record: TimelineRecord): string {
  return `… ${record.cut} more event${record.cut === 1 ? '' : 's'} not shown (a timeline keeps the first and the last ones) …`;
}

type Row = { event: TimelineEvent } | { cut: string } | { gapMs: number };

/** The events in order, with the cut marker and the gaps between them. */
function rows(record: TimelineRecord): Row[] {
  const out: Row[] = [];
  record.events.forEach((event, i) => {
    if (record.cut && i === record.cutAt) out.push({ cut: cutNotice(record) });
    const before = record.events[i - 1];
    if (before && event.ms - before.ms >= GAP_MS && i !== record.cutAt) out.push({ gapMs: event.ms - before.ms });
    out.push({ event });
  });
  return out;
}

const ARROW: Record<string, string> = { 'grader>program': 'grader → program', 'program>grader': 'grader ← program' };

export function timelineText(record: TimelineRecord): string {
  const lines: string[] = [];
  for (const row of rows(record)) {
    if ('cut' in row) lines.push(`           ${row.cut}`);
    else if ('gapMs' in row) lines.push(`           ⋮ ${(row.gapMs / 1000).toFixed(1)} s later`);
    else {
      const { event } = row;
      const who = event.to ? ARROW[`${event.from}>${event.to}`] : event.from;
      lines.push(`${seconds(event.ms).padStart(9)}  ${who.padEnd(16)}  ${eventLabel(event)}`);
    }
  }
  return lines.join('\n');
}

/** Text in a Mermaid message or note: characters Mermaid reads as syntax written as its entity codes. */
function mermaidText(text: string): string {
  return text.replace(/[#;<>"&:%{}]/g, (c) => `#${c.charCodeAt(0)};`).replace(/\s+/g, ' ');
}

const MERMAID_ID: Record<string, string> = { grader: 'G', program: 'P' };

export function timelineMermaid(record: TimelineRecord): string {
  const lines = ['sequenceDiagram', '  participant G as grader (the tests)', '  participant P as your program'];
  for (const row of rows(record)) {
    if ('cut' in row) lines.push(`  Note over G,P: ${mermaidText(row.cut)}`);
    else if ('gapMs' in row) lines.push(`  Note over G,P: ${mermaidText(`⋮ ${(row.gapMs / 1000).toFixed(1)} s later`)}`);
    else {
      const { event } = row;
      const label = mermaidText(`${seconds(event.ms)} ${eventLabel(event)}`);
      if (!event.to) lines.push(`  Note over ${MERMAID_ID[event.from]}: ${label}`);
      else lines.push(`  ${MERMAID_ID[event.from]}${ending(event) ? '-x' : '->>'}${MERMAID_ID[event.to]}: ${label}`);
    }
  }
  return lines.join('\n');
}

/** A Markdown section GitHub draws as a diagram. */
export function timelineMarkdown(record: TimelineRecord): string {
  return ['```mermaid', timelineMermaid(record), '```'].join('\n');
}

/** EOF, reset and close end (a side of) a connection: drawn with a cross. */
function ending(event: TimelineEvent): boolean {
  return event.kind === 'eof' || event.kind === 'reset' || event.kind === 'close';
}

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);

const WIDTH = 760;
const GRADER_X = 150;
const PROGRAM_X = 690;
const ROW = 24;
const GAP_ROW = 18;
const TOP = 44;
/** Characters of a label that fit between the lifelines in 11-px monospace. */
const LABEL_CHARS = 80;

const cutLabel = (text: string) => (text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}…` : text);

function colour(event: TimelineEvent): string {
  if (event.kind === 'reset' || (event.kind === 'exit' && !/exited with code 0\b/.test(event.text ?? ''))) return '#cf222e';
  if (event.kind === 'wait' || event.kind === 'stopped') return '#6e7781';
  return event.from === 'grader' ? '#0969da' : '#1a7f37';
}

/** The timeline as an SVG sequence diagram, to put inline in an HTML page. */
export function timelineSvg(record: TimelineRecord): string {
  const body: string[] = [];
  let y = TOP;
  for (const row of rows(record)) {
    if ('gapMs' in row) {
      y += GAP_ROW;
      body.push(`<text x="8" y="${y - 4}" class="gap">⋮ ${(row.gapMs / 1000).toFixed(1)} s</text>`);
      continue;
    }
    y += ROW;
    if ('cut' in row) {
      body.push(`<text x="${(GRADER_X + PROGRAM_X) / 2}" y="${y - 6}" class="cut" text-anchor="middle">${escapeXml(row.cut)}</text>`);
      continue;
    }
    const { event } = row;
    const label = eventLabel(event);
    const stroke = colour(event);
    const title = `<title>${escapeXml(`${seconds(event.ms)} ${label}`)}</title>`;
    body.push(`<text x="8" y="${y - 6}" class="time">${seconds(event.ms)}</text>`);
    if (!event.to) {
      const x = event.from === 'grader' ? GRADER_X : PROGRAM_X;
      const anchor = event.from === 'grader' ? 'start' : 'end';
      const textX = event.from === 'grader' ? x + 8 : x - 8;
      body.push(`<g>${title}<circle cx="${x}" cy="${y - 10}" r="4" fill="${stroke}"/><text x="${textX}" y="${y - 6}" text-anchor="${anchor}" fill="${stroke}" class="note">${escapeXml(cutLabel(label))}</text></g>`);
      continue;
    }
    const [x1, x2] = event.from === 'grader' ? [GRADER_X, PROGRAM_X] : [PROGRAM_X, GRADER_X];
    const dir = x2 > x1 ? 1 : -1;
    const head = ending(event)
      ? `<path d="M${x2 - 5} ${y - 5} l10 10 M${x2 + 5} ${y - 5} l-10 10" stroke="${stroke}" stroke-width="2"/>`
      : `<path d="M${x2} ${y} l${-8 * dir} -4 l0 8 z" fill="${stroke}"/>`;
    body.push(
      `<g>${title}<line x1="${x1}" y1="${y}" x2="${x2 - 8 * dir}" y2="${y}" stroke="${stroke}" stroke-width="1.5"/>${head}` +
        `<text x="${(GRADER_X + PROGRAM_X) / 2}" y="${y - 4}" text-anchor="middle" fill="${stroke}" class="label">${escapeXml(cutLabel(label))}</text></g>`,
    );
  }
  const height = y + 16;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="what happened on the wire">`,
    '<style>.timeline text{font:11px ui-monospace,SFMono-Regular,Menlo,monospace}.timeline .time,.timeline .gap{fill:#57606a}.timeline .cut{fill:#9a6700}.timeline .who{font-weight:bold;fill:#24292f}</style>',
    `<rect x="${GRADER_X - 70}" y="6" width="140" height="22" rx="4" fill="#ddf4ff" stroke="#0969da"/><text x="${GRADER_X}" y="21" text-anchor="middle" class="who">grader (the tests)</text>`,
    `<rect x="${PROGRAM_X - 62}" y="6" width="124" height="22" rx="4" fill="#dafbe1" stroke="#1a7f37"/><text x="${PROGRAM_X}" y="21" text-anchor="middle" class="who">your program</text>`,
    `<line x1="${GRADER_X}" y1="28" x2="${GRADER_X}" y2="${height - 6}" stroke="#8c959f" stroke-dasharray="4 3"/>`,
    `<line x1="${PROGRAM_X}" y1="28" x2="${PROGRAM_X}" y2="${height - 6}" stroke="#8c959f" stroke-dasharray="4 3"/>`,
    ...body,
    '</svg>',
  ].join('\n');
}
