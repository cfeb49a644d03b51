import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostChecksScript, parseHostChecks } from '../../main/services/host-checks/host-checks';
import { PROJECT_ROOT } from '../support/lab';

const fixture = (name: string) => readFileSync(join(PROJECT_ROOT, 'tests', 'fixtures', 'host-checks', name), 'utf8');
const byId = (output: string) => new Map(parseHostChecks(output).map((check) => [check.id, check]));

describe('host checks', () => {
  it('reads a KVM host with IOMMU and 1 GiB hugepages', () => {
    const checks = byId(fixture('kvm-host.txt'));
    expect(checks.get('cpu-virtualization')).toMatchObject({ status: 'ok', variant: 'vmx' });
    expect(checks.get('kvm-modules')).toMatchObject({ status: 'ok', variant: 'loaded', values: { modules: 'kvm_intel, kvm' } });
    expect(checks.get('dev-kvm')).toMatchObject({ status: 'ok', variant: 'usable' });
    expect(checks.get('iommu')).toMatchObject({ status: 'ok', values: { groups: 41 } });
    expect(checks.get('hugepages')).toMatchObject({ status: 'ok', variant: 'reserved', values: { pools: '1 GiB: 2/4' } });
    expect(checks.get('virt-host-validate')).toMatchObject({ status: 'info', variant: 'notInstalled' });
  });

  it('reads this sandbox as it really is: no vmx/svm, no modules, virt-host-validate failing', () => {
    const checks = byId(fixture('sandbox-tcg.txt'));
    expect(checks.get('cpu-virtualization')).toMatchObject({ status: 'fail', variant: 'none' });
    expect(checks.get('kvm-modules')).toMatchObject({ status: 'fail', variant: 'none' });
    expect(checks.get('iommu')).toMatchObject({ status: 'warn', variant: 'disabled' });
    expect(checks.get('hugepages')).toMatchObject({ status: 'info', variant: 'none' });
    expect(checks.get('virt-host-validate')).toMatchObject({ status: 'fail', values: { fails: 1, warns: 3 } });
    expect(checks.get('virt-host-validate')?.evidence).toContain('Checking for hardware virtualization');
  });

  it('the script runs in a POSIX shell and yields every section', () => {
    const output = execFileSync('sh', ['-c', hostChecksScript()], { encoding: 'utf8' });
    expect(parseHostChecks(output).map((check) => check.id)).toEqual([
      'cpu-virtualization',
      'kvm-modules',
      'dev-kvm',
      'iommu',
      'hugepages',
      'virt-host-validate',
    ]);
  });
});
