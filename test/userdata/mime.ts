import { spawnSync } from 'node:child_process';

export interface MimePart {
  /** Header names lowercased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface MimeDocument {
  readonly headers: Readonly<Record<string, string>>;
  readonly boundary: string;
  readonly parts: readonly MimePart[];
  /** Whatever follows the close delimiter. */
  readonly epilogue: string;
}

function splitHeaders(text: string): { headers: Record<string, string>; body: string } {
  const end = text.indexOf('\n\n');
  if (end === -1) throw new Error('no blank line after the headers');
  const headers: Record<string, string> = {};
  for (const line of text.slice(0, end).split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`not a header line: ${line}`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: text.slice(end + 2) };
}

/**
 * A strict parser for a multipart/mixed document with LF line ends (RFC 2046 §5.1.1): the
 * boundary comes from the Content-Type header; a part's body ends before the newline that
 * precedes the next delimiter line; the close delimiter must be there.
 */
export function parseMultipart(document: string): MimeDocument {
  const { headers, body } = splitHeaders(document);
  const match = /^multipart\/mixed;\s*boundary="([^"]+)"$/.exec(headers['content-type'] ?? '');
  const boundary = match?.[1];
  if (!boundary) throw new Error('Content-Type is not multipart/mixed with a quoted boundary');
  const delimiter = `--${boundary}`;
  const lines = `\n${body}`.split(`\n${delimiter}`);
  const preamble = lines.shift();
  if (preamble !== '') throw new Error('text before the first delimiter');
  const parts: MimePart[] = [];
  let epilogue: string | undefined;
  for (const chunk of lines) {
    if (epilogue !== undefined) throw new Error('a delimiter after the close delimiter');
    if (chunk.startsWith('--')) {
      epilogue = chunk.slice(2);
      continue;
    }
    if (!chunk.startsWith('\n')) throw new Error('a delimiter line with trailing text');
    parts.push(splitHeaders(chunk.slice(1)));
  }
  if (epilogue === undefined) throw new Error('no close delimiter');
  return { headers, boundary, parts, epilogue };
}

export interface CloudInitPart {
  readonly type: string;
  readonly payload: string;
}

/** The parts as cloud-init itself sees them (its UserDataProcessor, run by Debian's python3). */
export function cloudInitParts(document: string): CloudInitPart[] {
  const program = [
    'import json, sys',
    'from cloudinit import helpers, user_data',
    'message = user_data.UserDataProcessor(helpers.Paths({})).process(sys.stdin.buffer.read())',
    'parts = [{"type": p.get_content_type(), "payload": p.get_payload(decode=True).decode("ascii")}',
    '         for p in message.walk() if p.get_content_maintype() != "multipart"]',
    'print(json.dumps(parts))',
  ].join('\n');
  const result = spawnSync('/usr/bin/python3', ['-c', program], { input: document, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`cloud-init could not process the user data: ${result.stderr}`);
  return JSON.parse(result.stdout) as CloudInitPart[];
}
