// npm's "prepare" script. npm runs it in two places: in this repository on `npm ci` / `npm install`
// (nothing to do: `npm run build` builds when you need dist/), and in the temporary clone it
// makes when a project installs this package from git (`npm install git+https://...`), where it
// must build dist/ - a git checkout has no dist/, and the package's entry points live there.
// npm runs both from the package's folder; only a git install starts from another one (INIT_CWD).
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

const here = resolve(process.cwd());
const startedFrom = resolve(process.env.INIT_CWD ?? here);
if (startedFrom !== here) {
  const build = spawnSync("npm", ["run", "build"], { stdio: "inherit" });
  process.exit(build.status ?? 1);
}
