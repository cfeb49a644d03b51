import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ZERO_BLOCK_BYTES, ZeroRunSplitter, type SparseItem } from '../../../main/services/storage/zero-runs';

const B = ZERO_BLOCK_BYTES;

/** Rebuilds the bytes from items (holes as zeros) and counts the hole bytes. */
function rebuild(items: SparseItem[]): { bytes: Buffer; holes: number } {
  let holes = 0;
  const parts = items.map((item) => {
    if (Buffer.isBuffer(item)) return item;
    holes += Number(item.hole);
    return Buffer.alloc(Number(item.hole));
  });
  return { bytes: Buffer.concat(parts), holes };
}

function split(input: Buffer, chunkSizes: number[]): SparseItem[] {
  const splitter = new ZeroRunSplitter();
  const items: SparseItem[] = [];
  let offset = 0;
  let i = 0;
  while (offset < input.length) {
    const size = chunkSizes[i++ % chunkSizes.length] as number;
    items.push(...splitter.push(input.subarray(offset, offset + size)));
    offset += size;
  }
  items.push(...splitter.end());
  return items;
}

describe('ZeroRunSplitter', () => {
  const image = Buffer.concat([randomBytes(B + 100), Buffer.alloc(5 * B), randomBytes(3 * B), Buffer.alloc(2 * B + 17)]);

  it.each([[[B]], [[1000]], [[B * 3 + 5, 7]], [[image.length]]])('keeps the bytes and finds the zero blocks (chunks %j)', (sizes) => {
    const items = split(image, sizes);
    const { bytes, holes } = rebuild(items);
    expect(bytes.equals(image)).toBe(true);
    // The 5 aligned zero blocks after the first partial data block's remainder, and the aligned tail.
    expect(holes).toBe(5 * B + 117); // the aligned zero blocks [2B,6B) and [10B,11B), and the zero tail
    // Holes are merged across chunks: never two in a row, and exactly two here.
    for (let i = 1; i < items.length; i++) expect(!Buffer.isBuffer(items[i]) && !Buffer.isBuffer(items[i - 1])).toBe(false);
    expect(items.filter((item) => !Buffer.isBuffer(item))).toHaveLength(2);
  });

  it('turns an all-zero stream into one hole', () => {
    const items = split(Buffer.alloc(10 * B + 3), [B * 2 + 1]);
    expect(items).toEqual([{ hole: BigInt(10 * B + 3) }]);
  });

  it('keeps data that is not zero everywhere', () => {
    const data = randomBytes(4 * B);
    const items = split(data, [12345]);
    expect(items.every((item) => Buffer.isBuffer(item))).toBe(true);
    expect(rebuild(items).bytes.equals(data)).toBe(true);
  });

  it('a single non-zero byte keeps its whole block as data', () => {
    const data = Buffer.alloc(3 * B);
    data[B + 10] = 1;
    const items = split(data, [B]);
    expect(items.map((item) => (Buffer.isBuffer(item) ? item.length : `hole ${item.hole}`))).toEqual([`hole ${B}`, B, `hole ${B}`]);
  });
});
