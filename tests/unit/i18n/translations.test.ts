import { describe, expect, it } from 'vitest';
import en from '../../../renderer/src/i18n/en.json';
import zhCN from '../../../renderer/src/i18n/zh-CN.json';

function keys(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return Object.entries(value).flatMap(([key, child]) => keys(child, prefix ? `${prefix}.${key}` : key));
}

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1] ?? '').sort();
}

function lookup(tree: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], tree);
}

describe('translations', () => {
  it('简体中文 has exactly the keys English has', () => {
    expect(keys(zhCN).sort()).toEqual(keys(en).sort());
  });

  it('every translation keeps the same interpolation placeholders and is not left empty', () => {
    for (const key of keys(en)) {
      const english = String(lookup(en, key));
      const chinese = String(lookup(zhCN, key));
      expect(chinese.trim(), key).not.toBe('');
      expect(placeholders(chinese), key).toEqual(placeholders(english));
    }
  });
});
