import type { ReactNode } from 'react';

/**
 * Syntax colouring for libvirt's configuration files (comments, keys, strings, numbers, brackets), for
 * the raw view. A display aid only: what a line means is decided by main's parser (hostConfig.analyze).
 */
const TOKEN = /("(?:[^"\n])*"?|'(?:[^'\n])*'?)|(#.*$)|(-?\b\d+\b)|([[\],=;])/g;

const COLORS = {
  comment: 'var(--mantine-color-dimmed)',
  key: 'var(--mantine-color-blue-text)',
  string: 'var(--mantine-color-teal-text)',
  number: 'var(--mantine-color-orange-text)',
  punct: 'var(--mantine-color-dimmed)',
};

function highlightLine(line: string, lineIndex: number): ReactNode[] {
  const out: ReactNode[] = [];
  const trimmed = line.trimStart();
  if (trimmed.startsWith('#')) {
    return [
      <span key={`${lineIndex}c`} style={{ color: COLORS.comment }}>
        {line}
      </span>,
    ];
  }
  let rest = line;
  const keyMatch = /^(\s*)([A-Za-z_][A-Za-z0-9_.-]*)(?=\s*=)/.exec(line);
  if (keyMatch) {
    out.push(keyMatch[1]);
    out.push(
      <span key={`${lineIndex}k`} style={{ color: COLORS.key, fontWeight: 600 }}>
        {keyMatch[2]}
      </span>,
    );
    rest = line.slice(keyMatch[0].length);
  }
  let last = 0;
  for (const match of rest.matchAll(TOKEN)) {
    const index = match.index ?? 0;
    if (index > last) out.push(rest.slice(last, index));
    const [text, str, comment, num] = match;
    const color = str ? COLORS.string : comment ? COLORS.comment : num ? COLORS.number : COLORS.punct;
    out.push(
      <span key={`${lineIndex}:${index}`} style={{ color }}>
        {text}
      </span>,
    );
    last = index + text.length;
  }
  if (last < rest.length) out.push(rest.slice(last));
  return out;
}

/** The highlighted text, one element per line, lines with a problem tinted. */
export function highlightConf(text: string, problems: ReadonlyMap<number, 'error' | 'warning'>): ReactNode {
  return text.split('\n').map((line, index) => {
    const severity = problems.get(index + 1);
    const background =
      severity === 'error'
        ? 'var(--mantine-color-red-light)'
        : severity === 'warning'
          ? 'var(--mantine-color-yellow-light)'
          : undefined;
    return (
      <span key={index} style={background ? { background } : undefined}>
        {highlightLine(line, index)}
        {'\n'}
      </span>
    );
  });
}
