package arn

import "testing"

func TestBuild(t *testing.T) {
	cases := []struct{ got, want string }{
		{StateMachine("us-east-1", "123456789012", "m"), "arn:aws:states:us-east-1:123456789012:stateMachine:m"},
		{StateMachine("cn-north-1", "123456789012", "m"), "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:m"},
		{StateMachine("us-gov-west-1", "123456789012", "m"), "arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:m"},
		{Activity("eu-west-1", "123456789012", "a"), "arn:aws:states:eu-west-1:123456789012:activity:a"},
		{Function("cn-northwest-1", "123456789012", "f"), "arn:aws-cn:lambda:cn-northwest-1:123456789012:function:f"},
		{Connection("us-east-1", "123456789012", "c"), "arn:aws:events:us-east-1:123456789012:connection/c"},
		{Role("us-gov-east-1", "123456789012", "r"), "arn:aws-us-gov:iam::123456789012:role/r"},
		{User("us-east-1", "123456789012", "AKID"), "arn:aws:iam::123456789012:user/AKID"},
		{Version("arn:aws:states:us-east-1:123456789012:stateMachine:m", 3), "arn:aws:states:us-east-1:123456789012:stateMachine:m:3"},
		{Execution("arn:aws:states:us-east-1:123456789012:stateMachine:m", "x"), "arn:aws:states:us-east-1:123456789012:execution:m:x"},
		{ExpressExecution("arn:aws:states:us-east-1:123456789012:stateMachine:m", "x", "id"), "arn:aws:states:us-east-1:123456789012:express:m:x:id"},
		{MapRun("arn:aws:states:us-east-1:123456789012:stateMachine:m", "L", "id"), "arn:aws:states:us-east-1:123456789012:mapRun:m/L:id"},
		{StatesPrefix("us-isob-east-1", "123456789012"), "arn:aws-iso-b:states:us-isob-east-1:123456789012:"},
		{StateMachine("us-iso-east-1", "123456789012", "m"), "arn:aws-iso:states:us-iso-east-1:123456789012:stateMachine:m"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}

func TestParseStates(t *testing.T) {
	cases := []struct {
		in                          string
		typ, name, label, qualifier string
		err                         bool
	}{
		{in: "arn:aws:states:us-east-1:123456789012:stateMachine:m", typ: "stateMachine", name: "m"},
		{in: "arn:aws:states:us-east-1:123456789012:stateMachine:m:7", typ: "stateMachine", name: "m", qualifier: "7"},
		{in: "arn:aws:states:us-east-1:123456789012:stateMachine:m/Map", typ: "stateMachine", name: "m", label: "Map"},
		{in: "arn:aws:states:us-east-1:123456789012:execution:m:x", typ: "execution", name: "m", qualifier: "x"},
		{in: "arn:aws:states:us-east-1:123456789012:express:m:x:id", typ: "express", name: "m", qualifier: "x:id"},
		{in: "arn:aws:states:us-east-1:123456789012:mapRun:m/L:id", typ: "mapRun", name: "m", label: "L", qualifier: "id"},
		{in: "arn:aws-cn:states:cn-north-1:123456789012:activity:a", typ: "activity", name: "a"},
		{in: "arn:aws:lambda:us-east-1:123456789012:function:f", err: true},
		{in: "arn:aws:states:us-east-1:123456789012:stateMachine", err: true},
		{in: "arn:aws:states:us-east-1:123456789012", err: true},
		{in: "not-an-arn", err: true},
		{in: "", err: true},
	}
	for _, c := range cases {
		got, err := ParseStates(c.in)
		if (err != nil) != c.err {
			t.Errorf("%q: error %v", c.in, err)
			continue
		}
		if err == nil && (got.Type != c.typ || got.Name != c.name || got.Label != c.label || got.Qualifier != c.qualifier || got.String() != c.in) {
			t.Errorf("%q: %+v", c.in, got)
		}
	}
}

func TestSplitVersion(t *testing.T) {
	const m = "arn:aws:states:us-east-1:123456789012:stateMachine:m"
	if got, n, ok := SplitVersion(m + ":12"); !ok || got != m || n != 12 {
		t.Errorf("%s %d %v", got, n, ok)
	}
	for _, bad := range []string{m, m + ":0", m + ":-1", m + ":012", m + ":+1", m + ":alias", "x"} {
		if _, _, ok := SplitVersion(bad); ok {
			t.Errorf("%s split", bad)
		}
	}
}

func TestSplitAlias(t *testing.T) {
	const m = "arn:aws:states:us-east-1:123456789012:stateMachine:m"
	for _, name := range []string{"prod", "PROD-1", "v.2", "_", "1a"} {
		if got, n, ok := SplitAlias(Alias(m, name)); !ok || got != m || n != name {
			t.Errorf("SplitAlias(%s) = %s %s %v", Alias(m, name), got, n, ok)
		}
	}
	for _, bad := range []string{m, m + ":12", m + ":", m + ":a:b", "arn:aws:states:us-east-1:123456789012:activity:m:prod",
		"arn:aws:states:us-east-1:123456789012:stateMachine:m/label:prod", "x"} {
		if _, _, ok := SplitAlias(bad); ok {
			t.Errorf("%s split", bad)
		}
	}
}

func TestSameScope(t *testing.T) {
	x := "arn:aws:states:us-east-1:123456789012:execution:m:x"
	for other, want := range map[string]bool{
		"arn:aws:states:us-east-1:123456789012:activity:a":    true,
		"arn:aws:lambda:us-east-1:123456789012:function:f":    true,
		"arn:aws:states:us-east-1:210987654321:activity:a":    false,
		"arn:aws:states:eu-west-1:123456789012:activity:a":    false,
		"arn:aws-cn:states:us-east-1:123456789012:activity:a": false,
		"arn:aws:states:::lambda:invoke":                      true,
		"arn:aws:states:::states:startExecution.sync:2":       true,
	} {
		if got := SameScope(other, x); got != want {
			t.Errorf("SameScope(%s) = %v", other, got)
		}
	}
}

func TestValid(t *testing.T) {
	for s, want := range map[string]bool{"us-east-1": true, "cn-north-1": true, "": false, "US-EAST-1": false, "evil:region": false, "1us": false} {
		if ValidRegion(s) != want {
			t.Errorf("ValidRegion(%q)", s)
		}
	}
	for s, want := range map[string]bool{"123456789012": true, "12345678901": false, "1234567890123": false, "12345678901a": false} {
		if ValidAccount(s) != want {
			t.Errorf("ValidAccount(%q)", s)
		}
	}
}
