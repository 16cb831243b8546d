package asl

import (
	"testing"
)

func TestValidateState(t *testing.T) {
	cases := []struct {
		name string
		def  string
		want []want
	}{
		// A state alone names states that are not there, and ends nothing.
		{"pass to a missing state", `{"Type":"Pass","Next":"Elsewhere"}`, nil},
		{"choice to missing states", `{"Type":"Choice","Choices":[{"Variable":"$.a","IsPresent":true,"Next":"X"}],"Default":"Y"}`, nil},
		{"catch to a missing state", `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Z"}],"End":true}`, nil},
		{"jsonata task", `{"Type":"Task","QueryLanguage":"JSONata","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"x":"{% $states.input.x %}"},"End":true}`, nil},
		{"fail", `{"Type":"Fail","Error":"E","Cause":"C"}`, nil},

		{"empty", ` `, []want{{"", CodeMissingDescription, "empty"}}},
		{"not JSON", `{"Type":`, []want{{"", CodeInvalidJSON, "not valid JSON"}}},
		{"null", `null`, []want{{"", CodeMissingDescription, "null"}}},
		{"a machine", `[1]`, []want{schemaAt("", "must be a JSON object with the state's 'Type' and fields, got an array")}},
		{"no type", `{"Next":"A"}`, []want{schemaAt("", "Missing required field 'Type'")}},
		{"unknown type", `{"Type":"Sleep","End":true}`, []want{schemaAt("/Type", "must be one of")}},
		{"every problem with its pointer", `{"Type":"Task","InputPath":1,"TimeoutSeconds":0,"End":true}`, []want{
			schemaAt("", "Missing required field 'Resource'"),
			schemaAt("/InputPath", "must be"),
			schemaAt("/TimeoutSeconds", ""),
		}},
		{"neither Next nor End", `{"Type":"Pass"}`, []want{schemaAt("", "Missing required field 'Next'")}},
		{"jsonpath field in a jsonata state", `{"Type":"Pass","QueryLanguage":"JSONata","InputPath":"$","End":true}`, []want{
			schemaAt("/InputPath", "not supported when QueryLanguage is JSONata"),
		}},
		// A nested scope is a whole machine: its own transitions are checked.
		{"parallel branch to a missing state", `{"Type":"Parallel","End":true,"Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","Next":"Gone"}}}]}`, []want{
			{"/Branches/0/States/B/Next", CodeMissingTarget, "Missing 'Next' target: Gone"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ValidateState([]byte(c.def), ValidateOptions{})
			if !matchProblems(got, c.want) {
				t.Errorf("got:\n%s\nwant:\n%s", formatProblems(got), formatWants(c.want))
			}
		})
	}
}

func TestParseState(t *testing.T) {
	sm, err := ParseState([]byte(`{"Type":"Choice","QueryLanguage":"JSONata","Choices":[{"Condition":"{% $states.input.n > 1 %}","Next":"Big"}],"Default":"Small"}`), "StateName")
	if err != nil {
		t.Fatal(err)
	}
	st := sm.Start
	if st == nil || sm.StartAt != "StateName" || sm.States["StateName"] != st || st.Name != "StateName" || st.Type != TypeChoice {
		t.Fatalf("scope %+v, state %+v", sm, st)
	}
	if st.JSONata == nil || st.Choices[0].ConditionQuery == nil || st.Default != "Small" || st.DefaultState != nil || st.Choices[0].NextState != nil {
		t.Errorf("state %+v", st)
	}
	if _, err := ParseState([]byte(`{"Type":"Pass","InputPath":"no path","End":true}`), "S"); err == nil {
		t.Error("a bad InputPath parsed")
	}
}

func TestFind(t *testing.T) {
	doc := `{"StartAt":"P","States":{
		"P":{"Type":"Parallel","Next":"M","Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}]},
		"M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"Item","States":{"Item":{"Type":"Succeed"}}}}}}`
	sm, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"P", "M", "B", "Item"} {
		if s := sm.Find(name); s == nil || s.Name != name {
			t.Errorf("Find(%q) = %+v", name, s)
		}
	}
	if s := sm.Find("nowhere"); s != nil {
		t.Errorf("Find(nowhere) = %+v", s)
	}
}
