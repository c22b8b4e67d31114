/** Services import shared/ and never each other; only the monolith composes them. */
const services = ['api', 'message', 'search', 'ws', 'notification', 'web'];
module.exports = {
  forbidden: [
    ...services.map((name) => ({
      name: `no-cross-service-${name}`,
      comment: `services/${name} may import shared/ but no other service`,
      severity: 'error',
      from: { path: `^services/${name}/` },
      to: { path: '^services/', pathNot: [`^services/${name}/`] },
    })),
    {
      name: 'shared-imports-no-service',
      comment: 'shared/ is below every service',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^services/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'default'], extensions: ['.ts', '.js'] },
    preserveSymlinks: false,
  },
};
