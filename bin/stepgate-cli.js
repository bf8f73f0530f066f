#!/usr/bin/env node
// The `stepgate` command. The sources are TypeScript; tsx compiles them on the fly so the CLI needs no build step.
// Lambda runs Node 24; locally Node 20 is fine until the SDK drops it (2027), so keep its notice out of the CLI output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs/api').register();
require('./cli.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    if (typeof code === 'number') process.exitCode = code;
  });
