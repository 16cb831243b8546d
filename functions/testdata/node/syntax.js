'use strict';
module.exports.handler = async () => { return {;
