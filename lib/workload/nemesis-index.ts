/** Nemesis packages as one namespace: `import { nemesis } from 'pakostii'`. */
export { partitions, kills, pauses, PARTITION_SHAPES, type PartitionShape, type PartitionOptions, type ProcessFaultOptions, type CycleOptions } from './nemesis-packages.js';
export { composeNemesis as compose } from './nemesis.js';
