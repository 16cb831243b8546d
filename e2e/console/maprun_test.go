package console

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestConsoleInBrowserMapRun: the execution page of a Distributed Map
// shows its Map Run with the children's counts, live: one child running
// at a time, then every child succeeded.
func TestConsoleInBrowserMapRun(t *testing.T) {
	srv := startServer(t)
	ctx := browser(t)
	sh := &shooter{t: t, ctx: ctx, dir: artifacts(t)}
	act := srv.call("CreateActivity", map[string]any{"name": "child-work"})
	activityArn := act["activityArn"].(string)
	def := fmt.Sprintf(`{"StartAt":"Fan","States":{"Fan":{"Type":"Map","Label":"Fan","MaxConcurrency":1,"End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
			"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":%q,"End":true}}}}}}`, activityArn)
	sm := srv.call("CreateStateMachine", map[string]any{"name": "fan", "definition": def, "roleArn": role})
	x := srv.call("StartExecution", map[string]any{"stateMachineArn": sm["stateMachineArn"], "input": `[1, 2, 3]`})
	execArn := x["executionArn"].(string)

	sh.signIn(srv.endpoint)
	sh.step("open the execution",
		chromedp.Navigate(srv.endpoint+"/console/#/executions/"+urlEscape(execArn)),
		chromedp.WaitVisible(chromedp.CSS(`#graph g.node[data-state="Fan"]`)),
	)
	sh.wait("the Map Run, one child running", `(() => {
		const r = document.querySelector('#map-runs:not([hidden]) tr.map-run');
		return !!r && r.dataset.status === 'RUNNING' && r.dataset.running === '1' && r.dataset.total === '3';
	})()`)
	sh.shot("map-run-running")
	for range 3 {
		tok, _ := srv.task(activityArn)
		srv.call("SendTaskSuccess", map[string]any{"taskToken": tok, "output": `"done"`})
	}
	sh.wait("the Map Run succeeded", `(() => {
		const r = document.querySelector('#map-runs tr.map-run');
		return !!r && r.dataset.status === 'SUCCEEDED' && r.dataset.succeeded === '3';
	})()`)
	sh.shot("map-run-succeeded")
}
