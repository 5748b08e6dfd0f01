/**
 * Strict patterns of the names a run gives its kernel objects (see
 * lib/host/names.ts), used to recover the run id from a leftover. Anything
 * that does not match exactly is not ours and is never touched.
 * test/reliability/janitor.test.ts checks them against `names.*`.
 */
const ID = '([a-z]{5})';

/** Namespaces: "pk-<id>-<node>", the runner's "pk-<id>-_runner" and the switch "pk-<id>-_switch". Node names: lib/spec/rules.ts (lowercase, digits, inner "-"). */
const NETNS = new RegExp(`^pk-${ID}-(?:_runner|_switch|[a-z0-9]+(?:-[a-z0-9]+)*)$`);
/** Host links: direct reach's uplink "pk<id>-up"; from older versions (bridge in the host namespace) bridge "pkb-<id>", host veth "pk<id>-<n>", not-yet-moved peer "pk<id>p<n>". */
const LINKS = [new RegExp(`^pkb-${ID}$`), new RegExp(`^pk${ID}-(?:\\d+|up)$`), new RegExp(`^pk${ID}p\\d+$`)];
/** Work dirs under <state dir>/work and cgroups under <controller>/pakostii are named by the bare id. */
const BARE_ID = new RegExp(`^${ID}$`);

export function runIdOfNetns(name: string): string | undefined {
  return NETNS.exec(name)?.[1];
}

export function runIdOfLink(name: string): string | undefined {
  for (const pattern of LINKS) {
    const id = pattern.exec(name)?.[1];
    if (id) return id;
  }
  return undefined;
}

/** Per-exec scratch dirs of the containerd layer: "<state dir>/exec/<container id>-XXXXXX", container id "pk-<id>-…". */
const EXEC_DIR = new RegExp(`^pk-${ID}-[a-z0-9][A-Za-z0-9._-]*$`);

export function runIdOfExecDir(name: string): string | undefined {
  return EXEC_DIR.exec(name)?.[1];
}

/** A run's container ids are "pk-<id>-<node>-<service>" (names.container): the same shape as its exec dirs' prefix. */
export function runIdOfContainer(containerId: string): string | undefined {
  return EXEC_DIR.exec(containerId)?.[1];
}

export function runIdOfDir(name: string): string | undefined {
  return BARE_ID.exec(name)?.[1];
}

/** Link deletion order: host veths first (each takes its peer along), stray peers, the bridge last. */
export function linkDeletionRank(name: string): number {
  if (name.startsWith('pkb-')) return 2;
  return /p\d+$/.test(name) ? 1 : 0;
}
