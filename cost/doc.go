// Package cost says what an execution would cost on AWS: the state
// transitions AWS Step Functions bills (measured: the engine stores each
// execution's count with every step), and their price, with that of the
// local Lambda functions the execution called (measured durations, the
// function's configured memory), from a price table of AWS list prices.
//
// # What counts as a transition
//
// AWS bills Standard workflows "each time a step of your workflow is
// executed", retries included (https://aws.amazon.com/step-functions/pricing/;
// /work/shared/reference/aws-step-functions.md section 7). The rule kept
// here, counted by the interpreter (interp.Execution.Transitions): +1 for
// every state entered (Task, Pass, Choice, Wait, Succeed, Fail, Map,
// Parallel), states inside Parallel branches and Map iterations included,
// and +1 for every retry attempt; ExecutionStarted and the execution's end
// are not steps and count nothing. A redriven execution keeps counting
// from where it was. The states of a Distributed Map's Express children
// are not transitions of their parent: AWS bills each child as an Express
// execution (below), and the parent "one state transition for each child
// workflow execution that the Distributed Map state starts"
// (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-transitions.html),
// which the interpreter counts instead. Whether a STANDARD child's start
// is also charged on top of its states that page leaves unclear; its
// states are counted, its start is not.
//
// # Prices
//
// Default is the table embedded from prices.json (us-east-1 list prices,
// with their date), first tier only and no free tier: an estimate of the
// marginal price, not a bill. An operator overrides it with a JSON file of
// the same shape (Load; `statecraft server --cost-prices FILE`): fields the
// file leaves out keep their default.
//
//   - Standard: transitions × StandardPerTransition.
//   - Express: ExpressPerRequest per execution, plus ExpressPerGBSecond
//     per GB-second, the duration rounded up to 100 ms and the memory
//     (ExpressMemoryMB, an estimate: AWS measures it) up to a multiple of
//     64 MB.
//     Applied to each Express child of a Distributed Map, from the start
//     and stop times its Map Run keeps (Express).
//   - Lambda (local functions): LambdaPerRequest per invocation plus
//     LambdaPerGBSecond per GB-second, the duration rounded up to 1 ms,
//     at the function's configured memory.
//
// The server serves the figures at Path (Handler): per execution, per
// state machine and per account over a time range, read from the store,
// for `statecraft cost` and the console.
package cost
