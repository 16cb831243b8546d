package jsonata

import (
	"encoding/base64"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/statecraft/statecraft/jsonv"
)

var builtinEnv = newEnv(nil)

func def(name, sig string, fn builtinFn) {
	s, err := parseSignature(sig)
	if err != nil {
		panic("jsonata: bad builtin signature " + sig)
	}
	builtinEnv.set(name, &builtin{name: name, sig: s, fn: fn})
}

func arg(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return undefined
}

func numArg(args []any, i int) (float64, bool) {
	return toNumber(arg(args, i))
}

func strArg(args []any, i int) (string, bool) {
	s, ok := arg(args, i).(string)
	return s, ok
}

func numbers(v any) []float64 {
	items, _ := asArray(v)
	out := make([]float64, 0, len(items))
	for _, it := range items {
		if f, ok := toNumber(it); ok {
			out = append(out, f)
		}
	}
	return out
}

var numberRe = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$`)
var wsRe = regexp.MustCompile(`[ \t\n\r]+`)

func castNumber(v any, pos int) (any, error) {
	switch x := v.(type) {
	case undefinedType:
		return undefined, nil
	case bool:
		if x {
			return 1.0, nil
		}
		return 0.0, nil
	case string:
		s := x
		var f float64
		var err error
		switch {
		case numberRe.MatchString(s):
			f, err = strconv.ParseFloat(s, 64)
		case len(s) > 2 && (strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X")):
			var u uint64
			u, err = strconv.ParseUint(s[2:], 16, 64)
			f = float64(u)
		case len(s) > 2 && (strings.HasPrefix(s, "0b") || strings.HasPrefix(s, "0B")):
			var u uint64
			u, err = strconv.ParseUint(s[2:], 2, 64)
			f = float64(u)
		case len(s) > 2 && (strings.HasPrefix(s, "0o") || strings.HasPrefix(s, "0O")):
			var u uint64
			u, err = strconv.ParseUint(s[2:], 8, 64)
			f = float64(u)
		default:
			err = strconv.ErrSyntax
		}
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, &Error{Code: "D3030", Position: pos, Value: v, Message: messages["D3030"]}
		}
		return f, nil
	}
	if f, ok := toNumber(v); ok {
		return f, nil
	}
	return nil, &Error{Code: "D3030", Position: pos, Value: v, Message: messages["D3030"]}
}

// jsSlice is JavaScript's Array.prototype.slice index handling.
func jsSlice(n int, start, end float64) (int, int) {
	clamp := func(f float64) int {
		if math.IsNaN(f) {
			return 0
		}
		f = math.Trunc(f)
		if f < 0 {
			f += float64(n)
			if f < 0 {
				f = 0
			}
		}
		if f > float64(n) {
			f = float64(n)
		}
		return int(f)
	}
	s, e := clamp(start), clamp(end)
	if e < s {
		e = s
	}
	return s, e
}

func roundHalfEven(f float64, prec int) float64 {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return f
	}
	// shift the decimal point in the decimal string, as jsonata-js does,
	// to avoid binary representation errors
	shift := func(v float64, by int) float64 {
		s := formatNumber(v)
		mant, exp := s, 0
		if i := strings.IndexByte(s, 'e'); i >= 0 {
			mant = s[:i]
			exp, _ = strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		}
		r, err := strconv.ParseFloat(mant+"e"+strconv.Itoa(exp+by), 64)
		if err != nil && !math.IsInf(r, 0) {
			return v
		}
		return r
	}
	if prec != 0 {
		f = shift(f, prec)
	}
	r := math.Floor(f + 0.5)
	if math.Abs(r-f) == 0.5 && math.Abs(math.Mod(r, 2)) == 1 {
		r--
	}
	if prec != 0 {
		r = shift(r, -prec)
	}
	if r == 0 {
		r = 0
	}
	return r
}

func init() {
	def("sum", "<a<n>:n>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		if isUndef(arg(a, 0)) {
			return undefined, nil
		}
		t := 0.0
		items, _ := asArray(a[0])
		for _, it := range items {
			if f, ok := toNumber(it); ok {
				t += f
			}
		}
		return boxNum(t), nil
	})
	def("count", "<a:n>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		if isUndef(arg(a, 0)) {
			return 0.0, nil
		}
		items, _ := asArray(a[0])
		return boxNum(float64(len(items))), nil
	})
	minmax := func(max bool) builtinFn {
		return func(ev *evaluator, a []any, in any, pos int) (any, error) {
			ns := numbers(arg(a, 0))
			if len(ns) == 0 {
				return undefined, nil
			}
			r := ns[0]
			for _, f := range ns[1:] {
				if (max && f > r) || (!max && f < r) {
					r = f
				}
			}
			return r, nil
		}
	}
	def("max", "<a<n>:n>", minmax(true))
	def("min", "<a<n>:n>", minmax(false))
	def("average", "<a<n>:n>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		ns := numbers(arg(a, 0))
		if len(ns) == 0 {
			return undefined, nil
		}
		t := 0.0
		for _, f := range ns {
			t += f
		}
		return t / float64(len(ns)), nil
	})
	def("string", "<x-b?:s>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		v := arg(a, 0)
		if isUndef(v) {
			return undefined, nil
		}
		pretty, _ := arg(a, 1).(bool)
		if w, ok := v.(*array); ok && w.outerWrapper && len(w.items) > 0 {
			v = w.items[0]
		}
		s, err := ev.stringifyOrdered(v, pretty)
		if e, ok := err.(*Error); ok {
			e.Position = pos
		}
		if err != nil {
			return nil, err
		}
		return s, nil
	})
	def("number", "<(nsb)-:n>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		return castNumber(arg(a, 0), pos)
	})
	def("boolean", "<x-:b>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		v := arg(a, 0)
		if isUndef(v) {
			return undefined, nil
		}
		return ev.truthy(v), nil
	})
	def("not", "<x-:b>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		v := arg(a, 0)
		if isUndef(v) {
			return undefined, nil
		}
		return !ev.truthy(v), nil
	})
	def("exists", "<x:b>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		return !isUndef(arg(a, 0)), nil
	})
	def("length", "<s-:n>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		s, ok := strArg(a, 0)
		if !ok {
			return undefined, nil
		}
		return float64(utf8.RuneCountInString(s)), nil
	})
	def("substring", "<s-nn?:s>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		s, ok := strArg(a, 0)
		if !ok {
			return undefined, nil
		}
		rs := []rune(s)
		start, _ := numArg(a, 1)
		n := float64(len(rs))
		if n+start < 0 {
			start = 0
		}
		if l, ok := numArg(a, 2); ok {
			if l <= 0 {
				return "", nil
			}
			end := start + l
			if start < 0 {
				end = n + start + l
			}
			i, j := jsSlice(len(rs), start, end)
			return string(rs[i:j]), nil
		}
		i, j := jsSlice(len(rs), start, n)
		return string(rs[i:j]), nil
	})
	def("substringBefore", "<s-s:s>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		s, ok := strArg(a, 0)
		if !ok {
			return undefined, nil
		}
		c, _ := strArg(a, 1)
		if i := strings.Index(s, c); i >= 0 {
			return s[:i], nil
		}
		return s, nil
	})
	def("substringAfter", "<s-s:s>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		s, ok := strArg(a, 0)
		if !ok {
			return undefined, nil
		}
		c, _ := strArg(a, 1)
		if i := strings.Index(s, c); i >= 0 {
			return s[i+len(c):], nil
		}
		return s, nil
	})
	strFn := func(f func(string) string) builtinFn {
		return func(ev *evaluator, a []any, in any, pos int) (any, error) {
			s, ok := strArg(a, 0)
			if !ok {
				return undefined, nil
			}
			return f(s), nil
		}
	}
	def("uppercase", "<s-:s>", strFn(func(s string) string {
		// JavaScript's toUpperCase applies the special casing of ß
		return strings.ReplaceAll(strings.ToUpper(s), "ß", "SS")
	}))
	def("lowercase", "<s-:s>", strFn(strings.ToLower))
	def("trim", "<s-:s>", strFn(func(s string) string {
		return strings.Trim(wsRe.ReplaceAllString(s, " "), " ")
	}))
	def("base64encode", "<s-:s>", strFn(func(s string) string {
		return base64.StdEncoding.EncodeToString([]byte(s))
	}))
	def("base64decode", "<s-:s>", strFn(func(s string) string {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return ""
		}
		return string(b)
	}))
	def("pad", "<s-ns?:s>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		s, ok := strArg(a, 0)
		if !ok {
			return undefined, nil
		}
		w, _ := numArg(a, 1)
		c, ok := strArg(a, 2)
		if !ok || c == "" {
			c = " "
		}
		n := int(math.Min(math.Abs(math.Trunc(w)), 1e6)) - utf8.RuneCountInString(s)
		if n <= 0 {
			return s, nil
		}
		if err := ev.charge(n/16, pos); err != nil {
			return nil, err
		}
		cr := utf8.RuneCountInString(c)
		padding := []rune(strings.Repeat(c, (n+cr-1)/cr))[:n]
		if w > 0 {
			return s + string(padding), nil
		}
		return string(padding) + s, nil
	})
	def("contains", "<s-(sf):b>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		s, ok := strArg(a, 0)
		if !ok {
			return undefined, nil
		}
		switch t := arg(a, 1).(type) {
		case string:
			return strings.Contains(s, t), nil
		case *regexFn:
			return t.re.MatchString(s), nil
		}
		return undefined, nil
	})
	def("split", "<s-(sf)n?:a<s>>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		s, ok := strArg(a, 0)
		if !ok {
			return undefined, nil
		}
		limit, err := limitArg(a, 2, "D3020", pos)
		if err != nil {
			return nil, err
		}
		var parts []string
		switch t := arg(a, 1).(type) {
		case string:
			if t == "" {
				for _, r := range s {
					parts = append(parts, string(r))
				}
			} else {
				parts = strings.Split(s, t)
			}
		case *regexFn:
			parts = t.re.Split(s, -1)
		default:
			if isFunction(t) {
				m, err := ev.evalMatcher(t, []any{s}, pos)
				start := 0
				u := toUTF16(s)
				for err == nil && m != nil && (limit < 0 || len(parts) < limit) {
					ms, _ := toNumber(m.Value("start"))
					me, _ := toNumber(m.Value("end"))
					a, b := clampIndex(start, len(u)), clampIndex(int(ms), len(u))
					if b < a {
						b = a
					}
					parts = append(parts, fromUTF16(u[a:b]))
					start = int(me)
					next, ok := m.Get("next")
					if !ok {
						break
					}
					m, err = ev.evalMatcher(next, nil, pos)
				}
				if err != nil {
					return nil, err
				}
				if limit < 0 || len(parts) < limit {
					parts = append(parts, fromUTF16(u[clampIndex(start, len(u)):]))
				}
			}
		}
		out := []any{}
		for _, p := range parts {
			if limit >= 0 && len(out) >= limit {
				break
			}
			out = append(out, p)
		}
		return out, nil
	})
	def("join", "<a<s>s?:s>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		items, ok := asArray(arg(a, 0))
		if !ok {
			return undefined, nil
		}
		sep, _ := strArg(a, 1)
		ss := make([]string, 0, len(items))
		total := len(sep) * len(items)
		for _, it := range items {
			s, _ := it.(string)
			ss = append(ss, s)
			total += len(s)
		}
		if err := ev.charge(total/16, pos); err != nil {
			return nil, err
		}
		return strings.Join(ss, sep), nil
	})
	def("replace", "<s-(sf)(sf)n?:s>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		s, ok := strArg(a, 0)
		if !ok {
			return undefined, nil
		}
		limit, err := limitArg(a, 3, "D3011", pos)
		if err != nil {
			return nil, err
		}
		switch pat := arg(a, 1).(type) {
		case string:
			if pat == "" {
				return nil, &Error{Code: "D3010", Position: pos, Value: pat, Message: messages["D3010"]}
			}
			rep, ok := arg(a, 2).(string)
			if !ok {
				return nil, &Error{Code: "D3012", Position: pos, Message: messages["D3012"]}
			}
			if err := ev.charge(strings.Count(s, pat)*len(rep)/16, pos); err != nil {
				return nil, err
			}
			return strings.Replace(s, pat, rep, limit), nil
		case *regexFn:
			var b strings.Builder
			last := 0
			count := 0
			for _, m := range pat.re.FindAllStringSubmatchIndex(s, -1) {
				if limit >= 0 && count >= limit {
					break
				}
				if m[1] == m[0] {
					return nil, &Error{Code: "D1004", Position: pos, Message: messages["D1004"]}
				}
				b.WriteString(s[last:m[0]])
				switch rep := arg(a, 2).(type) {
				case string:
					if err := ev.charge(len(rep)/16, pos); err != nil {
						return nil, err
					}
					b.WriteString(expandReplacement(rep, s, m))
				default:
					if !isFunction(rep) {
						return nil, &Error{Code: "D3012", Position: pos, Message: messages["D3012"]}
					}
					r, err := ev.callHOF(rep, pos, ev.regexMatchObject(pat.re, s, m[0]))
					if err != nil {
						return nil, err
					}
					rs, ok := r.(string)
					if !ok {
						return nil, &Error{Code: "D3012", Position: pos, Value: r, Message: messages["D3012"]}
					}
					b.WriteString(rs)
				}
				last = m[1]
				count++
			}
			b.WriteString(s[last:])
			return b.String(), nil
		}
		return undefined, nil
	})
	def("match", "<s-f<s:o>n?:a<o>>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		s, ok := strArg(a, 0)
		if !ok {
			return undefined, nil
		}
		limit, err := limitArg(a, 2, "D3040", pos)
		if err != nil {
			return nil, err
		}
		rf, ok := arg(a, 1).(*regexFn)
		if !ok {
			if !isFunction(arg(a, 1)) {
				return nil, &Error{Code: "T0410", Position: pos, Message: messages["T0410"]}
			}
			out := []any{}
			if limit == 0 {
				return newSeq(), nil
			}
			m, err := ev.evalMatcher(a[1], []any{s}, pos)
			for err == nil && m != nil && (limit < 0 || len(out) < limit) {
				o := ev.newObject(3)
				o.set("match", m.Value("match"))
				o.set("index", m.Value("start"))
				o.set("groups", m.Value("groups"))
				out = append(out, o.value())
				next, ok := m.Get("next")
				if !ok {
					break
				}
				m, err = ev.evalMatcher(next, nil, pos)
			}
			if err != nil {
				return nil, err
			}
			return newSeq(out...), nil
		}
		out := []any{}
		for _, m := range rf.re.FindAllStringSubmatchIndex(s, limit) {
			groups := []any{}
			for i := 2; i+1 < len(m); i += 2 {
				if m[i] < 0 {
					groups = append(groups, "")
				} else {
					groups = append(groups, s[m[i]:m[i+1]])
				}
			}
			o := ev.newObject(3)
			o.set("match", s[m[0]:m[1]])
			o.set("index", float64(strLen(s[:m[0]])))
			o.set("groups", groups)
			out = append(out, o.value())
		}
		return newSeq(out...), nil
	})
	def("keys", "<x-:a<s>>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		v := arg(a, 0)
		seen := map[string]bool{}
		var keys []any
		add := func(m *jsonv.Object) {
			for _, k := range ev.keysOf(m) {
				if !seen[k] {
					seen[k] = true
					keys = append(keys, k)
				}
			}
		}
		if items, ok := asArray(v); ok {
			for _, it := range items {
				if m, ok := it.(*jsonv.Object); ok {
					add(m)
				}
			}
		} else if m, ok := v.(*jsonv.Object); ok {
			add(m)
		}
		if len(keys) == 0 {
			return undefined, nil
		}
		return newSeq(keys...), nil
	})
	def("lookup", "<x-s:x>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		k, _ := strArg(a, 1)
		return ev.lookupField(arg(a, 0), k), nil
	})
	def("append", "<xx:a>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		return appendValues(arg(a, 0), arg(a, 1)), nil
	})
	def("reverse", "<a:a>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		items, ok := asArray(arg(a, 0))
		if !ok {
			return undefined, nil
		}
		out := make([]any, len(items))
		for i, it := range items {
			out[len(items)-1-i] = it
		}
		return out, nil
	})
	def("sort", "<af?:a>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		items, ok := asArray(arg(a, 0))
		if !ok {
			return undefined, nil
		}
		out := append([]any(nil), items...)
		var sortErr error
		fn := arg(a, 1)
		if isUndef(fn) {
			if !allNumbers(out) {
				for _, it := range out {
					if _, ok := it.(string); !ok {
						return nil, &Error{Code: "D3070", Position: pos, Message: messages["D3070"]}
					}
				}
			}
			sort.SliceStable(out, func(i, j int) bool {
				c, _ := compareSortValues(out[i], out[j], pos)
				return c < 0
			})
			return out, nil
		}
		// comparator returns true when a should come after b
		sort.SliceStable(out, func(i, j int) bool {
			if sortErr != nil {
				return false
			}
			r, err := ev.callHOF(fn, pos, out[j], out[i])
			if err != nil {
				sortErr = err
				return false
			}
			return ev.truthy(r)
		})
		if sortErr != nil {
			return nil, sortErr
		}
		return out, nil
	})
	def("map", "<af>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		v := arg(a, 0)
		if isUndef(v) {
			return undefined, nil
		}
		items, _ := asArray(v)
		out := make([]any, 0, len(items))
		err := ev.eachIndexed(a[1], pos, items, v, nil, &out)
		if err != nil {
			return nil, err
		}
		return newSeq(out...), nil
	})
	def("filter", "<af>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		v := arg(a, 0)
		if isUndef(v) {
			return undefined, nil
		}
		items, _ := asArray(v)
		out := []any{}
		err := ev.eachIndexed(a[1], pos, items, v, func(i int, r any) {
			if ev.truthy(r) {
				out = append(out, items[i])
			}
		}, nil)
		if err != nil {
			return nil, err
		}
		return newSeq(out...), nil
	})
	def("single", "<af?>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		v := arg(a, 0)
		if isUndef(v) {
			return undefined, nil
		}
		items, _ := asArray(v)
		var found any = undefined
		n := 0
		for i, it := range items {
			ok := true
			if fn := arg(a, 1); !isUndef(fn) {
				r, err := ev.callIndexed(fn, pos, it, i, v)
				if err != nil {
					return nil, err
				}
				ok = ev.truthy(r)
			}
			if ok {
				n++
				if n > 1 {
					return nil, &Error{Code: "D3138", Position: pos, Message: messages["D3138"]}
				}
				found = it
			}
		}
		if n == 0 {
			return nil, &Error{Code: "D3139", Position: pos, Message: messages["D3139"]}
		}
		return found, nil
	})
	def("reduce", "<afj?:j>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		v := arg(a, 0)
		if isUndef(v) {
			return undefined, nil
		}
		items, _ := asArray(v)
		if f, ok := a[1].(function); ok && f.arity() < 2 {
			if _, isB := a[1].(*builtin); !isB {
				return nil, &Error{Code: "D3050", Position: pos, Message: messages["D3050"]}
			}
		}
		acc := arg(a, 2)
		start := 0
		if isUndef(acc) && len(items) > 0 {
			acc = items[0]
			start = 1
		}
		for i := start; i < len(items); i++ {
			r, err := ev.callHOF(a[1], pos, acc, items[i], float64(i), v)
			if err != nil {
				return nil, err
			}
			acc = r
		}
		return acc, nil
	})
	def("merge", "<a<o>:o>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		items, ok := asArray(arg(a, 0))
		if !ok {
			return undefined, nil
		}
		out := ev.newObject(0)
		for _, it := range items {
			if m, ok := it.(*jsonv.Object); ok {
				for k, v := range m.All() {
					out.set(k, v)
				}
			}
		}
		return out.value(), nil
	})
	def("each", "<o-f:a>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		m, ok := arg(a, 0).(*jsonv.Object)
		if !ok {
			return undefined, nil
		}
		out := []any{}
		for _, k := range ev.keysOf(m) {
			r, err := ev.callHOF(a[1], pos, m.Value(k), k, m)
			if err != nil {
				return nil, err
			}
			if !isUndef(r) {
				out = append(out, r)
			}
		}
		return newSeq(out...), nil
	})
	def("sift", "<o-f?:o>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		m, ok := arg(a, 0).(*jsonv.Object)
		if !ok {
			return undefined, nil
		}
		out := ev.newObject(0)
		for _, k := range ev.keysOf(m) {
			r, err := ev.callHOF(a[1], pos, m.Value(k), k, m)
			if err != nil {
				return nil, err
			}
			if ev.truthy(r) {
				out.set(k, m.Value(k))
			}
		}
		if out.o.Len() == 0 {
			return undefined, nil
		}
		return out.value(), nil
	})
	def("spread", "<x-:a<o>>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		v := arg(a, 0)
		var out []any
		var rec func(v any)
		rec = func(v any) {
			ev.tick()
			if items, ok := asArray(v); ok {
				for _, it := range items {
					rec(it)
				}
				return
			}
			if m, ok := v.(*jsonv.Object); ok {
				for _, k := range ev.keysOf(m) {
					out = append(out, jsonv.ObjectOf(k, m.Value(k)))
				}
				return
			}
			out = append(out, v)
		}
		if isUndef(v) {
			return undefined, nil
		}
		rec(v)
		return newSeq(out...), nil
	})
	def("zip", "<a+>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		out := []any{}
		if len(a) == 0 {
			return out, nil
		}
		n := math.MaxInt
		var lists [][]any
		for _, x := range a {
			items, _ := asArray(x)
			lists = append(lists, items)
			if len(items) < n {
				n = len(items)
			}
		}
		for i := 0; i < n; i++ {
			row := make([]any, len(lists))
			for j, l := range lists {
				row[j] = l[i]
			}
			out = append(out, row)
		}
		return out, nil
	})
	def("distinct", "<x:x>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		v := arg(a, 0)
		items, ok := asArray(v)
		if !ok || len(items) <= 1 {
			return v, nil
		}
		out := []any{}
		seen := map[string]bool{}
		var structured []any
		for _, it := range items {
			if key, ok := scalarKey(it); ok {
				if !seen[key] {
					seen[key] = true
					out = append(out, it)
				}
				continue
			}
			dup := false
			for _, o := range structured {
				if ev.deepEqual(o, it) {
					dup = true
					break
				}
			}
			if !dup {
				structured = append(structured, it)
				out = append(out, it)
			}
		}
		if isSeq(v) {
			return newSeq(out...), nil
		}
		return out, nil
	})
	def("type", "<x:s>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		v := arg(a, 0)
		switch typeSymbol(v) {
		case 'm':
			return undefined, nil
		case 'l':
			return "null", nil
		case 's':
			return "string", nil
		case 'n':
			return "number", nil
		case 'b':
			return "boolean", nil
		case 'a':
			return "array", nil
		case 'o':
			return "object", nil
		}
		return "function", nil
	})
	numFn := func(f func(float64) float64) builtinFn {
		return func(ev *evaluator, a []any, in any, pos int) (any, error) {
			x, ok := numArg(a, 0)
			if !ok {
				return undefined, nil
			}
			return f(x), nil
		}
	}
	def("floor", "<n-:n>", numFn(math.Floor))
	def("ceil", "<n-:n>", numFn(math.Ceil))
	def("abs", "<n-:n>", numFn(math.Abs))
	def("round", "<n-n?:n>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		x, ok := numArg(a, 0)
		if !ok {
			return undefined, nil
		}
		p, _ := numArg(a, 1)
		return roundHalfEven(x, int(math.Max(math.Min(p, 100), -100))), nil
	})
	def("sqrt", "<n-:n>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		x, ok := numArg(a, 0)
		if !ok {
			return undefined, nil
		}
		if x < 0 {
			return nil, &Error{Code: "D3060", Position: pos, Value: x, Message: messages["D3060"]}
		}
		return math.Sqrt(x), nil
	})
	def("power", "<n-n:n>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		x, ok := numArg(a, 0)
		if !ok {
			return undefined, nil
		}
		y, _ := numArg(a, 1)
		r := math.Pow(x, y)
		if math.IsInf(r, 0) || math.IsNaN(r) {
			return nil, &Error{Code: "D3061", Position: pos, Value: x, Message: messages["D3061"]}
		}
		return r, nil
	})
	def("error", "<s?:x>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		msg, ok := strArg(a, 0)
		if !ok {
			msg = "$error() function evaluated"
		}
		return nil, &Error{Code: "D3137", Position: pos, Message: msg}
	})
	def("assert", "<bs?:x>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		if b, _ := arg(a, 0).(bool); !b {
			msg, ok := strArg(a, 1)
			if !ok {
				msg = "$assert() statement failed"
			}
			return nil, &Error{Code: "D3141", Position: pos, Message: msg}
		}
		return undefined, nil
	})
	def("clone", "<(oa)-:o>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		return ev.deepClone(arg(a, 0)), nil
	})
	def("now", "<s?s?:s>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		t, err := ev.timeNow(pos)
		if err != nil {
			return nil, err
		}
		return t.UTC().Format("2006-01-02T15:04:05.000Z"), nil
	})
	def("millis", "<:n>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		t, err := ev.timeNow(pos)
		if err != nil {
			return nil, err
		}
		return float64(t.UnixMilli()), nil
	})
}

func (ev *evaluator) timeNow(pos int) (time.Time, error) {
	if ev.now != nil {
		return *ev.now, nil
	}
	var t time.Time
	switch {
	case ev.clock != nil:
		t = ev.clock()
	case ev.host != nil:
		t = ev.host.Now()
	default:
		return time.Time{}, &Error{Code: "D3200", Position: pos, Message: messages["D3200"]}
	}
	ev.now = &t
	return t, nil
}

// expandReplacement expands $0, $1... in a regex replacement string the
// way jsonata-js does: $$ is a literal $, and a multi-digit group number is
// shortened when it exceeds the number of groups.
func expandReplacement(rep, s string, m []int) string {
	ngroups := len(m)/2 - 1
	group := func(i int) (string, bool) {
		if i < 1 || i > ngroups {
			return "", false
		}
		if m[2*i] < 0 {
			return "", true
		}
		return s[m[2*i]:m[2*i+1]], true
	}
	var b strings.Builder
	pos := 0
	idx := strings.IndexByte(rep, '$')
	for idx >= 0 && pos < len(rep) {
		b.WriteString(rep[pos:idx])
		pos = idx + 1
		var c byte
		if pos < len(rep) {
			c = rep[pos]
		}
		switch {
		case c == '$':
			b.WriteByte('$')
			pos++
		case c == '0':
			b.WriteString(s[m[0]:m[1]])
			pos++
		default:
			maxDigits := 1
			if ngroups > 0 {
				maxDigits = int(math.Floor(math.Log10(float64(ngroups)))) + 1
			}
			end := pos + maxDigits
			if end > len(rep) {
				end = len(rep)
			}
			n, ok := jsParseInt(rep[pos:end])
			if maxDigits > 1 && n > ngroups {
				e2 := pos + maxDigits - 1
				if e2 > len(rep) {
					e2 = len(rep)
				}
				n, ok = jsParseInt(rep[pos:e2])
			}
			if ok {
				if ngroups > 0 {
					if g, ok := group(n); ok {
						b.WriteString(g)
					}
				}
				pos += len(strconv.Itoa(n))
			} else {
				b.WriteByte('$')
			}
		}
		if pos > len(rep) {
			pos = len(rep)
		}
		next := strings.IndexByte(rep[pos:], '$')
		if next < 0 {
			idx = -1
		} else {
			idx = pos + next
		}
	}
	if pos < len(rep) {
		b.WriteString(rep[pos:])
	}
	return b.String()
}

func clampIndex(i, n int) int {
	if i < 0 {
		return 0
	}
	if i > n {
		return n
	}
	return i
}

// evalMatcher calls a custom matcher function (jsonata-js evaluateMatcher):
// its result must look like a regex match object, or be undefined.
func (ev *evaluator) evalMatcher(fn any, args []any, pos int) (*jsonv.Object, error) {
	if !isFunction(fn) {
		return nil, nil
	}
	r, err := ev.apply(fn, args, undefined, pos)
	if err != nil {
		return nil, err
	}
	if !ev.truthy(r) {
		if _, isMap := r.(*jsonv.Object); !isMap {
			return nil, nil
		}
	}
	m, _ := r.(*jsonv.Object)
	if m == nil {
		return nil, &Error{Code: "T1010", Position: pos, Message: "the matcher function argument passed to function does not return the correct object structure"}
	}
	_, startNum := toNumber(m.Value("start"))
	_, groupsArr := asArray(m.Value("groups"))
	if !startNum && !groupsArr && !isFunction(m.Value("next")) {
		return nil, &Error{Code: "T1010", Position: pos, Message: "the matcher function argument passed to function does not return the correct object structure"}
	}
	return m, nil
}

// scalarKey identifies strings, numbers, booleans and null for $distinct
// (numbers compare by value, whatever their Go type).
func scalarKey(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return "s" + x, true
	case bool:
		if x {
			return "t", true
		}
		return "f", true
	case nil:
		return "l", true
	}
	if f, ok := toNumber(v); ok {
		if f == 0 {
			f = 0
		}
		return "n" + strconv.FormatFloat(f, 'g', -1, 64), true
	}
	return "", false
}

// limitArg reads the optional count argument i of $split, $match or
// $replace: -1 when absent, error code when negative.
func limitArg(a []any, i int, code string, pos int) (int, error) {
	l, ok := numArg(a, i)
	if !ok {
		return -1, nil
	}
	if l < 0 {
		return 0, &Error{Code: code, Position: pos, Value: l, Message: messages[code]}
	}
	return int(math.Min(l, 1e9)), nil
}
