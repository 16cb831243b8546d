package console

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The execution page and the state machine page show what the execution
// would cost on AWS: its billed transitions (a Map of three iterations of
// two states: 1 + 3×2 = 7) at the list price of the table's date and
// region, $0.000025 each.
func TestConsoleInBrowserCost(t *testing.T) {
	srv := startServer(t)
	sm := srv.call("CreateStateMachine", map[string]any{"name": "priced", "roleArn": role,
		"definition": `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"I1","States":{
			"I1":{"Type":"Pass","Next":"I2"},"I2":{"Type":"Pass","End":true}}}}}}`})
	smArn := sm["stateMachineArn"].(string)
	x := srv.call("StartExecution", map[string]any{"stateMachineArn": smArn, "input": "[1,2,3]"})
	execArn := x["executionArn"].(string)
	deadline := time.Now().Add(60 * time.Second)
	for srv.call("DescribeExecution", map[string]any{"executionArn": execArn})["status"] != "SUCCEEDED" {
		if time.Now().After(deadline) {
			t.Fatal("the execution did not succeed")
		}
		time.Sleep(100 * time.Millisecond)
	}

	ctx := browser(t)
	sh := &shooter{t: t, ctx: ctx, dir: artifacts(t)}
	sh.signIn(srv.endpoint)
	sh.step("open the execution",
		chromedp.Navigate(srv.endpoint+"/console/#/executions/"+url.PathEscape(execArn)),
		chromedp.WaitVisible(chromedp.CSS(`#exec-cost-table`)),
	)
	got := sh.eval(`document.querySelector('#exec-cost').innerText`)
	for _, want := range []string{"Cost on AWS", "State transitions", "7 × $0.00002500 = $0.00017500", "Total", "us-east-1", "2026-12-01"} {
		if !strings.Contains(got, want) {
			t.Errorf("execution page's cost: no %q in %q", want, got)
		}
	}
	sh.step("scroll to the cost", chromedp.ScrollIntoView(chromedp.CSS(`#exec-cost`)))
	sh.shot("execution-cost")

	sh.step("open the state machine",
		chromedp.Navigate(srv.endpoint+"/console/#/machines/"+url.PathEscape(smArn)),
		chromedp.WaitVisible(chromedp.CSS(`#machine-cost-table`)),
	)
	got = sh.eval(`document.querySelector('#machine-cost').innerText`)
	for _, want := range []string{"Executions", "7 × $0.00002500 = $0.00017500", "Total"} {
		if !strings.Contains(got, want) {
			t.Errorf("state machine page's cost: no %q in %q", want, got)
		}
	}
	sh.step("scroll to the cost", chromedp.ScrollIntoView(chromedp.CSS(`#machine-cost`)))
	sh.shot("machine-cost")
}
