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

/** Plural forms differ per language (English one/other, Chinese other only): compare the base keys. */
const PLURAL_SUFFIX = /_(zero|one|two|few|many|other)$/;
const baseKeys = (tree: unknown) => [...new Set(keys(tree).map((key) => key.replace(PLURAL_SUFFIX, '')))].sort();

describe('translations', () => {
  it('简体中文 has exactly the keys English has', () => {
    expect(baseKeys(zhCN)).toEqual(baseKeys(en));
  });

  it('every pluralised key has the "other" form in each language', () => {
    for (const tree of [en, zhCN]) {
      for (const key of keys(tree).filter((k) => PLURAL_SUFFIX.test(k))) {
        expect(keys(tree), key).toContain(key.replace(PLURAL_SUFFIX, '_other'));
      }
    }
  });

  it('every translation keeps the same interpolation placeholders and is not left empty', () => {
    for (const key of keys(en)) {
      const english = String(lookup(en, key));
      const chinese = String(lookup(zhCN, key.replace(PLURAL_SUFFIX, '_other')));
      expect(chinese.trim(), key).not.toBe('');
      // A plural form may leave the count implicit ("Force off" for one); all other values must match.
      const plural = PLURAL_SUFFIX.test(key);
      const compared = (text: string) => placeholders(text).filter((name) => !plural || name !== 'count');
      expect(compared(chinese), key).toEqual(compared(english));
    }
  });
});
