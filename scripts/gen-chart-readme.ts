// Writes charts/configstore-operator/README.md with helm-docs, from its README.md.gotmpl and the
// `# --` comments of values.yaml. `npm run gen:chart-readme`; scripts/chart/readme.test.ts fails while it is stale.
import { writeReadme } from './chart/tools.js';

writeReadme();
console.log('wrote charts/configstore-operator/README.md');
