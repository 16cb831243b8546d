'use strict'
module.exports.handler = (event, context, cb) => {
  console.log(JSON.stringify(event));
  if (Math.random() < 0.3) {
    cb(new Error('error happened')); // fail 30% of the time
  } else {
    cb(null, {activities: Date.now() % 2}); // return zero 50% of the time
  }
};
