// Layer rules (README "Rules the code keeps", issue 12): who may import whom.
// `npm run lint:layers` checks them (and `npm run lint`, which CI runs); `npm run layers`
// prints the folder-level map of production code.
//
// Layers of configstore/, each importing only the ones below it (and node/npm packages):
//   cli/ → api/ → action/ → readdb/, datamanager/ → objectstorage/ → errors.ts
//   types/, client/, errors.ts, log.ts: the bottom, importing no internals
// operator/ talks to configstore only through the exported client and types.
// plugin/ (kubectl configstore) is a client of the Kubernetes API: operator/api and the exported modules only.
// "Production" below means configstore/ and operator/ without their *.test.ts files.

/** Tests, which may import anything (testsupport/, scripts/localenv, …). */
const tests = '\\.test\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Two modules (tests aside: scripts, test support and benchmarks included) import each other, directly or through others. A cycle makes the order modules load in matter ' +
        '(a value can be undefined while its module is still loading) and means neither part can be understood or tested alone: ' +
        'move what both need into a module below them, or pass it in as a parameter.',
      from: {
        path: '^(configstore|operator|plugin|scripts|testsupport|e2e|bench|health)/',
        pathNot: tests,
      },
      to: { circular: true },
    },
    {
      name: 'exported-modules-import-no-internals',
      severity: 'error',
      comment:
        'configstore/client, configstore/types and configstore/errors.ts are the exported modules (the client package and the API types): ' +
        'they import nothing else of the repository, so they can be used (and published) without the server. Also an ESLint rule.',
      from: { path: '^configstore/(client/|types/|errors\\.ts$)', pathNot: tests },
      to: { path: '^(configstore|operator|scripts|testsupport|e2e|bench)/', pathNot: '^configstore/(client/|types/|errors\\.ts$)' },
    },
    {
      name: 'objectstorage-imports-only-errors',
      severity: 'error',
      comment:
        'configstore/objectstorage is the lowest storage layer (one interface, S3 and posix backends): it knows nothing of configstore ' +
        'but its error kinds (errors.ts) and the object storage URL format (types/objectstorageurl.ts, shared with the operator). ' +
        'Anything else it needs comes from node or npm packages.',
      from: { path: '^configstore/objectstorage/', pathNot: tests },
      to: {
        path: '^(configstore|operator|scripts|testsupport|e2e|bench)/',
        pathNot: '^configstore/(objectstorage/|errors\\.ts$|types/objectstorageurl\\.ts$)',
      },
    },
    {
      name: 'readdb-not-above-it',
      severity: 'error',
      comment:
        'configstore/readdb (the per-instance read model) sits below the rules and the HTTP layer: it may use datamanager, types and errors, ' +
        'never api/, action/ or cli/ (they use it).',
      from: { path: '^configstore/readdb/', pathNot: tests },
      to: { path: '^configstore/(api|action|cli)/' },
    },
    {
      name: 'datamanager-not-above-it',
      severity: 'error',
      comment:
        'configstore/datamanager (the write path, snapshots, checkpoints, import) is storage: it may use objectstorage, types and errors, ' +
        'never action/, api/, readdb/ or cli/. Rules of the resources it needs (the import checks) are passed in as a parameter by action/.',
      from: { path: '^configstore/datamanager/', pathNot: tests },
      to: { path: '^configstore/(action|api|readdb|cli)/' },
    },
    {
      name: 'action-not-above-it',
      severity: 'error',
      comment:
        'configstore/action holds the rules of the resources and the operations (export, import, maintenance); it never imports the HTTP layer ' +
        '(api/) or the command (cli/): those parse a request or flags, call action/ and answer.',
      from: { path: '^configstore/action/', pathNot: tests },
      to: { path: '^configstore/(api|cli)/' },
    },
    {
      name: 'production-not-test-support',
      severity: 'error',
      comment:
        'Production code (configstore/, operator/ without their tests) never imports testsupport/ (test helpers) or scripts/ (the local ' +
        'servers, the build, the demo): neither is in the image (Dockerfile copies configstore/ and operator/ only). Tests may import both.',
      from: { path: '^(configstore|operator|plugin)/', pathNot: tests },
      to: { path: '^(testsupport|scripts)/' },
    },
    {
      name: 'operator-uses-only-the-exported-modules',
      severity: 'error',
      comment:
        'The operator talks to configstore like any user: through configstore/client, configstore/types and configstore/errors.ts only ' +
        "(also an ESLint rule). configstore/log.ts is allowed too: a type-only alias of pino's logger, with no code and no imports of configstore.",
      from: { path: '^operator/', pathNot: tests },
      to: { path: '^configstore/', pathNot: '^configstore/(client/|types/|errors\\.ts$|log\\.ts$)' },
    },
    {
      name: 'plugin-is-a-kubernetes-client',
      severity: 'error',
      comment:
        'plugin/ (the kubectl configstore plugin) talks to the operator only through the Kubernetes API, as any user does: it may import operator/api ' +
        '(the kinds, their types, defaults and labels) and the exported modules configstore/types and configstore/errors.ts, never the ' +
        "reconcilers (operator/controllers), the operator's runtime (operator/kube, manager, run) or the server's internals. " +
        'What it needs from them belongs in operator/api (as the labels do).',
      from: { path: '^plugin/', pathNot: tests },
      to: { path: '^(configstore|operator|scripts|testsupport|e2e|bench|health)/', pathNot: '^(operator/api/|configstore/(types/|errors\\.ts$))' },
    },
    {
      name: 'nothing-imports-the-plugin',
      severity: 'error',
      comment: 'plugin/ is a command at the top: the server and the operator never import it (tests and test support may).',
      from: { path: '^(configstore|operator)/', pathNot: tests },
      to: { path: '^plugin/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|coverage|charts|crds)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    // type-only imports count: a type from a layer above is still a dependency on it
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
