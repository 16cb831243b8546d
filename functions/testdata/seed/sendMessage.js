'use strict'
module.exports.handler = (event, context, cb) => {
  console.log(JSON.stringify(event));
  if (Math.random() < 0.3) { // fail 30% of the time
    cb(new Error('error happened'));
  } else {
    cb(null, {});
  }
};
