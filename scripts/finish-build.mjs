// After the two tsc builds: mark each output tree with its module format, so Node.js and
// TypeScript read dist/esm as ES modules and dist/cjs as CommonJS whatever the root says.
import { writeFileSync } from "node:fs";

writeFileSync("dist/esm/package.json", `${JSON.stringify({ type: "module", sideEffects: false }, null, 2)}\n`);
writeFileSync("dist/cjs/package.json", `${JSON.stringify({ type: "commonjs", sideEffects: false }, null, 2)}\n`);
