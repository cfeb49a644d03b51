import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where VirtDeck keeps the user's configuration, the same in Electron and serve mode:
 * $VIRTDECK_CONFIG_DIR if set; else the platform's per-user config directory.
 */
export function userConfigDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.VIRTDECK_CONFIG_DIR) return env.VIRTDECK_CONFIG_DIR;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'VirtDeck');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'VirtDeck');
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'virtdeck');
}
