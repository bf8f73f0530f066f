#!/usr/bin/env node
// The `stepgate` command. The sources are TypeScript; tsx compiles them on the fly so the CLI needs no build step.
require('tsx/cjs/api').register();
require('./cli.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    if (typeof code === 'number') process.exitCode = code;
  });
