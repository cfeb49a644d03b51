import { useCallback, useEffect, useRef, useState } from 'react';
import { Code, ScrollArea } from '@mantine/core';
import type { NetworkVlan } from '../../../preload/api-contract';
import { ApiCallError, errorMessage } from '../api';

/** The message to show for a failed call: libvirt's own words when libvirt refused. */
export function errorText(failure: unknown): string {
  if (failure instanceof ApiCallError && failure.error.libvirt) return failure.error.libvirt.message;
  return errorMessage(failure);
}

/** An XML (or diff) block, scrollable. */
export function XmlBlock({ xml, testId, label }: { xml: string; testId?: string; label?: string }) {
  return (
    <ScrollArea.Autosize mah={360} type="auto">
      <Code block data-testid={testId} aria-label={label} style={{ whiteSpace: 'pre' }}>
        {xml}
      </Code>
    </ScrollArea.Autosize>
  );
}

function lineColour(line: string): string | undefined {
  if (line.startsWith('+++') || line.startsWith('---')) return 'var(--mantine-color-dimmed)';
  if (line.startsWith('+')) return 'var(--mantine-color-green-7)';
  if (line.startsWith('-')) return 'var(--mantine-color-red-7)';
  if (line.startsWith('@@')) return 'var(--mantine-color-blue-6)';
  return undefined;
}

export function DiffBlock({ diff, testId }: { diff: string; testId?: string }) {
  return (
    <ScrollArea.Autosize mah={360} type="auto">
      <Code block data-testid={testId} style={{ whiteSpace: 'pre' }}>
        {diff.split('\n').map((line, i) => (
          <div key={i} style={{ color: lineColour(line) }}>
            {line || ' '}
          </div>
        ))}
      </Code>
    </ScrollArea.Autosize>
  );
}

/** Loads now and whenever `reload()` is called or `deps` change; keeps the last value while reloading. */
export function useLoaded<T>(load: () => Promise<T>, deps: unknown[]): { data: T | null; error: string | null; reload(): void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const loader = useRef(load);
  loader.current = load;
  useEffect(() => {
    let live = true;
    loader.current().then(
      (value) => {
        if (!live) return;
        setData(value);
        setError(null);
      },
      (failure: unknown) => live && setError(errorText(failure)),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, generation]);
  return { data, error, reload: useCallback(() => setGeneration((g) => g + 1), []) };
}

/** "10" = access port; "10,20,30" = trunk; "native 10" or "10u" marks the untagged native VLAN. */
export function formatVlan(vlan: NetworkVlan | null): string {
  if (!vlan || vlan.tags.length === 0) return '';
  return vlan.tags.map((tag) => `${tag.id}${tag.nativeMode === 'untagged' ? 'u' : tag.nativeMode === 'tagged' ? 't' : ''}`).join(',') + (vlan.trunk && vlan.tags.length === 1 ? ' trunk' : '');
}

/** Parses what formatVlan writes; null for empty, undefined for nonsense. */
export function parseVlan(text: string): NetworkVlan | null | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const trunkWord = /\s+trunk$/i.test(trimmed);
  const body = trimmed.replace(/\s+trunk$/i, '');
  const tags: NetworkVlan['tags'] = [];
  for (const part of body.split(/[\s,]+/).filter(Boolean)) {
    const match = /^(\d{1,4})([ut]?)$/i.exec(part);
    if (!match) return undefined;
    const mode = match[2]?.toLowerCase();
    tags.push({ id: Number(match[1]), nativeMode: mode === 'u' ? 'untagged' : mode === 't' ? 'tagged' : null });
  }
  return { trunk: trunkWord || tags.length > 1, tags };
}
