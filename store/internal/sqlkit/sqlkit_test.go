package sqlkit

import (
	"errors"
	"testing"
	"testing/fstest"

	"github.com/statecraft/statecraft/store"
)

func TestKeyTokens(t *testing.T) {
	const arn = "arn:aws:states:us-east-1:123456789012:stateMachine:m"
	key, got, err := DecodeKey(EncodeKey(-42, arn))
	if err != nil || key != -42 || got != arn {
		t.Fatalf("round trip: %d %q %v", key, got, err)
	}
	for _, bad := range []string{"", "!!", EncodeVersion(3), "MS5hYmM", "Mi4xLng", EncodeKey(1, "a\x00b"), EncodeKey(1, "a\xffb")} {
		if _, _, err := DecodeKey(bad); !errors.Is(err, store.ErrInvalidToken) {
			t.Errorf("DecodeKey(%q) = %v", bad, err)
		}
	}
	n, err := DecodeVersion(EncodeVersion(7))
	if err != nil || n != 7 {
		t.Fatalf("version round trip: %d %v", n, err)
	}
	for _, bad := range []string{"", EncodeVersion(0), EncodeKey(1, "x")} {
		if _, err := DecodeVersion(bad); !errors.Is(err, store.ErrInvalidToken) {
			t.Errorf("DecodeVersion(%q) = %v", bad, err)
		}
	}
}

type fakeRows struct {
	left int
	err  error
}

func (r *fakeRows) Next() bool { r.left--; return r.left >= 0 }
func (r *fakeRows) Err() error { return r.err }

func TestPage(t *testing.T) {
	scan := func(r *fakeRows) (int, error) { return r.left, nil }
	for _, c := range []struct {
		rows, limit, want int
		more              bool
	}{{0, 3, 0, false}, {3, 3, 3, false}, {4, 3, 3, true}, {10, 3, 3, true}} {
		out, more, err := Page(&fakeRows{left: c.rows}, c.limit, scan)
		if err != nil || len(out) != c.want || more != c.more {
			t.Errorf("%d rows, limit %d: %v %v %v", c.rows, c.limit, out, more, err)
		}
	}
	if _, _, err := Page(&fakeRows{left: 2, err: errors.New("gone")}, 5, scan); err == nil {
		t.Error("the rows' error was lost")
	}
}

func TestMigrations(t *testing.T) {
	ms, err := Migrations(fstest.MapFS{"m/0002_b.sql": {}, "m/0001_a.sql": {}}, "m")
	if err != nil || len(ms) != 2 || ms[0].Name != "0001_a.sql" || ms[1].Version != 2 {
		t.Fatalf("%v %v", ms, err)
	}
	for _, bad := range []fstest.MapFS{{"m/0001_a.sql": {}, "m/0003_c.sql": {}}, {"m/first.sql": {}}} {
		if _, err := Migrations(bad, "m"); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
