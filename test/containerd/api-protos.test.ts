/**
 * The typed ports of lib/containerd/api.ts against the vendored protos (no
 * containerd needed): every method exists in its service and is called the way
 * the proto declares it (unary, server stream, bidirectional), and every field
 * a port sends or reads is the proto's, with a type the proto's fits. The types
 * side generates the protos' TypeScript (@grpc/proto-loader's generator, same
 * options as protos.ts loads them) and has tsc compare each method; a probe with
 * a field the proto lacks must fail, so the comparison itself is tested too.
 */
import { execFile as execFileCb } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { METHODS, protoMethod } from '../../lib/containerd/api.js';
import { containerdProtos, protoIncludeDirs, SERVICES, type ServiceName } from '../../lib/containerd/protos.js';
import { REPO_ROOT } from '../cli/support.js';

const execFile = promisify(execFileCb);

interface LoadedMethod {
  requestStream: boolean;
  responseStream: boolean;
  requestType: { type: { field: Array<{ name: string }> } };
}

const entries = (Object.keys(METHODS) as ServiceName[]).flatMap((service) =>
  Object.entries(METHODS[service]).map(([method, kind]) => ({ service, method, kind: kind as string })),
);

describe('containerd ports against the vendored protos', () => {
  it('names only methods the services have, called as the protos declare them', () => {
    const protos = containerdProtos();
    const wrong: string[] = [];
    for (const { service, method, kind } of entries) {
      const definition = protos[SERVICES[service][1]] as Record<string, LoadedMethod | undefined>;
      const loaded = definition[protoMethod(method)];
      if (!loaded) {
        wrong.push(`${service}.${method}: no ${protoMethod(method)} in ${SERVICES[service][1]}`);
        continue;
      }
      const declared = loaded.requestStream ? (loaded.responseStream ? 'bidiStream' : 'clientStream') : loaded.responseStream ? 'serverStream' : 'unary';
      if (declared !== kind) wrong.push(`${service}.${method}: called as ${kind}, the proto declares ${declared}`);
    }
    expect(wrong).toEqual([]);
    expect(entries.length).toBeGreaterThan(40);
  });

  const work = join(REPO_ROOT, '.cache');
  mkdirSync(work, { recursive: true });
  const dir = mkdtempSync(join(work, 'api-protos-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sends and reads only fields the protos have, with fitting types', async () => {
    const generated = join(dir, 'gen');
    const includes = protoIncludeDirs().flatMap((d) => ['-I', d]);
    const files = [...new Set(Object.values(SERVICES).map(([file]) => file))];
    const flags = ['--keepCase', '--longs=Number', '--enums=String', '--defaults', '--oneofs', '--bytes=Buffer', '--grpcLib=@grpc/grpc-js', '--importFileExtension=.js'];
    await execFile(join(REPO_ROOT, 'node_modules', '.bin', 'proto-loader-gen-types'), [...flags, ...includes, '-O', generated, ...files]);

    const api = relative(dir, join(REPO_ROOT, 'lib', 'containerd', 'api.js'));
    const definition = (service: ServiceName): { name: string; path: string } => {
      const fq = SERVICES[service][1];
      return { name: `${fq.slice(fq.lastIndexOf('.') + 1)}Definition`, path: `./gen/${fq.split('.').join('/')}.js` };
    };
    const lines = [
      "import type { MethodDefinition } from '@grpc/proto-loader';",
      `import type { ContainerdApi } from '${api}';`,
      ...(Object.keys(METHODS) as ServiceName[]).map((s) => `import type { ${definition(s).name} as ${s}Def } from '${definition(s).path}';`),
      CHECKS,
      ...entries.map(
        ({ service, method }) =>
          `export const ${service}_${method}: CheckMethod<ContainerdApi['${service}']['${method}'], ${service}Def['${protoMethod(method)}']> = OK;`,
      ),
      '// A field the proto does not have fails the check (else the line above this comment is the error).',
      "// @ts-expect-error: bogus is no field of StartRequest",
      "export const probe: CheckMethod<{ request: { container_id: string; bogus: number }; response: { pid: number } }, tasksDef['Start']> = OK;",
      "// @ts-expect-error: a response field the proto does not answer",
      "export const probe2: CheckMethod<{ request: { container_id: string }; response: { pid: number; bogus: string } }, tasksDef['Start']> = OK;",
    ];
    writeFileSync(join(dir, 'check.ts'), `${lines.join('\n')}\n`);
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', 'check.ts'];
    const result = await execFile(process.execPath, [tsc, ...args], { cwd: dir }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    // tsc names check.ts lines: keep both where a person can read them after the temp dir is gone.
    if (result) writeFileSync(join(REPO_ROOT, '.cache', 'api-protos-last.txt'), result + readFileSync(join(dir, 'check.ts'), 'utf8'));
    expect(result).toBe('');
  }, 180_000);
});

/** The type-level comparison: Known = no field the proto lacks (deeply); the assignabilities = types fit. */
const CHECKS = `
type AllTrue<T> = false extends T[keyof T] ? false : true;
type Known<Mine, Gen> = true extends KnownInEach<Mine, NonNullable<Gen>> ? true : false;
/** Against each member of a union (the generated Any is a union): known when one member knows it. */
type KnownInEach<Mine, G> = G extends unknown ? KnownIn<Mine, G> : never;
type KnownIn<Mine, G> =
  Mine extends Uint8Array ? true
  : Mine extends readonly (infer E)[] ? (G extends readonly (infer H)[] ? Known<E, H> : false)
  : Mine extends object
    ? string extends keyof Mine
      ? true
      : [Exclude<keyof Mine, keyof G>] extends [never]
        ? AllTrue<{ [K in keyof Mine]-?: Known<NonNullable<Mine[K]>, G[K & keyof G]> }>
        : false
    : true;
type CheckMethod<Mine extends { request: unknown; response: unknown }, Def> =
  Def extends MethodDefinition<infer In, infer _Res, infer _In, infer Out>
    ? [Known<Mine['request'], In>, [Mine['request']] extends [In] ? true : false, Known<Mine['response'], Out>, [Out] extends [Mine['response']] ? true : false]
    : 'no such method';
const OK: [true, true, true, true] = [true, true, true, true];
`;
