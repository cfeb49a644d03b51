import { Code, ScrollArea } from '@mantine/core';

function lineColor(line: string): string | undefined {
  if (line.startsWith('+++') || line.startsWith('---')) return undefined;
  if (line.startsWith('+')) return 'var(--mantine-color-green-7)';
  if (line.startsWith('-')) return 'var(--mantine-color-red-7)';
  if (line.startsWith('@@')) return 'var(--mantine-color-blue-7)';
  return undefined;
}

/** A unified diff from main, coloured as the tuning forms show theirs. */
export function DiffBlock({ diff, label, testId, maxHeight = 320 }: { diff: string; label: string; testId?: string; maxHeight?: number }) {
  return (
    <ScrollArea.Autosize mah={maxHeight} type="auto">
      <Code block aria-label={label} data-testid={testId}>
        {diff
          .split('\n')
          .filter((line) => !line.startsWith('==='))
          .map((line, index) => (
            <span key={index} style={{ display: 'block', color: lineColor(line) }}>
              {line || ' '}
            </span>
          ))}
      </Code>
    </ScrollArea.Autosize>
  );
}
