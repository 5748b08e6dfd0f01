/**
 * A passing run end to end on the real kernel and containerd: the story is
 * logged in the Go guide's order, artifacts hold each service's output, an
 * unexpected exit is reported, and nothing of the run remains afterwards.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spec, Test } from '../../lib/index.js';
import { BUSYBOX, captureLogger } from './support.js';
import { expectNoLeaks } from '../helpers/leak-audit.js';
import { defaultWorkBase } from '../../lib/host/paths.js';

describe('hello world', () => {
  it('runs, tells the story, collects logs and leaves nothing behind', async () => {
    const { logger, lines, messages } = captureLogger();
    const cluster = spec
      .newCluster()
      .addNode(
        spec
          .newNode('web1')
          .withAZ('az1')
          .runs(
            spec
              .newContainer('web', BUSYBOX)
              .withFile('/www/index.html', 'hello from web1\n')
              .withCommand(['httpd', '-f', '-v', '-p', '8080', '-h', '/www'])
              .withReadiness(spec.tcpProbe({ port: 8080 })),
          ),
      )
      .addNode(
        // Prints its file and exits: proves stdout capture and the unexpected-exit report.
        spec.newNode('printer').runs(spec.newContainer('cat', BUSYBOX).withFile('/msg', 'to stdout\n').withCommand(['cat', '/msg'])),
      );
    const test = new Test('hello_world', cluster, { logger });
    let seenInside = '';
    const result = await test.run(async (t) => {
      t.logger.info('Hello, World!');
      seenInside = t.id;
      expect(t.signal.aborted).toBe(false);
      for (let i = 0; i < 50 && !messages().includes('service exited unexpectedly'); i++) await new Promise((r) => setTimeout(r, 100));
    });

    expect(result.name).toBe('hello_world');
    expect(result.id).toBe(seenInside);
    expect(result.durationMs).toBeGreaterThan(0);
    expect(result.artifactsDir).toBe(join(process.cwd(), '.pakostii', `hello_world-${result.id}`));

    const story = [
      'runtime for test "hello_world" starting',
      'preparing runtime',
      'preparing network',
      'network ready for node web1',
      'network ready for node printer',
      'preparing containers',
      'container running',
      'runtime ready',
      'starting test "hello_world"',
      'Hello, World!',
      'artifacts collected',
      'tearing down runtime',
      'containers tore down',
      'network tore down',
      'report written',
      'test passed',
    ];
    const msgs = messages();
    const positions = story.map((m) => msgs.indexOf(m));
    expect(positions.every((p) => p >= 0), `missing: ${story.filter((_, i) => positions[i]! < 0)}`).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // Every line of the run carries its id; the one exception is the sweep of other, dead runs'
    // leftovers, which happens before this run has an id (it appears only when another run on
    // the host died and left a record in the same state dir).
    expect(lines.filter((l) => l.msg !== 'removed leftovers of dead runs').every((l) => l.test_id === result.id)).toBe(true);
    const start = lines.find((l) => l.msg.startsWith('runtime for test'))!;
    expect(start).toMatchObject({ nodes: ['web1', 'printer'], work_dir: join(defaultWorkBase(), result.id) });
    expect(lines.find((l) => l.msg === 'network ready for node web1')).toMatchObject({
      component: 'network_manager',
      namespace: `pk-${result.id}-web1`,
      ip: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/),
    });
    expect(lines.filter((l) => l.msg === 'container running').map((l) => [l.node, l.name, l.container_id]).sort()).toEqual([
      ['printer', 'cat', `pk-${result.id}-printer-cat`],
      ['web1', 'web', `pk-${result.id}-web1-web`],
    ]);
    expect(lines.find((l) => l.msg === 'service exited unexpectedly')).toMatchObject({ node: 'printer', service: 'cat', exit_code: 0 });

    for (const [node, service] of [['web1', 'web'], ['printer', 'cat']]) {
      for (const stream of ['stdout', 'stderr']) {
        expect(existsSync(join(result.artifactsDir, 'logs', node!, service!, stream)), `${node}/${service}/${stream}`).toBe(true);
      }
    }
    expect(readFileSync(join(result.artifactsDir, 'logs/printer/cat/stdout'), 'utf8')).toBe('to stdout\n');
    // Every run ends with its report (without a history: the fault timeline and the logs).
    expect(lines.find((l) => l.msg === 'report written')).toMatchObject({ report: join(result.artifactsDir, 'report.html') });
    expect(readFileSync(join(result.artifactsDir, 'report.html'), 'utf8')).toContain('logs/printer/cat/stdout');

    await expectNoLeaks(result.id);
  });
});
