package console

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// passDef is a machine that answers at once with result.
func passDef(result string) string {
	return fmt.Sprintf(`{"StartAt":"Answer","States":{"Answer":{"Type":"Pass","Result":%s,"End":true}}}`, result)
}

// The console's own mistakes would be a 400 from /console/api too; the
// test provokes exactly two (a bad name, a bad definition) and checks
// that the page shows each.
func badRequests(endpoint string) func(chromedp.ConsoleMessage) bool {
	return func(m chromedp.ConsoleMessage) bool {
		return m.Source == "network" && m.URL == endpoint+"/console/api" && strings.Contains(m.Text, "status of 400")
	}
}

// A machine's whole life from the console, as the admin signed in on
// loopback: created (after two refusals it shows), its definition edited
// and published twice, an alias moved to the new version, a named
// execution that answers with the edited result, and the machine deleted.
func TestConsoleInBrowserCreateEditDelete(t *testing.T) {
	srv := startServer(t)
	ctx := browser(t, badRequests(srv.endpoint))
	sh := &shooter{t: t, ctx: ctx, dir: artifacts(t)}
	sh.signIn(srv.endpoint)

	sh.step("open the new machine form",
		chromedp.Click(chromedp.CSS(`#new-machine-link`)),
		chromedp.WaitVisible(chromedp.CSS(`#new-name`)),
	)
	sh.wait("the starter definition is valid", `!!document.querySelector('#problems li.ok')`)
	if got := sh.eval(`document.querySelector('#new-role').value`); got != "arn:aws:iam::"+account+":role/statecraft" {
		t.Errorf("role ARN prefilled %q", got)
	}

	errorBox := `(document.querySelector('#create-error:not([hidden])')?.textContent || '')`
	sh.step("create with a bad name",
		chromedp.SendKeys(chromedp.CSS(`#new-name`), "no spaces allowed"),
		chromedp.Click(chromedp.CSS(`#create`)),
	)
	sh.wait("the name is refused", errorBox+`.startsWith('InvalidName')`)
	sh.shot("bad-name")

	bad := strings.Replace(passDef(`{"v":1}`), `"End":true`, `"Next":"Nowhere"`, 1)
	sh.step("create with a definition that names a missing state",
		chromedp.SetValue(chromedp.CSS(`#new-name`), "edited"),
		chromedp.SetValue(chromedp.CSS(`#definition`), bad),
		chromedp.Click(chromedp.CSS(`#create`)),
	)
	sh.wait("the definition is refused, with where", errorBox+`.startsWith('InvalidDefinition') && `+errorBox+`.includes('/States/Answer/Next')`)
	sh.step("validate it", chromedp.Click(chromedp.CSS(`#validate`)))
	sh.wait("the problem is tied to its state", `!!document.querySelector('#problems li.problem[data-state="Answer"]')`)
	sh.shot("bad-definition")

	sh.step("create",
		chromedp.SetValue(chromedp.CSS(`#definition`), passDef(`{"v":1}`)),
		chromedp.Click(chromedp.CSS(`#create`)),
	)
	sh.wait("the machine's page", `location.hash.startsWith('#/machines/') && document.querySelector('#machine-name')?.textContent === 'edited'`)
	sms := srv.call("ListStateMachines", map[string]any{})["stateMachines"].([]any)
	if len(sms) != 1 {
		t.Fatalf("state machines %v", sms)
	}
	smArn := sms[0].(map[string]any)["stateMachineArn"].(string)

	// save edits the definition through the page, publishing a version.
	save := func(result string, version int) {
		t.Helper()
		sh.step("save "+result,
			chromedp.WaitVisible(chromedp.CSS(`#save-definition`)),
			chromedp.SetValue(chromedp.CSS(`#definition`), passDef(result)),
			chromedp.Evaluate[chromedp.Void](`document.querySelector('#publish').checked = true`),
			chromedp.Click(chromedp.CSS(`#save-definition`)),
		)
		// The textarea holds the edit before the save too: only the page
		// drawn afresh lists the new version.
		sh.wait("saved and shown again", fmt.Sprintf(`!!document.querySelector('#versions tr[data-version="%d"]') && document.querySelector('#definition').value.includes(%s)`,
			version, q(strings.TrimSuffix(strings.TrimPrefix(result, `{`), `}`))))
	}
	save(`{"v": 2}`, 1)
	alias := srv.call("CreateStateMachineAlias", map[string]any{"name": "live",
		"routingConfiguration": []any{map[string]any{"stateMachineVersionArn": smArn + ":1", "weight": 100}}})
	aliasArn := alias["stateMachineAliasArn"].(string)
	save(`{"v": 3}`, 2)
	if d := srv.call("DescribeStateMachine", map[string]any{"stateMachineArn": smArn})["definition"].(string); !strings.Contains(d, `"v": 3`) {
		t.Errorf("definition after the edits: %s", d)
	}
	if vs := srv.call("ListStateMachineVersions", map[string]any{"stateMachineArn": smArn})["stateMachineVersions"].([]any); len(vs) != 2 {
		t.Errorf("versions %v, want 2", vs)
	}

	sh.wait("the alias on version 1", `document.querySelector('#aliases tr[data-alias="live"] .alias-routes')?.textContent === 'version 1 (100%)'`)
	sh.step("move the alias to version 2",
		chromedp.SetValue(chromedp.CSS(`#aliases tr[data-alias="live"] select`), smArn+":2"),
		chromedp.Click(chromedp.CSS(`#aliases tr[data-alias="live"] .alias-move`)),
	)
	sh.wait("the alias on version 2", `document.querySelector('#aliases tr[data-alias="live"] .alias-routes')?.textContent === 'version 2 (100%)'`)
	routes := srv.call("DescribeStateMachineAlias", map[string]any{"stateMachineAliasArn": aliasArn})["routingConfiguration"].([]any)
	if len(routes) != 1 || routes[0].(map[string]any)["stateMachineVersionArn"] != smArn+":2" {
		t.Errorf("alias routes %v", routes)
	}
	sh.shot("edited")

	sh.step("start a named execution",
		chromedp.SetValue(chromedp.CSS(`#exec-name`), "run-1"),
		chromedp.SetValue(chromedp.CSS(`#exec-input`), `{"ignored": true}`),
		chromedp.Click(chromedp.CSS(`#start`)),
	)
	sh.wait("succeeded", `document.querySelector('#exec-status')?.dataset.status === 'SUCCEEDED'`)
	if !strings.HasSuffix(sh.eval(`location.hash`), urlEscape(":run-1")) {
		t.Errorf("execution page %s", sh.eval(`location.hash`))
	}
	sh.wait("the edited output", `JSON.stringify(JSON.parse(document.querySelector('#exec-output')?.textContent || 'null')) === '{"v":3}'`)
	sh.shot("execution")

	sh.step("open the machine and ask to delete it",
		chromedp.Navigate(srv.endpoint+"/console/#/machines/"+urlEscape(smArn)),
		chromedp.WaitVisible(chromedp.CSS(`#delete-machine`)),
		chromedp.Click(chromedp.CSS(`#delete-machine`)),
		chromedp.WaitVisible(chromedp.CSS(`#delete-box`)),
	)
	if _, err := srv.try("DescribeStateMachine", map[string]any{"stateMachineArn": smArn}); err != nil {
		t.Fatalf("asking to delete deleted: %v", err)
	}
	sh.step("confirm", chromedp.Click(chromedp.CSS(`#delete-confirm`)))
	sh.wait("back on the list, without it", `location.hash === '#/' && !!document.querySelector('#machines tbody td.muted')`)
	if _, err := srv.try("DescribeStateMachine", map[string]any{"stateMachineArn": smArn}); err == nil || !strings.Contains(err.Error(), "StateMachineDoesNotExist") {
		t.Errorf("after delete: %v", err)
	}
	sh.shot("deleted")
}
