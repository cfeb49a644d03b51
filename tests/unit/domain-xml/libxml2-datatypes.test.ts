/**
 * The datatype layer that makes salve agree with libxml2: the pattern dialect (libxml2-regexp.ts) and
 * the XML Schema types with their params (libxml2-datatypes.ts, installed by salve.ts). Each expectation
 * here was checked against xmllint 2.9.14 (tests/conformance does that for all of libvirt's patterns).
 */
import { describe, expect, it } from 'vitest';
import { libxml2Pattern, PatternSyntaxError } from '../../../main/services/domain-xml/libxml2-regexp';
import { DomainSchema } from '../../../main/services/domain-xml/domain-schema';
import { compileDomainSchema } from '../../../main/services/domain-xml/host-schemas';
import { readTreeFromJSON } from '../../../main/services/domain-xml/salve';

const matches = (pattern: string, value: string) => libxml2Pattern(pattern).test(value);

describe('XML Schema patterns as libxml2 reads them', () => {
  it('anchors the whole pattern, alternatives included (libvirt unit)', () => {
    const unit = '([bB]([yY][tT][eE][sS]?)?)|([kKmMgGtTpPeE]([iI]?[bB])?)';
    for (const ok of ['b', 'bytes', 'KiB', 'k', 'MiB', 'G', 'eb']) expect(matches(unit, ok), ok).toBe(true);
    for (const bad of ['garbage', 'relative', 'KiBx', 'xKiB', '', ' KiB']) expect(matches(unit, bad), bad).toBe(false);
  });

  it('reads escaped brackets and metacharacters (libvirt vmwarePath, absFilePath)', () => {
    expect(matches('\\[[^\\]]+\\] .+', '[datastore] directory/cdrom.iso')).toBe(true);
    expect(matches('\\[[^\\]]+\\] .+', '[ds]dir')).toBe(false);
    expect(matches('(/|[a-zA-Z]:\\\\).+', 'C:\\x')).toBe(true);
    expect(matches('(/|[a-zA-Z]:\\\\).+', 'relative')).toBe(false);
  });

  it('takes ^ and $ literally, and { where no quantifier can start', () => {
    const nwfilterVariable = '$[ ]*[a-zA-Z0-9_]+(\\[[ ]*[@]?[0-9]+[ ]*\\])?[ ]*';
    expect(matches(nwfilterVariable, '$a[1]')).toBe(true);
    expect(matches(nwfilterVariable, 'a[1]')).toBe(false);
    expect(matches('\\^[0-9]+', '^12')).toBe(true);
    expect(matches('{a}', '{a}')).toBe(true);
  });

  it('drops an unescaped - inside a class, keeps it first, last or escaped', () => {
    expect(matches('[a-c-x]', '-')).toBe(false);
    expect(matches('[a-c-x]', 'x')).toBe(true);
    expect(matches('[-a]', '-')).toBe(true);
    expect(matches('[a-]', '-')).toBe(true);
    expect(matches('[a\\-b]', '-')).toBe(true);
  });

  it('negation, subtraction, multi-character escapes and . (not newline)', () => {
    expect(matches('[^,]{0,12}', 'abc')).toBe(true);
    expect(matches('[^,]{0,12}', 'a,b')).toBe(false);
    expect(matches('[a-z-[aeiou]]+', 'xyz')).toBe(true);
    expect(matches('[a-z-[aeiou]]+', 'xaz')).toBe(false);
    expect(matches('\\d+\\s\\w', '12 x')).toBe(true);
    expect(matches('a.b', 'a\nb')).toBe(false);
    expect(matches('a.b', 'a\tb')).toBe(true);
    expect(matches('\\i\\c*', 'x:y-1')).toBe(true);
    expect(matches('\\i\\c*', '1x')).toBe(false);
  });

  it('refuses what libxml2 cannot compile', () => {
    expect(() => libxml2Pattern('a**')).toThrow(PatternSyntaxError);
    expect(() => libxml2Pattern('\\q')).toThrow(PatternSyntaxError);
    expect(() => libxml2Pattern('[a')).toThrow(PatternSyntaxError);
  });
});

describe('XML Schema datatypes as libxml2 checks them', () => {
  const types = [
    '<data type="unsignedInt"><param name="pattern">[0-9]+</param></data>',
    '<data type="unsignedInt"/>',
    '<data type="unsignedLong"/>',
    '<data type="int"><param name="minInclusive">-1</param><param name="maxInclusive">65535</param></data>',
    '<data type="string"><param name="pattern">[^/]+</param><except><choice><value>.</value><value>..</value></choice></except></data>',
    '<data type="string"><param name="maxLength">3</param></data>',
    '<data type="double"><param name="minInclusive">0</param></data>',
  ];
  let schema: DomainSchema;
  const accepts = async (index: number, value: string, as: 'text' | 'attribute' = 'text') => {
    if (!schema) {
      const alternatives = types.map((t, i) => `<element name="t${i}">${t}</element><element name="a${i}"><attribute name="v">${t}</attribute></element>`);
      const grammar = `<grammar xmlns="http://relaxng.org/ns/structure/1.0" datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes"><start><choice>${alternatives.join('')}</choice></start></grammar>`;
      schema = new DomainSchema(readTreeFromJSON(await compileDomainSchema(new Map([['domain.rng', grammar]]))), 'test');
    }
    const xml = as === 'text' ? `<t${index}>${value}</t${index}>` : `<a${index} v="${value}"/>`;
    return schema.validate(xml).length === 0;
  };

  it('matches a pattern against the text as written, whitespace included', async () => {
    expect(await accepts(0, '1024')).toBe(true);
    expect(await accepts(0, ' 1024 ')).toBe(false);
    expect(await accepts(0, ' 1024 ', 'attribute')).toBe(false);
    // Without a pattern the collapsed value is what counts.
    expect(await accepts(1, ' 1024 ')).toBe(true);
  });

  it('allows no sign on unsigned types and compares limits exactly', async () => {
    for (const value of ['+1', '-0', '+0', '4294967296', '']) expect(await accepts(1, value), value).toBe(false);
    expect(await accepts(1, '4294967295')).toBe(true);
    expect(await accepts(2, '18446744073709551615')).toBe(true);
    expect(await accepts(2, '18446744073709551616')).toBe(false);
    expect(await accepts(3, '-1')).toBe(true);
    expect(await accepts(3, '+65535')).toBe(true);
    expect(await accepts(3, '65536')).toBe(false);
    expect(await accepts(3, '-2')).toBe(false);
  });

  it('applies an except to attribute values too', async () => {
    expect(await accepts(4, 'volume', 'attribute')).toBe(true);
    expect(await accepts(4, '..', 'attribute')).toBe(false);
    expect(await accepts(4, '..')).toBe(false);
  });

  it('counts characters, and puts NaN above every double', async () => {
    expect(await accepts(5, '日本語')).toBe(true);
    expect(await accepts(5, 'abcd')).toBe(false);
    expect(await accepts(6, 'NaN')).toBe(true);
    expect(await accepts(6, '-0.5')).toBe(false);
    expect(await accepts(6, ' ')).toBe(false);
    expect(await accepts(6, '1e')).toBe(true);
  });
});
