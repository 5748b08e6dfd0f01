/** Paths of the reference histories copied into the repo (see test/fixtures/histories/README.md). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HISTORIES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'histories');

/** `jepsen-etcd/VERDICTS`: file → linearizable. */
export function etcdVerdicts(): Array<{ file: string; valid: boolean }> {
  return readFileSync(join(HISTORIES, 'jepsen-etcd', 'VERDICTS'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [file, verdict] = line.trim().split(/\s+/);
      return { file: join(HISTORIES, 'jepsen-etcd', file!), valid: verdict === 'true' };
    });
}
