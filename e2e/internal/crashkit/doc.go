// Package crashkit is what the end-to-end crash tests share: e2e/crash
// (one server on SQLite, killed and restarted) and e2e/cluster (several
// servers on one PostgreSQL database, killed one at a time).
//
// It builds the statecraft binary, starts and kills its server processes,
// drives them through the AWS SDK for Go v2 (executions started, activity
// tasks worked, heartbeaten and answered), computes what an uninterrupted
// run of each execution gives, and checks each execution's end and history
// against it. What to kill, when, and where each call goes stays in the
// tests: the calls here take the client to use from a function, so a
// test with several nodes can spread them and move them off a node that
// is down.
package crashkit

import "time"

const (
	Region  = "us-east-1"
	Account = "123456789012"
	Role    = "arn:aws:iam::123456789012:role/crash-test"

	PollTimeout = 2 * time.Second        // the workers' GetActivityTask timeout while servers are being killed
	LongPoll    = 65 * time.Second       // and after: longer than the server's 60 s long poll, as AWS asks of workers
	CallTimeout = 10 * time.Second       // any other call
	RetryPause  = 100 * time.Millisecond // a call to a server that is down is retried after this
)
