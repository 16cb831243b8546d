package jsonata

// $formatNumber (XPath F&O 4.7 format-number) and $formatBase, following
// jsonata-js semantics.

import (
	"math"
	"strconv"
	"strings"

	"github.com/statecraft/statecraft/jsonv"
)

type rstr []rune

func (s rstr) indexOf(sub rstr, from int) int {
	if from < 0 {
		from = 0
	}
	for i := from; i+len(sub) <= len(s); i++ {
		match := true
		for j := range sub {
			if s[i+j] != sub[j] {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}

func (s rstr) lastIndexOf(sub rstr) int {
	for i := len(s) - len(sub); i >= 0; i-- {
		if s[i:i+len(sub)].indexOf(sub, 0) == 0 {
			return i
		}
	}
	return -1
}

// sub is JavaScript's String.prototype.substring: both ends clamped to
// the string, swapped when reversed.
func (s rstr) sub(a, b int) rstr {
	a, b = clampIndex(a, len(s)), clampIndex(b, len(s))
	if a > b {
		a, b = b, a
	}
	return s[a:b]
}

type fnProps struct {
	decimal, grouping, exponent, infinity, minus, nan, percent, permille, zero, digit, pattern rstr
}

type picParts struct {
	prefix, suffix, active, mantissa, integer, fractional, subpicture rstr
	exponent                                                          rstr
	hasExponent                                                       bool
}

type picVars struct {
	intGroups        []int
	regularGrouping  int
	minInt           int
	scaling          int
	prefix, suffix   rstr
	fracGroups       []int
	minFrac, maxFrac int
	minExp           int
	picture          rstr
}

func formatNumberPicture(value float64, picture string, options *jsonv.Object) (string, error) {
	p := fnProps{
		decimal: rstr("."), grouping: rstr(","), exponent: rstr("e"), infinity: rstr("Infinity"),
		minus: rstr("-"), nan: rstr("NaN"), percent: rstr("%"), permille: rstr("\u2030"),
		zero: rstr("0"), digit: rstr("#"), pattern: rstr(";"),
	}
	for k, v := range options.All() {
		s, ok := v.(string)
		if !ok {
			continue
		}
		r := rstr(s)
		switch k {
		case "decimal-separator":
			p.decimal = r
		case "grouping-separator":
			p.grouping = r
		case "exponent-separator":
			p.exponent = r
		case "infinity":
			p.infinity = r
		case "minus-sign":
			p.minus = r
		case "NaN":
			p.nan = r
		case "percent":
			p.percent = r
		case "per-mille":
			p.permille = r
		case "zero-digit":
			p.zero = r
		case "digit":
			p.digit = r
		case "pattern-separator":
			p.pattern = r
		}
	}
	first := func(r rstr) rune {
		if len(r) == 0 {
			return -1
		}
		return r[0]
	}
	zeroCode := first(p.zero)
	isDigit := func(c rune) bool { return zeroCode >= 0 && c >= zeroCode && c < zeroCode+10 }
	active := []rune{}
	for i := rune(0); i < 10 && zeroCode >= 0; i++ {
		active = append(active, zeroCode+i)
	}
	active = append(active, first(p.decimal), first(p.exponent), first(p.grouping), first(p.digit), first(p.pattern))
	isActive := func(c rune) bool {
		for _, a := range active {
			if a == c {
				return true
			}
		}
		return false
	}
	expCh := first(p.exponent)

	pic := rstr(picture)
	var subs []rstr
	if len(p.pattern) == 0 {
		subs = []rstr{pic}
	} else {
		rest := pic
		for {
			i := rest.indexOf(p.pattern, 0)
			if i < 0 {
				subs = append(subs, rest)
				break
			}
			subs = append(subs, rest[:i])
			rest = rest[i+len(p.pattern):]
		}
	}
	if len(subs) > 2 {
		return "", codeErr("D3080", 0, "")
	}
	split := func(sp rstr) picParts {
		var pp picParts
		pp.subpicture = sp
		for i, c := range sp {
			if isActive(c) && c != expCh {
				pp.prefix = sp[:i]
				break
			}
		}
		for i := len(sp) - 1; i >= 0; i-- {
			if isActive(sp[i]) && sp[i] != expCh {
				pp.suffix = sp[i+1:]
				break
			}
		}
		pp.active = sp.sub(len(pp.prefix), len(sp)-len(pp.suffix))
		expPos := sp.indexOf(p.exponent, len(pp.prefix))
		if expPos == -1 || expPos > len(sp)-len(pp.suffix) {
			pp.mantissa = pp.active
		} else {
			pp.mantissa = pp.active.sub(0, expPos)
			pp.exponent = pp.active.sub(expPos+1, len(pp.active))
			pp.hasExponent = true
		}
		dp := pp.mantissa.indexOf(p.decimal, 0)
		if dp == -1 {
			pp.integer = pp.mantissa
			pp.fractional = pp.suffix
		} else {
			pp.integer = pp.mantissa[:dp]
			pp.fractional = pp.mantissa.sub(dp+1, len(pp.mantissa))
		}
		return pp
	}
	countIf := func(r rstr, f func(rune) bool) int {
		n := 0
		for _, c := range r {
			if f(c) {
				n++
			}
		}
		return n
	}
	digitOrOpt := func(c rune) bool { return isDigit(c) || c == first(p.digit) }
	validate := func(pp picParts) error {
		code := ""
		sp := pp.subpicture
		decPos := sp.indexOf(p.decimal, 0)
		if decPos != sp.lastIndexOf(p.decimal) {
			code = "D3081"
		}
		if sp.indexOf(p.percent, 0) != sp.lastIndexOf(p.percent) {
			code = "D3082"
		}
		if sp.indexOf(p.permille, 0) != sp.lastIndexOf(p.permille) {
			code = "D3083"
		}
		if sp.indexOf(p.percent, 0) != -1 && sp.indexOf(p.permille, 0) != -1 {
			code = "D3084"
		}
		if countIf(pp.mantissa, digitOrOpt) == 0 {
			code = "D3085"
		}
		if countIf(pp.active, func(c rune) bool { return !isActive(c) }) > 0 {
			code = "D3086"
		}
		g := first(p.grouping)
		if decPos != -1 {
			if (decPos > 0 && sp[decPos-1] == g) || (decPos+1 < len(sp) && sp[decPos+1] == g) {
				code = "D3087"
			}
		} else if len(pp.integer) > 0 && pp.integer[len(pp.integer)-1] == g {
			code = "D3088"
		}
		if sp.indexOf(append(append(rstr{}, p.grouping...), p.grouping...), 0) != -1 {
			code = "D3089"
		}
		if op := pp.integer.indexOf(p.digit, 0); op != -1 && countIf(pp.integer[:op], isDigit) > 0 {
			code = "D3090"
		}
		if op := pp.fractional.lastIndexOf(p.digit); op != -1 && countIf(pp.fractional[op:], isDigit) > 0 {
			code = "D3091"
		}
		if pp.hasExponent && len(pp.exponent) > 0 && (sp.indexOf(p.percent, 0) != -1 || sp.indexOf(p.permille, 0) != -1) {
			code = "D3092"
		}
		if pp.hasExponent && (len(pp.exponent) == 0 || countIf(pp.exponent, func(c rune) bool { return !isDigit(c) }) > 0) {
			code = "D3093"
		}
		if code != "" {
			return codeErr(code, 0, "")
		}
		return nil
	}
	analyse := func(pp picParts) picVars {
		groupPositions := func(part rstr, toLeft bool) []int {
			var out []int
			gp := part.indexOf(p.grouping, 0)
			for gp != -1 && len(out) < 1000 {
				var r rstr
				if toLeft {
					r = part[:gp]
				} else {
					r = part[gp:]
				}
				out = append(out, countIf(r, digitOrOpt))
				gp = pp.integer.indexOf(p.grouping, gp+1)
			}
			return out
		}
		var v picVars
		v.intGroups = groupPositions(pp.integer, false)
		if len(v.intGroups) > 0 {
			factor := v.intGroups[0]
			for _, x := range v.intGroups[1:] {
				factor = gcd(factor, x)
			}
			v.regularGrouping = factor
			for i := 1; i <= len(v.intGroups); i++ {
				found := false
				for _, x := range v.intGroups {
					if x == i*factor {
						found = true
					}
				}
				if !found {
					v.regularGrouping = 0
					break
				}
			}
		}
		v.fracGroups = groupPositions(pp.fractional, true)
		v.minInt = countIf(pp.integer, isDigit)
		v.scaling = v.minInt
		v.minFrac = countIf(pp.fractional, isDigit)
		v.maxFrac = countIf(pp.fractional, digitOrOpt)
		if v.minInt == 0 && v.maxFrac == 0 {
			if pp.hasExponent {
				v.minFrac, v.maxFrac = 1, 1
			} else {
				v.minInt = 1
			}
		}
		if pp.hasExponent && v.minInt == 0 && pp.integer.indexOf(p.digit, 0) != -1 {
			v.minInt = 1
		}
		if v.minInt == 0 && v.minFrac == 0 {
			v.minFrac = 1
		}
		if pp.hasExponent {
			v.minExp = countIf(pp.exponent, isDigit)
		}
		v.prefix, v.suffix, v.picture = pp.prefix, pp.suffix, pp.subpicture
		return v
	}
	var vars []picVars
	for _, sp := range subs {
		pp := split(sp)
		if err := validate(pp); err != nil {
			return "", err
		}
		vars = append(vars, analyse(pp))
	}
	if len(vars) == 1 {
		neg := vars[0]
		neg.prefix = append(append(rstr{}, p.minus...), neg.prefix...)
		vars = append(vars, neg)
	}
	pv := vars[0]
	if value < 0 {
		pv = vars[1]
	}
	adjusted := value
	if pv.picture.indexOf(p.percent, 0) != -1 {
		adjusted = value * 100
	} else if pv.picture.indexOf(p.permille, 0) != -1 {
		adjusted = value * 1000
	}
	mantissa := adjusted
	hasExp := false
	exponent := 0
	if pv.minExp != 0 {
		hasExp = true
		maxM := math.Pow(10, float64(pv.scaling))
		minM := math.Pow(10, float64(pv.scaling-1))
		if mantissa != 0 && !math.IsInf(mantissa, 0) && !math.IsNaN(mantissa) {
			for math.Abs(mantissa) < minM {
				mantissa *= 10
				exponent--
			}
			for math.Abs(mantissa) > maxM {
				mantissa /= 10
				exponent++
			}
		}
	}
	rounded := roundHalfEven(mantissa, pv.maxFrac)
	zeroDigit := first(p.zero)
	makeString := func(v float64, dp int) rstr {
		s := rstr(strconv.FormatFloat(math.Abs(v), 'f', dp, 64))
		if zeroDigit != '0' {
			for i, c := range s {
				if c >= '0' && c <= '9' {
					s[i] = zeroDigit + (c - '0')
				}
			}
		}
		return s
	}
	sv := makeString(rounded, pv.maxFrac)
	if dp := sv.indexOf(rstr("."), 0); dp == -1 {
		sv = append(sv, p.decimal...)
	} else {
		sv = append(append(append(rstr{}, sv[:dp]...), p.decimal...), sv[dp+1:]...)
	}
	for len(sv) > 0 && sv[0] == zeroDigit {
		sv = sv[1:]
	}
	for len(sv) > 0 && sv[len(sv)-1] == zeroDigit {
		sv = sv[:len(sv)-1]
	}
	decPos := sv.indexOf(p.decimal, 0)
	padLeft := pv.minInt - decPos
	padRight := pv.minFrac - (len(sv) - decPos - 1)
	if padLeft > 0 {
		sv = append(rstr(strings.Repeat(string(zeroDigit), padLeft)), sv...)
	}
	if padRight > 0 {
		sv = append(sv, rstr(strings.Repeat(string(zeroDigit), padRight))...)
	}
	insert := func(s rstr, at int, ins rstr) rstr {
		if at < 0 {
			at = 0
		}
		if at > len(s) {
			at = len(s)
		}
		out := make(rstr, 0, len(s)+len(ins))
		out = append(out, s[:at]...)
		out = append(out, ins...)
		return append(out, s[at:]...)
	}
	decPos = sv.indexOf(p.decimal, 0)
	if pv.regularGrouping > 0 {
		groupCount := (decPos - 1) / pv.regularGrouping
		for g := 1; g <= groupCount; g++ {
			sv = insert(sv, decPos-g*pv.regularGrouping, p.grouping)
		}
	} else {
		for _, pos := range pv.intGroups {
			sv = insert(sv, decPos-pos, p.grouping)
			decPos++
		}
	}
	decPos = sv.indexOf(p.decimal, 0)
	for _, pos := range pv.fracGroups {
		sv = insert(sv, pos+decPos+1, p.grouping)
	}
	decPos = sv.indexOf(p.decimal, 0)
	if pv.picture.indexOf(p.decimal, 0) == -1 || decPos == len(sv)-1 {
		if len(sv) > 0 {
			sv = sv[:len(sv)-1]
		}
	}
	if hasExp {
		se := makeString(float64(exponent), 0)
		if pl := pv.minExp - len(se); pl > 0 {
			se = append(rstr(strings.Repeat(string(zeroDigit), pl)), se...)
		}
		sv = append(sv, p.exponent...)
		if exponent < 0 {
			sv = append(sv, p.minus...)
		}
		sv = append(sv, se...)
	}
	return string(pv.prefix) + string(sv) + string(pv.suffix), nil
}

func init() {
	def("formatNumber", "<n-so?:s>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		v, ok := numArg(a, 0)
		if !ok {
			return undefined, nil
		}
		pic, _ := strArg(a, 1)
		opts, _ := arg(a, 2).(*jsonv.Object)
		s, err := formatNumberPicture(v, pic, opts)
		return withPos(s, err, pos)
	})
	def("formatBase", "<n-n?:s>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		v, ok := numArg(a, 0)
		if !ok {
			return undefined, nil
		}
		v = roundHalfEven(v, 0)
		radix := 10.0
		if r, ok := numArg(a, 1); ok {
			radix = roundHalfEven(r, 0)
		}
		if radix < 2 || radix > 36 {
			e := dtErr("D3100", radix)
			e.Position = pos
			return nil, e
		}
		if math.Abs(v) < 1<<63 {
			return strconv.FormatInt(int64(v), int(radix)), nil
		}
		return formatNumber(v), nil
	})
}
