import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../support/lab';

/**
 * The layer rules of eslint.config.js, proven on deliberate wrong-way imports: each snippet is linted as
 * if it were a file at `at` (the imported files are real), and must fail with the named rule. The
 * right-way twin of each must pass, so a rule that flags everything fails too.
 */
const eslint = new ESLint({ cwd: PROJECT_ROOT });

async function ruleIds(at: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${PROJECT_ROOT}/${at}` });
  return (result?.messages ?? []).map((message) => message.ruleId ?? `fatal: ${message.message}`);
}

const cases: Array<{ name: string; at: string; wrong: string; right: string; rule: string }> = [
  {
    name: 'services never import the API layer',
    at: 'main/services/fleet/wrong-way.ts',
    wrong: "export { ApiRouter } from '../../api/api-router';\n",
    right: "export { ApiFailure } from '../api-failure';\n",
    rule: 'import-x/no-restricted-paths',
  },
  {
    name: 'the API layer never imports a transport',
    at: 'main/api/wrong-way.ts',
    wrong: "export { startServeServer } from '../serve/serve-server';\n",
    right: "export { ApiEventBus } from './event-bus';\n",
    rule: 'import-x/no-restricted-paths',
  },
  {
    name: 'libvirt never imports services',
    at: 'main/libvirt/client/wrong-way.ts',
    wrong: "export { FleetService } from '../../services/fleet/fleet-service';\n",
    right: "export { LibvirtError } from '../rpc';\n",
    rule: 'import-x/no-restricted-paths',
  },
  {
    name: 'ssh never imports libvirt',
    at: 'main/ssh/wrong-way.ts',
    wrong: "export { LibvirtClient } from '../libvirt/client';\n",
    right: "export { connectSsh } from './index';\n",
    rule: 'import-x/no-restricted-paths',
  },
  {
    name: 'the renderer never imports main',
    at: 'renderer/src/fleet/wrong-way.ts',
    wrong: "export { FleetService } from '../../../main/services/fleet/fleet-service';\n",
    right: "export type { FleetDomain } from '../../../preload/api-contract';\n",
    rule: 'no-restricted-imports',
  },
  {
    name: 'the renderer imports the contract only through its index',
    at: 'renderer/src/fleet/wrong-way.ts',
    wrong: "export type { FleetDomain } from '../../../preload/contract/fleet';\n",
    right: "export type { FleetDomain } from '../../../preload/api-contract';\n",
    rule: 'no-restricted-imports',
  },
  {
    name: 'the contract imports nothing but itself',
    at: 'preload/contract/wrong-way.ts',
    wrong: "export type { FleetService } from '../../main/services/fleet/fleet-service';\n",
    right: "export type { DomainRef } from './domains';\n",
    rule: 'no-restricted-imports',
  },
];

describe('layer rules (eslint.config.js)', () => {
  // The first lint builds import-x's module graph of the whole project (for no-cycle): that cold start
  // took over 30 s on a loaded 2-core machine, so it is done once here with room, not inside one case.
  beforeAll(async () => {
    await ruleIds('main/ssh/warm-up.ts', "export { connectSsh } from './index';\n");
  }, 180_000);

  for (const c of cases) {
    it(`${c.name}: refused`, async () => {
      expect(await ruleIds(c.at, c.wrong)).toContain(c.rule);
    }, 30_000);
    it(`${c.name}: the right way passes`, async () => {
      expect(await ruleIds(c.at, c.right)).toEqual([]);
    }, 30_000);
  }

  it('an import cycle is refused', async () => {
    // domain-xml-parse is imported by console-streams; importing console-streams back closes a cycle.
    const ids = await ruleIds(
      'main/services/domains/domain-xml-parse.ts',
      "export { pipeToPeer } from '../consoles/console-streams';\n",
    );
    expect(ids).toContain('import-x/no-cycle');
  }, 30_000);
});
