import { describe, expect, it } from 'vitest';
import { sameFleetRow, type FleetDomain } from '../../../preload/api-contract';
import { fleetDomain } from '../../support/fleet-rows';

/** A value of the same type as `value` that differs from it. */
function differentValue(value: unknown): unknown {
  if (typeof value === 'string') return `${value}-changed`;
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'boolean') return !value;
  if (value === null) return 7;
  if (Array.isArray(value)) return [...(value as unknown[]), '192.0.2.9'];
  throw new Error(`no different value for ${String(value)}`);
}

describe('sameFleetRow (the one row comparison of main\'s deltas and the window\'s row cache)', () => {
  it('sees a change in every field of a row', () => {
    const row = fleetDomain('h1', 'web', { cpuPercent: 12.5, addresses: ['192.0.2.1'] });
    const fields = Object.keys(row) as (keyof FleetDomain)[];
    expect(fields.length).toBeGreaterThanOrEqual(11);
    for (const field of fields) {
      const changed = { ...row, [field]: differentValue(row[field]) } as FleetDomain;
      expect(sameFleetRow(row, changed), field).toBe(false);
    }
  });

  it('takes equal copies as the same, addresses compared by value and order', () => {
    const row = fleetDomain('h1', 'web', { addresses: ['192.0.2.1', '2001:db8::1'] });
    expect(sameFleetRow(row, { ...row, addresses: [...row.addresses] })).toBe(true);
    expect(sameFleetRow(row, { ...row, addresses: ['2001:db8::1', '192.0.2.1'] })).toBe(false);
    expect(sameFleetRow(row, row)).toBe(true);
  });
});
