'use strict';
// Handlers for the nodejs runtime tests. Each export is one behaviour.

let count = 0; // module state survives between warm invocations

module.exports.callbackOk = (event, context, cb) => {
  cb(null, { ok: true, echo: event });
};

module.exports.callbackErr = (event, context, cb) => {
  cb(new Error('callback failure'));
};

module.exports.asyncOk = async (event) => ({ async: true, n: event.n });

module.exports.promiseOk = (event) => Promise.resolve({ promise: true });

module.exports.asyncReject = async () => {
  throw new RangeError('async rejection');
};

class ValidationError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ValidationError';
  }
}
module.exports.customError = async () => {
  throw new ValidationError('bad input');
};

// Like on Lambda, the errorType is error.name: a subclass that does not set
// its name reports "Error".
class UnnamedError extends Error {}
module.exports.unnamedCustomError = async () => {
  throw new UnnamedError('no name set');
};

module.exports.typeError = (event) => event.missing.field;

module.exports.throwString = async () => {
  throw 'plain string';
};

module.exports.crash = () => {
  console.log('about to exit');
  process.exit(1);
};

module.exports.exitZero = () => {
  process.exit(0);
};

module.exports.loop = () => {
  console.log('looping forever');
  for (;;) {}
};

module.exports.circular = async () => {
  const a = { name: 'a' };
  a.self = a;
  return a;
};

module.exports.big = async () => 'x'.repeat(7 * 1024 * 1024);

module.exports.undefinedResult = async () => undefined;

module.exports.logs = (event, context, cb) => {
  console.log('hello from', event.who);
  console.error('an error line');
  process.stdout.write('raw stdout\n');
  process.stderr.write('raw stderr\n');
  cb(null, 'logged');
};

module.exports.context = async (event, context) => ({
  awsRequestId: context.awsRequestId,
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  invokedFunctionArn: context.invokedFunctionArn,
  memoryLimitInMB: context.memoryLimitInMB,
  logGroupName: context.logGroupName,
  logStreamName: context.logStreamName,
  remaining: context.getRemainingTimeInMillis(),
  callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
  clientContext: context.clientContext,
  identity: context.identity,
  env: {
    AWS_LAMBDA_RUNTIME_API: process.env.AWS_LAMBDA_RUNTIME_API,
    _HANDLER: process.env._HANDLER,
    LAMBDA_TASK_ROOT: process.env.LAMBDA_TASK_ROOT,
    LAMBDA_RUNTIME_DIR: process.env.LAMBDA_RUNTIME_DIR,
    AWS_LAMBDA_FUNCTION_NAME: process.env.AWS_LAMBDA_FUNCTION_NAME,
    AWS_LAMBDA_FUNCTION_VERSION: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    AWS_REGION: process.env.AWS_REGION,
    AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION,
    AWS_EXECUTION_ENV: process.env.AWS_EXECUTION_ENV,
    TZ: process.env.TZ,
    PATH: process.env.PATH,
    GREETING: process.env.GREETING,
    _X_AMZN_TRACE_ID: process.env._X_AMZN_TRACE_ID,
  },
  cwd: process.cwd(),
});

module.exports.counter = async () => {
  count++;
  return { count, pid: process.pid };
};

module.exports.pid = async (event) => {
  await new Promise((r) => setTimeout(r, event.ms || 0));
  return { pid: process.pid };
};

// With callbackWaitsForEmptyEventLoop (the default) the response waits for
// the timer, so its log line belongs to this invocation.
module.exports.waitsForEmptyLoop = (event, context, cb) => {
  setTimeout(() => console.log('timer fired'), 200);
  cb(null, { waited: true });
};

module.exports.noWait = (event, context, cb) => {
  context.callbackWaitsForEmptyEventLoop = false;
  cb(null, { waited: false });
};

module.exports.uncaught = (event, context, cb) => {
  setTimeout(() => {
    throw new Error('async boom');
  }, 10);
};

module.exports.unhandledRejection = (event, context, cb) => {
  Promise.reject(new Error('nobody catches me'));
};

module.exports.succeed = (event, context) => {
  context.succeed({ via: 'succeed' });
};

module.exports.fail = (event, context) => {
  context.fail(new Error('via fail'));
};

module.exports.nested = { deeper: { handler: async () => ({ nested: true }) } };

module.exports.notAFunction = 42;

module.exports.marker = async (event) => {
  console.log(`marker ${event.i} start`);
  await new Promise((r) => setTimeout(r, event.ms || 0));
  console.log(`marker ${event.i} end`);
  return { i: event.i };
};
