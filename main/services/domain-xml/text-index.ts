/**
 * Positions in a text, the way editors count them: 1-based lines and 1-based columns in UTF-16 code
 * units, and 0-based UTF-16 offsets (JavaScript string indices). saxes counts code points; this class
 * converts its positions.
 */
export class TextIndex {
  private readonly lineStarts: number[] = [0];
  /** UTF-16 offset of each code point, only built when the text has characters outside the BMP. */
  private readonly codePointOffsets: number[] | null;

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    if (/[\uD800-\uDBFF]/.test(text)) {
      const offsets: number[] = [];
      for (let i = 0; i < text.length; i++) {
        offsets.push(i);
        const code = text.charCodeAt(i);
        if (code >= 0xd800 && code <= 0xdbff) i++;
      }
      offsets.push(text.length);
      this.codePointOffsets = offsets;
    } else {
      this.codePointOffsets = null;
    }
  }

  /** UTF-16 offset of the code point at index `codePoints` (saxes' `position`). */
  fromCodePoints(codePoints: number): number {
    const clamped = Math.max(0, codePoints);
    if (!this.codePointOffsets) return Math.min(clamped, this.text.length);
    return this.codePointOffsets[Math.min(clamped, this.codePointOffsets.length - 1)] ?? this.text.length;
  }

  /** 1-based line and column of an offset. */
  positionAt(offset: number): { line: number; column: number } {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.lineStarts[middle] ?? 0) <= clamped) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: clamped - (this.lineStarts[low] ?? 0) + 1 };
  }

  /** Offset of a 1-based line and code-point column (saxes' line/column). */
  offsetAtCodePointColumn(line: number, column: number): number {
    const start = this.lineStarts[Math.max(0, Math.min(line - 1, this.lineStarts.length - 1))] ?? 0;
    let offset = start;
    for (let seen = 0; seen < column && offset < this.text.length; seen++) {
      const code = this.text.charCodeAt(offset);
      offset += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
    }
    return offset;
  }

  range(from: number, to: number): { line: number; column: number; endLine: number; endColumn: number } {
    const start = this.positionAt(from);
    const end = this.positionAt(Math.max(from, to));
    return { line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
  }
}
