/** Sizes and rates as people read them (binary units). */

/** Bytes as B, KiB, MiB, … with one decimal above bytes. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** Bytes per second, e.g. "1.5 MiB/s". */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Memory given in KiB (libvirt's unit): MiB below 1 GiB, else GiB. */
export function formatMemory(kib: number): string {
  if (kib >= 1024 * 1024) return `${(kib / 1024 / 1024).toFixed(kib % (1024 * 1024) === 0 ? 0 : 1)} GiB`;
  return `${Math.round(kib / 1024)} MiB`;
}
