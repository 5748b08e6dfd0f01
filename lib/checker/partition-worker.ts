/** Worker thread entry: checks the partitions it is given against a built-in model. */
import { parentPort, workerData } from 'node:worker_threads';
import { BUILTIN_MODELS } from './models.js';
import { checkPartition } from './partition-check.js';
import type { WorkerTask } from './workers.js';

const task = workerData as WorkerTask;
const model = BUILTIN_MODELS[task.model];
const limits = { deadline: task.deadline, memoryLimitBytes: task.memoryLimitBytes };
parentPort!.postMessage(task.partitions.map((p) => checkPartition(model as never, p, limits, task.explainMs)));
