package arn

// Integration is the Task resource of a Step Functions service
// integration, arn:aws:states:::SERVICE:ACTION, as definitions write it
// (no region or account; the aws partition); action may carry an
// integration pattern (.waitForTaskToken, .sync).
func Integration(service, action string) string {
	return ARN{Partition: "aws", Service: "states", Resource: service + ":" + action}.String()
}
