package engine

import (
	"errors"
	"testing"

	"github.com/statecraft/statecraft/jsonv"
)

func TestParseInput(t *testing.T) {
	for _, c := range []struct {
		text string
		ok   bool
	}{
		{`{"a":[1,2.5,"x",null,true]}`, true},
		{`"text"`, true},
		{` 7 `, true},
		{`{"a":}`, false}, // the shared parser alone would take it
		{`[1,`, false},
		{``, false},
		{`{"a":1} {"b":2}`, false},
	} {
		in, err := ParseInput(c.text)
		if !c.ok {
			if err == nil || !errors.Is(err, ErrInvalidInput) || err.Error() == "" {
				t.Errorf("%q: err %v, want an ErrInvalidInput that says why", c.text, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.text, err)
			continue
		}
		want, _ := jsonv.ParseString(c.text)
		if in.Text != c.text || !jsonv.Equal(in.Value, want) {
			t.Errorf("%q: got %q %s", c.text, in.Text, jsonv.String(in.Value))
		}
	}
}
