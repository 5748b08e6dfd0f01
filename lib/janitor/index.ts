/** The janitor: removal of what dead runs left behind (used by the runtime at every start and by `pakostii cleanup`). */
export {
  cleanup,
  cleanupDeadRuns,
  ORPHAN_GRACE_MS,
  type CleanupOptions,
  type CleanupReport,
  type CleanedRun,
  type CleanupReason,
  type ContainerdLeftovers,
  type ContainerdTarget,
  type JanitorOps,
} from './cleanup.js';
export { formatCleanupReport } from './report.js';
