/**
 * The layer rules of lib/ (CONTRIBUTING.md has the picture), checked by
 * `npm run lint:layers` and so by scripts/test-all.sh. From the bottom up:
 *
 *   errors.ts, host/          ground: names, paths, defaults, run records, claims
 *   history/                  the shared history contract
 *   native/, containerd/      the two boundaries (kernel, containerd)
 *   spec/, janitor/, images/  cluster specs; crash cleanup; image recipes and builds
 *   faults/                   fault definitions over spec and the boundaries
 *   workload/, checker/, report/   clients and nemesis, checkers, the HTML report
 *   runtime/                  Test, TestHandle: provisions and runs
 *   cli/, index.ts            entry points
 *
 * A layer imports only from layers below it (or itself); no cycles anywhere.
 */
const LAYERS = [
  ['ground', '^lib/(errors\\.ts|host/)'],
  ['history', '^lib/history/'],
  ['boundaries', '^lib/(native|containerd)/'],
  ['spec-janitor-images', '^lib/(spec|janitor|images)/'],
  ['faults', '^lib/faults/'],
  ['verdict', '^lib/(workload|checker|report)/'],
  ['runtime', '^lib/runtime/'],
  ['entry', '^lib/(cli/|index\\.ts)'],
];

/** Layer i may not import anything that is not in layers 0..i (own layer included). */
const downwardOnly = LAYERS.map(([name, path], i) => ({
  name: `layer-${name}-imports-downward`,
  comment: `${name} (${path}) imports only from the layers below it: ${LAYERS.slice(0, i).map(([n]) => n).join(', ') || 'none'}`,
  severity: 'error',
  from: { path },
  to: { path: '^lib/', pathNot: LAYERS.slice(0, i + 1).map(([, p]) => p) },
}));

/** Within the two boundaries and the spec/janitor floor, neighbours stay apart. */
const siblings = [
  ['native', 'containerd'],
  ['containerd', 'native'],
  ['spec', 'janitor'],
  ['spec', 'native'],
  ['spec', 'containerd'],
].map(([from, to]) => ({
  name: `no-${from}-to-${to}`,
  severity: 'error',
  from: { path: `^lib/${from}/` },
  to: { path: `^lib/${to}/` },
}));

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'no import cycles in lib/', from: { path: '^lib/' }, to: { circular: true } },
    {
      name: 'only-entries-import-runtime',
      severity: 'error',
      comment: 'nothing imports lib/runtime except lib/index.ts and lib/cli',
      from: { path: '^lib/', pathNot: ['^lib/runtime/', '^lib/index\\.ts$', '^lib/cli/'] },
      to: { path: '^lib/runtime/' },
    },
    {
      name: 'nothing-imports-the-public-surface',
      severity: 'error',
      comment: 'lib/index.ts is the public surface, not an internal barrel',
      from: { path: '^lib/' },
      to: { path: '^lib/index\\.ts$' },
    },
    {
      name: 'lib-imports-no-tests-or-tools',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^(test|bench|scripts|examples)/' },
    },
    ...downwardOnly,
    ...siblings,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
