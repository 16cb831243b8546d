package arn_test

import (
	"fmt"

	"github.com/statecraft/statecraft/arn"
)

// Builders take the region and account; the partition follows the region,
// so a machine created in a China or GovCloud region gets that partition's
// ARNs everywhere they are written.
func ExampleStateMachine() {
	for _, region := range []string{"eu-west-1", "cn-north-1", "us-gov-west-1"} {
		sm := arn.StateMachine(region, "123456789012", "orders")
		fmt.Println(sm)
		fmt.Println(arn.Execution(sm, "order-7"))
	}
	fmt.Println(arn.Version(arn.StateMachine("eu-west-1", "123456789012", "orders"), 3))
	fmt.Println(arn.Activity("eu-west-1", "123456789012", "mediaService"))
	fmt.Println(arn.Function("eu-west-1", "123456789012", "send"))
	fmt.Println(arn.Role("cn-north-1", "123456789012", "orders"))
	// Output:
	// arn:aws:states:eu-west-1:123456789012:stateMachine:orders
	// arn:aws:states:eu-west-1:123456789012:execution:orders:order-7
	// arn:aws-cn:states:cn-north-1:123456789012:stateMachine:orders
	// arn:aws-cn:states:cn-north-1:123456789012:execution:orders:order-7
	// arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:orders
	// arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:orders:order-7
	// arn:aws:states:eu-west-1:123456789012:stateMachine:orders:3
	// arn:aws:states:eu-west-1:123456789012:activity:mediaService
	// arn:aws:lambda:eu-west-1:123456789012:function:send
	// arn:aws-cn:iam::123456789012:role/orders
}

// ParseStates splits a Step Functions ARN once into what its resource
// names; what a malformed one means (InvalidArn, a failed task) is the
// caller's to say.
func ExampleParseStates() {
	for _, s := range []string{
		"arn:aws:states:eu-west-1:123456789012:stateMachine:orders:3",
		"arn:aws:states:eu-west-1:123456789012:execution:orders:order-7",
		"arn:aws:states:eu-west-1:123456789012:express:orders:order-7:6f1c",
		"arn:aws:states:eu-west-1:123456789012:mapRun:orders/Items:9d2e",
		"arn:aws:states:eu-west-1:123456789012:orders",
	} {
		a, err := arn.ParseStates(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-12s name=%s label=%q qualifier=%q region=%s account=%s\n", a.Type, a.Name, a.Label, a.Qualifier, a.Region, a.Account)
	}
	// Output:
	// stateMachine name=orders label="" qualifier="3" region=eu-west-1 account=123456789012
	// execution    name=orders label="" qualifier="order-7" region=eu-west-1 account=123456789012
	// express      name=orders label="" qualifier="order-7:6f1c" region=eu-west-1 account=123456789012
	// mapRun       name=orders label="Items" qualifier="9d2e" region=eu-west-1 account=123456789012
	// arn: not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)
}

// Parse splits any ARN into its six fields; Resource keeps its colons.
func ExampleParse() {
	a, err := arn.Parse("arn:aws-cn:lambda:cn-north-1:123456789012:function:send:live")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.Partition, a.Service, a.Region, a.Account, a.Resource)
	_, err = arn.Parse("function:send")
	fmt.Println(err)
	// Output:
	// aws-cn lambda cn-north-1 123456789012 function:send:live
	// arn: not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)
}

// A version ARN is its machine's ARN and a canonical number; anything
// else after the last colon (an alias, "03") is not a version.
func ExampleSplitVersion() {
	for _, s := range []string{
		"arn:aws:states:eu-west-1:123456789012:stateMachine:orders:3",
		"arn:aws:states:eu-west-1:123456789012:stateMachine:orders:03",
		"arn:aws:states:eu-west-1:123456789012:stateMachine:orders:live",
	} {
		sm, n, ok := arn.SplitVersion(s)
		fmt.Printf("%t %d %q\n", ok, n, sm)
	}
	// Output:
	// true 3 "arn:aws:states:eu-west-1:123456789012:stateMachine:orders"
	// false 0 ""
	// false 0 ""
}

// SameScope is how an execution is kept to its own account's and region's
// resources; an ARN with no account, such as an optimized integration's,
// is in every scope.
func ExampleSameScope() {
	exec := "arn:aws:states:eu-west-1:123456789012:execution:orders:order-7"
	for _, resource := range []string{
		"arn:aws:lambda:eu-west-1:123456789012:function:send",
		"arn:aws:lambda:eu-west-1:210987654321:function:send",
		"arn:aws:lambda:us-east-1:123456789012:function:send",
		"arn:aws:states:::lambda:invoke",
	} {
		fmt.Println(arn.SameScope(resource, exec), resource)
	}
	// Output:
	// true arn:aws:lambda:eu-west-1:123456789012:function:send
	// false arn:aws:lambda:eu-west-1:210987654321:function:send
	// false arn:aws:lambda:us-east-1:123456789012:function:send
	// true arn:aws:states:::lambda:invoke
}
