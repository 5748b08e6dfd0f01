/**
 * ContainerSpec: one service (a container) that runs on a node. Immutable:
 * every `with…` returns a new spec, so a base spec can be shared and varied
 * safely (`base.withEnv(...)` never changes `base`). Arguments are checked when
 * given, so a mistake points at the line that made it.
 */
import { SpecError } from '../errors.js';
import { isMadeProbe, type Probe } from './probes.js';
import {
  checkArgv,
  checkEnvKey,
  checkEnvValue,
  checkFileTarget,
  checkImageRef,
  checkServiceName,
  checkStartDelay,
} from './rules.js';

export type FileContent = string | Uint8Array;

interface ContainerState {
  readonly name: string;
  readonly image: string;
  readonly env: Readonly<Record<string, string>>;
  readonly files: ReadonlyMap<string, FileContent>;
  readonly command: readonly string[] | undefined;
  readonly readiness: Probe | undefined;
  readonly startDelayMs: number;
}

export class ContainerSpec {
  readonly #state: ContainerState;

  private constructor(state: ContainerState) {
    this.#state = Object.freeze(state);
    Object.freeze(this);
  }

  /** @internal use newContainer() */
  static create(name: string, image: string): ContainerSpec {
    const serviceName = checkServiceName(name);
    return new ContainerSpec({
      name: serviceName,
      image: checkImageRef(image, `newContainer(${JSON.stringify(serviceName)})`),
      env: Object.freeze({}),
      files: new Map(),
      command: undefined,
      readiness: undefined,
      startDelayMs: 0,
    });
  }

  get name(): string {
    return this.#state.name;
  }
  get image(): string {
    return this.#state.image;
  }
  /** Environment merged over the image's (later `withEnv` of the same name wins). */
  get env(): Readonly<Record<string, string>> {
    return this.#state.env;
  }
  /** Files mounted read-only into the container, by absolute target path. */
  get files(): ReadonlyMap<string, FileContent> {
    return this.#state.files;
  }
  /** argv replacing the image's entrypoint and cmd; undefined keeps the image's. */
  get command(): readonly string[] | undefined {
    return this.#state.command;
  }
  get readiness(): Probe | undefined {
    return this.#state.readiness;
  }
  get startDelayMs(): number {
    return this.#state.startDelayMs;
  }

  #where(method: string): string {
    return `service ${JSON.stringify(this.#state.name)}: ${method}()`;
  }

  #with(change: Partial<ContainerState>): ContainerSpec {
    return new ContainerSpec({ ...this.#state, ...change });
  }

  withEnv(key: string, value: string): ContainerSpec {
    const where = this.#where('withEnv');
    checkEnvKey(key, where);
    checkEnvValue(key, value, where);
    return this.#with({ env: Object.freeze({ ...this.#state.env, [key]: value }) });
  }

  /** Mount `content` read-only at absolute `path` inside the container (same path again replaces it). */
  withFile(path: string, content: FileContent): ContainerSpec {
    const where = this.#where('withFile');
    checkFileTarget(path, where);
    if (typeof content !== 'string' && !(content instanceof Uint8Array)) {
      throw new SpecError(`${where}: content of ${JSON.stringify(path)} must be a string or a Uint8Array`, {
        hint: 'serialize objects first, e.g. JSON.stringify(config)',
      });
    }
    // One file inside another would need the first to be a directory too: the mount fails late with EEXIST.
    const nested = [...this.#state.files.keys()].find((other) => other.startsWith(`${path}/`) || path.startsWith(`${other}/`));
    if (nested !== undefined) {
      throw new SpecError(`${where}: file target ${JSON.stringify(path)} and ${JSON.stringify(nested)} would nest one file inside the other`, {
        hint: 'a path cannot be both a file and a directory; put the files side by side',
      });
    }
    const files = new Map(this.#state.files);
    files.set(path, typeof content === 'string' ? content : new Uint8Array(content));
    return this.#with({ files });
  }

  /** Replace the image's entrypoint+cmd with `argv` (no shell). */
  withCommand(argv: string[]): ContainerSpec {
    return this.#with({ command: Object.freeze(checkArgv(argv, 'command', this.#where('withCommand'))) });
  }

  withReadiness(probe: Probe): ContainerSpec {
    if (!isMadeProbe(probe)) {
      throw new SpecError(`${this.#where('withReadiness')}: not a probe made by spec.httpProbe(), spec.tcpProbe(), spec.execProbe() or spec.logProbe()`, {
        hint: 'build one with spec.httpProbe(), spec.tcpProbe(), spec.execProbe() or spec.logProbe()',
      });
    }
    return this.#with({ readiness: probe });
  }

  /** Start this service `ms` milliseconds after the cluster's network is ready. */
  withStartDelay(ms: number): ContainerSpec {
    return this.#with({ startDelayMs: checkStartDelay(ms, this.#where('withStartDelay')) });
  }
}

/** A service named `name` (unique on its node) running `image`. */
export function newContainer(name: string, image: string): ContainerSpec {
  return ContainerSpec.create(name, image);
}
