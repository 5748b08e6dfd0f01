/** Histories: the shared types, the readers/writers (JSONL, Jepsen EDN, Jepsen log) and validation. */
export type {
  CheckContext,
  CheckResult,
  CheckResultDetails,
  Checker,
  EventType,
  History,
  HistoryEvent,
  ProcessId,
  Validity,
} from './types.js';
export { ARTIFACT_FILES } from './types.js';
export { HistoryFormatError } from './errors.js';
export { parseJsonl, toJsonl, readJsonlFile, writeJsonlFile, type ParsedHistory } from './jsonl.js';
export { parseEdn, toEdn, eventToEdn, readEdnFile } from './edn.js';
export { parseJepsenLog, readJepsenLogFile } from './jepsen-log.js';
export { pairOperations, validateHistory, type Operation, type Outcome, type PairOptions } from './operations.js';
export { HISTORY_FORMATS, parseHistory, readHistoryFile, type HistoryFormat } from './read.js';
