package arn

import "testing"

func TestIntegration(t *testing.T) {
	for _, c := range [][3]string{
		{"sqs", "sendMessage", "arn:aws:states:::sqs:sendMessage"},
		{"events", "putEvents.waitForTaskToken", "arn:aws:states:::events:putEvents.waitForTaskToken"},
		{"aws-sdk", "s3:getObject", "arn:aws:states:::aws-sdk:s3:getObject"},
	} {
		if got := Integration(c[0], c[1]); got != c[2] {
			t.Errorf("Integration(%s, %s) = %s, want %s", c[0], c[1], got, c[2])
		}
	}
}
