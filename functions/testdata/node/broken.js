'use strict';
// A module that fails while it is being loaded.
throw new Error('module init failed');
