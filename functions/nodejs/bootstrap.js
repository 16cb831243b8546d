// Statecraft's Node.js runtime bootstrap. It is embedded in the statecraft
// binary and run as `node bootstrap.js` with the standard Lambda environment.
// Plain Node.js, no dependencies: it speaks the Lambda Runtime API over http,
// loads the handler named by _HANDLER ("file.export", relative to
// LAMBDA_TASK_ROOT) and runs callback-style and async handlers the way the
// AWS Lambda Node.js runtime does.
'use strict';

const http = require('http');
const path = require('path');
const fs = require('fs');
const util = require('util');
const { pathToFileURL } = require('url');

const env = process.env;
const API = env.AWS_LAMBDA_RUNTIME_API || '';
const sep = API.lastIndexOf(':');
const HOST = API.slice(0, sep);
const PORT = Number(API.slice(sep + 1));
const BASE = '/2018-06-01/runtime';
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

// ---- Runtime API client -------------------------------------------------

function call(method, urlPath, body, headers) {
  return new Promise((resolve, reject) => {
    const h = Object.assign({}, headers);
    if (body !== undefined) {
      h['Content-Type'] = h['Content-Type'] || 'application/json';
      h['Content-Length'] = Buffer.byteLength(body);
    }
    const req = http.request({ host: HOST, port: PORT, path: urlPath, method, agent, headers: h }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function nextInvocation() {
  const res = await call('GET', `${BASE}/invocation/next`);
  if (res.status !== 200) throw new Error(`GET next: unexpected status ${res.status}: ${res.body}`);
  return res;
}

function postResponse(id, body) {
  return call('POST', `${BASE}/invocation/${encodeURIComponent(id)}/response`, body);
}

function postError(id, err) {
  const doc = formatError(err);
  return call('POST', `${BASE}/invocation/${encodeURIComponent(id)}/error`, serialize(doc),
    { 'Lambda-Runtime-Function-Error-Type': String(doc.errorType) });
}

function postInitError(err) {
  const doc = formatError(err);
  return call('POST', `${BASE}/init/error`, serialize(doc),
    { 'Lambda-Runtime-Function-Error-Type': String(doc.errorType) });
}

// ---- Errors, as the AWS runtime formats them -----------------------------

function runtimeError(name, message) {
  const e = new Error(message);
  e.name = `Runtime.${name}`;
  return e;
}

function isErrorLike(e) {
  return e && typeof e.name === 'string' && typeof e.message === 'string' && typeof e.stack === 'string';
}

// formatError is the error document: {errorType, errorMessage, trace}.
function formatError(error) {
  try {
    if (error instanceof Error || util.types.isNativeError(error) || isErrorLike(error)) {
      return {
        errorType: error.name,
        errorMessage: error.message,
        trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
      };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch (_) {
    return {
      errorType: 'handled',
      errorMessage: 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
      trace: [],
    };
  }
}

function serialize(doc) {
  try {
    return JSON.stringify(doc);
  } catch (_) {
    return JSON.stringify({ errorType: String(doc.errorType), errorMessage: String(doc.errorMessage), trace: [] });
  }
}

// ---- Logging: console.* lines as Lambda writes them -----------------------

let currentRequestId;

function patchConsole() {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
  for (const [fn, level] of Object.entries(levels)) {
    console[fn] = (...args) => {
      let msg = util.format(...args);
      if (fn === 'trace') msg = `Trace: ${msg}\n${new Error().stack.split('\n').slice(2).join('\n')}`;
      process.stdout.write(`${new Date().toISOString()}\t${currentRequestId}\t${level}\t${msg}\n`);
    };
  }
}

// ---- Loading the handler --------------------------------------------------

function findModule(dir, name) {
  const base = path.resolve(dir, name);
  for (const ext of ['.js', '.mjs', '.cjs']) {
    if (fs.existsSync(base + ext)) return base + ext;
  }
  return null;
}

async function loadModule(file) {
  if (file.endsWith('.mjs')) return import(pathToFileURL(file).href);
  try {
    return require(file);
  } catch (err) {
    if (err && err.code === 'ERR_REQUIRE_ESM') return import(pathToFileURL(file).href);
    throw err;
  }
}

async function loadHandler(taskRoot, handlerString) {
  if (handlerString.includes('..')) {
    throw runtimeError('MalformedHandlerName', `'${handlerString}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`);
  }
  const slash = handlerString.lastIndexOf('/');
  const moduleRoot = handlerString.slice(0, slash + 1);
  const m = handlerString.slice(slash + 1).match(/^([^.]*)\.(.*)$/);
  if (!m) throw runtimeError('MalformedHandlerName', 'Bad handler');
  const [, moduleName, handlerPath] = m;
  const file = findModule(path.resolve(taskRoot, moduleRoot), moduleName);
  if (!file) {
    throw runtimeError('ImportModuleError', `Error: Cannot find module '${moduleName}'\nRequire stack:\n- ${__filename}`);
  }
  let app;
  try {
    app = await loadModule(file);
  } catch (err) {
    if (err instanceof SyntaxError) {
      const e = runtimeError('UserCodeSyntaxError', String(err));
      e.stack = err.stack;
      throw e;
    }
    if (err && err.code === 'MODULE_NOT_FOUND') {
      const e = runtimeError('ImportModuleError', String(err));
      e.stack = err.stack;
      throw e;
    }
    throw err;
  }
  let fn = app;
  for (const part of handlerPath.split('.')) {
    fn = fn == null ? undefined : fn[part];
  }
  if (fn == null) throw runtimeError('HandlerNotFound', `${handlerString} is undefined or not exported`);
  if (typeof fn !== 'function') throw runtimeError('HandlerNotFound', `${handlerString} is not a function`);
  return fn;
}

// ---- Running invocations -------------------------------------------------

// The success callback of a handler that leaves callbackWaitsForEmptyEventLoop
// set is answered once the event loop is empty, like on Lambda.
let onEmptyEventLoop = null;
process.on('beforeExit', () => {
  const f = onEmptyEventLoop;
  onEmptyEventLoop = null;
  if (f) setImmediate(f);
});

// The invocation in progress: uncaught exceptions are reported against it.
let failCurrent = null;

function parseJSONHeader(v) {
  if (!v) return undefined;
  try {
    return JSON.parse(v);
  } catch (_) {
    return undefined;
  }
}

function runOnce(handler, next) {
  return new Promise((resolveLoop, rejectLoop) => {
    const h = next.headers;
    const id = h['lambda-runtime-aws-request-id'];
    const deadline = Number(h['lambda-runtime-deadline-ms']);
    currentRequestId = id;
    if (h['lambda-runtime-trace-id']) env._X_AMZN_TRACE_ID = h['lambda-runtime-trace-id'];
    else delete env._X_AMZN_TRACE_ID;

    let finished = false;
    let waitForEmptyEventLoop = true;

    const complete = (err, result) => {
      if (finished) return;
      finished = true;
      onEmptyEventLoop = null;
      failCurrent = null;
      let sent;
      if (err !== undefined && err !== null) {
        if (exitCode === null) console.error('Invoke Error', serialize(formatError(err)));
        sent = postError(id, err);
      } else {
        let body;
        try {
          body = JSON.stringify(result === undefined ? null : result);
        } catch (_) {
          const e = runtimeError('JSONStringifyError', 'Unable to stringify response body');
          console.error('Invoke Error', serialize(formatError(e)));
          sent = postError(id, e);
        }
        if (!sent) sent = postResponse(id, body);
      }
      sent.then(resolveLoop, rejectLoop);
    };

    const callback = (err, result) => {
      if (finished) return;
      if (err !== undefined && err !== null) return complete(err);
      if (!waitForEmptyEventLoop) return complete(null, result);
      onEmptyEventLoop = () => complete(null, result);
    };
    const done = (err, result) => complete(err, result);

    const context = {
      get callbackWaitsForEmptyEventLoop() { return waitForEmptyEventLoop; },
      set callbackWaitsForEmptyEventLoop(v) { waitForEmptyEventLoop = v; },
      functionName: env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
      invokedFunctionArn: h['lambda-runtime-invoked-function-arn'],
      memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      awsRequestId: id,
      logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
      identity: parseJSONHeader(h['lambda-runtime-cognito-identity']),
      clientContext: parseJSONHeader(h['lambda-runtime-client-context']),
      getRemainingTimeInMillis: () => deadline - Date.now(),
      done,
      succeed: (result) => done(null, result),
      fail: (err) => done(err === undefined || err === null ? 'handled' : err),
    };
    failCurrent = (err) => complete(err);

    let event;
    try {
      event = JSON.parse(next.body);
    } catch (err) {
      return complete(runtimeError('UnmarshalError', `Unable to parse event: ${err.message}`));
    }
    let result;
    try {
      result = handler(event, context, callback);
    } catch (err) {
      return complete(err);
    }
    if (result && typeof result.then === 'function') {
      result.then((v) => complete(null, v), (e) => complete(e === undefined || e === null ? 'handled' : e));
    }
  });
}

// An exception nobody caught fails the invocation in progress, and then the
// process exits (the host starts a fresh one for the next invocation).
let exitCode = null;

function crash(label, err, code) {
  console.error(label, serialize(formatError(err)));
  exitCode = code;
  const fail = failCurrent;
  failCurrent = null;
  if (!fail) process.exit(code);
  fail(err);
}

process.on('uncaughtException', (err) => crash('Uncaught Exception', err, 129));
process.on('unhandledRejection', (reason) => {
  const msg = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
  crash('Unhandled Promise Rejection', runtimeError('UnhandledPromiseRejection', msg), 128);
});

async function main() {
  patchConsole();
  let handler;
  try {
    handler = await loadHandler(env.LAMBDA_TASK_ROOT || process.cwd(), env._HANDLER || '');
  } catch (err) {
    console.error('Init Error', serialize(formatError(err)));
    await postInitError(err);
    process.exit(1);
  }
  for (;;) {
    const next = await nextInvocation();
    await runOnce(handler, next);
    if (exitCode !== null) process.exit(exitCode);
  }
}

main().catch((err) => {
  process.stderr.write(`statecraft bootstrap: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
