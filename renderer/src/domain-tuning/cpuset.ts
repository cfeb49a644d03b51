import { readCpuset } from '../../../preload/api-contract';

/** libvirt cpusets ("0-3,^2,8") in the forms, or null when malformed; the host checks them again before anything is applied. */
export function parseCpuset(cpuset: string): number[] | null {
  const read = readCpuset(cpuset);
  return 'cpus' in read ? read.cpus : null;
}
