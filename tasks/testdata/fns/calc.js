'use strict'
// Test handlers in the seed's callback style and as async functions.
let calls = 0
module.exports.double = (event, context, cb) => {
  cb(null, { n: event.n * 2 })
}
module.exports.flaky = (event, context, cb) => {
  calls++
  if (calls % 3 !== 0) {
    cb(new Error('error happened'))
  } else {
    cb(null, { calls })
  }
}
class ValidationError extends Error {
  constructor (m) { super(m); this.name = 'ValidationError' }
}
module.exports.invalid = async () => { throw new ValidationError('bad input') }
