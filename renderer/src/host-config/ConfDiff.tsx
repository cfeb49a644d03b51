import { useMemo } from 'react';
import { Box, Text } from '@mantine/core';
import { structuredPatch } from 'diff';
import { useTranslation } from 'react-i18next';

const LINE_COLORS: Record<string, string | undefined> = {
  '+': 'var(--mantine-color-green-light)',
  '-': 'var(--mantine-color-red-light)',
};

/** A unified diff of the exact change (3 lines of context), as `diff -u` would print it. */
export function ConfDiff({
  path,
  before,
  after,
  label,
}: {
  path: string;
  before: string;
  after: string;
  label: string;
}) {
  const { t } = useTranslation();
  const patch = useMemo(
    () => structuredPatch(path, path, before, after, '', '', { context: 3 }),
    [path, before, after],
  );
  if (patch.hunks.length === 0) return <Text c="dimmed">{t('hostConfig.diff.none')}</Text>;
  return (
    <Box
      component="pre"
      role="region"
      aria-label={label}
      data-testid="host-config-diff"
      style={{
        fontFamily: 'var(--mantine-font-family-monospace)',
        fontSize: 12,
        margin: 0,
        overflow: 'auto',
        maxHeight: '50vh',
      }}
    >
      <div>{`--- ${path}\n+++ ${path}`}</div>
      {patch.hunks.map((hunk) => (
        <div key={`${hunk.oldStart}:${hunk.newStart}`}>
          <div style={{ color: 'var(--mantine-color-blue-text)' }}>
            {`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`}
          </div>
          {hunk.lines.map((line, index) => (
            <div key={index} style={{ background: LINE_COLORS[line[0] ?? ' '] }}>
              {line}
            </div>
          ))}
        </div>
      ))}
    </Box>
  );
}
