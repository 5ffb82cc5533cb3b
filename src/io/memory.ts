/** The memory this process may use: the smaller of the machine's RAM and its cgroup's limit. */
import { totalmem } from 'node:os';

export function machineMemory(): number {
  const constrained = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0;
  const total = totalmem();
  return constrained && constrained > 0 && constrained < total ? constrained : total;
}
