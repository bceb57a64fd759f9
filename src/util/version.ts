import { createRequire } from 'node:module';

// package.json sits three levels up from both src/util/ and dist/util/.
const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
export const VERSION: string = pkg.version;
