package jsonata

// XPath F&O picture strings for integers and date/times, following
// jsonata-js (src/datetime.js): $formatInteger, $parseInteger, $fromMillis,
// $toMillis and the picture forms of $now.

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var fewWords = []string{"Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten",
	"Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"}
var ordinalWords = []string{"Zeroth", "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth",
	"Eleventh", "Twelfth", "Thirteenth", "Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth"}
var decadeWords = []string{"Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety", "Hundred"}
var magnitudeWords = []string{"Thousand", "Million", "Billion", "Trillion"}

func numberToWords(value float64, ordinal bool) string {
	var lookup func(num float64, prev, ord bool) string
	lookup = func(num float64, prev, ord bool) string {
		words := ""
		switch {
		case num <= 19:
			if prev {
				words = " and "
			}
			if ord {
				words += ordinalWords[int(num)]
			} else {
				words += fewWords[int(num)]
			}
		case num < 100:
			tens := int(num) / 10
			rem := int(num) % 10
			if prev {
				words = " and "
			}
			words += decadeWords[tens-2]
			if rem > 0 {
				words += "-" + lookup(float64(rem), false, ord)
			} else if ord {
				words = words[:len(words)-1] + "ieth"
			}
		case num < 1000:
			hundreds := int(num) / 100
			rem := int(num) % 100
			if prev {
				words = ", "
			}
			words += fewWords[hundreds] + " Hundred"
			if rem > 0 {
				words += lookup(float64(rem), true, ord)
			} else if ord {
				words += "th"
			}
		default:
			mag := int(math.Floor(math.Log10(num) / 3))
			if mag > len(magnitudeWords) {
				mag = len(magnitudeWords)
			}
			factor := math.Pow(10, float64(mag*3))
			mant := math.Floor(num / factor)
			rem := num - mant*factor
			if prev {
				words = ", "
			}
			words += lookup(mant, false, false) + " " + magnitudeWords[mag-1]
			if rem > 0 {
				words += lookup(rem, true, ord)
			} else if ord {
				words += "th"
			}
		}
		return words
	}
	return lookup(value, false, ordinal)
}

var wordValues = func() map[string]float64 {
	m := map[string]float64{}
	for i, w := range fewWords {
		m[strings.ToLower(w)] = float64(i)
	}
	for i, w := range ordinalWords {
		m[strings.ToLower(w)] = float64(i)
	}
	for i, w := range decadeWords {
		lw := strings.ToLower(w)
		m[lw] = float64((i + 2) * 10)
		m[lw[:len(lw)-1]+"ieth"] = m[lw]
	}
	m["hundredth"] = 100
	for i, w := range magnitudeWords {
		lw := strings.ToLower(w)
		v := math.Pow(10, float64((i+1)*3))
		m[lw] = v
		m[lw+"th"] = v
	}
	return m
}()

var wordSplitRe = regexp.MustCompile(`,\s|\sand\s|[\s\\-]`)

func wordsToNumber(text string) float64 {
	parts := wordSplitRe.Split(text, -1)
	segs := []float64{0}
	for _, p := range parts {
		value, ok := wordValues[p]
		if !ok {
			value = math.NaN()
		}
		if value < 100 || math.IsNaN(value) {
			top := segs[len(segs)-1]
			segs = segs[:len(segs)-1]
			if top >= 1000 {
				segs = append(segs, top)
				top = 0
			}
			segs = append(segs, top+value)
		} else {
			segs[len(segs)-1] *= value
		}
	}
	r := 0.0
	for _, s := range segs {
		r += s
	}
	return r
}

var romanNumerals = []struct {
	v float64
	s string
}{{1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"}, {90, "xc"}, {50, "l"}, {40, "xl"},
	{10, "x"}, {9, "ix"}, {5, "v"}, {4, "iv"}, {1, "i"}}

func decimalToRoman(value float64) string {
	var b strings.Builder
	if value > 1e7 { // keep the output bounded
		return strings.Repeat("m", 10000)
	}
	for value >= 1 {
		for _, n := range romanNumerals {
			if value >= n.v {
				b.WriteString(n.s)
				value -= n.v
				break
			}
		}
	}
	return b.String()
}

func romanToDecimal(roman string) float64 {
	vals := map[byte]float64{'M': 1000, 'D': 500, 'C': 100, 'L': 50, 'X': 10, 'V': 5, 'I': 1}
	dec, max := 0.0, 1.0
	for i := len(roman) - 1; i >= 0; i-- {
		v, ok := vals[roman[i]]
		if !ok {
			return math.NaN()
		}
		if v < max {
			dec -= v
		} else {
			max = v
			dec += v
		}
	}
	return dec
}

func decimalToLetters(value float64, a rune) string {
	var letters []rune
	for value > 0 && len(letters) < 64 {
		letters = append([]rune{rune(math.Mod(value-1, 26)) + a}, letters...)
		value = math.Floor((value - 1) / 26)
	}
	return string(letters)
}

func lettersToDecimal(letters string, a rune) float64 {
	rs := []rune(letters)
	dec := 0.0
	for i := 0; i < len(rs); i++ {
		dec += float64(rs[len(rs)-i-1]-a+1) * math.Pow(26, float64(i))
	}
	return dec
}

const (
	fmtDecimal = iota
	fmtLetters
	fmtRoman
	fmtWords
	fmtSequence
)

const (
	caseLower = iota
	caseUpper
	caseTitle
)

type groupSep struct {
	position  int
	character string
}

type intFormat struct {
	primary         int
	tcase           int
	ordinal         bool
	zeroCode        rune
	mandatoryDigits int
	optionalDigits  int
	regular         bool
	regularSep      groupSep
	separators      []groupSep
	token           string
	parseWidth      int
}

var decimalGroups = []rune{0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10}

func dtErr(code string, value any) *Error {
	msg := messages[code]
	if value != nil {
		msg = strings.ReplaceAll(msg, "{{value}}", toMsg(value))
	}
	return &Error{Code: code, Value: value, Message: msg}
}

func toMsg(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	s, _ := stringify(v, false)
	return s
}

func gcd(a, b int) int {
	if b == 0 {
		return a
	}
	return gcd(b, a%b)
}

func analyseIntegerPicture(picture string) (*intFormat, error) {
	f := &intFormat{primary: fmtDecimal, tcase: caseLower}
	primary := picture
	if semi := strings.LastIndex(picture, ";"); semi >= 0 {
		primary = picture[:semi]
		if strings.HasPrefix(picture[semi+1:], "o") {
			f.ordinal = true
		}
	}
	switch primary {
	case "A":
		f.tcase = caseUpper
		f.primary = fmtLetters
	case "a":
		f.primary = fmtLetters
	case "I":
		f.tcase = caseUpper
		f.primary = fmtRoman
	case "i":
		f.primary = fmtRoman
	case "W":
		f.tcase = caseUpper
		f.primary = fmtWords
	case "Ww":
		f.tcase = caseTitle
		f.primary = fmtWords
	case "w":
		f.primary = fmtWords
	default:
		zero := rune(-1)
		sepPos := 0
		var seps []groupSep
		rs := []rune(primary)
		for i := len(rs) - 1; i >= 0; i-- {
			cp := rs[i]
			digit := false
			for _, g := range decimalGroups {
				if cp >= g && cp <= g+9 {
					digit = true
					f.mandatoryDigits++
					sepPos++
					if zero < 0 {
						zero = g
					} else if g != zero {
						return nil, dtErr("D3131", nil)
					}
					break
				}
			}
			if !digit {
				if cp == '#' {
					sepPos++
					f.optionalDigits++
				} else {
					seps = append(seps, groupSep{position: sepPos, character: string(cp)})
				}
			}
		}
		if f.mandatoryDigits == 0 {
			f.primary = fmtSequence
			f.token = primary
			return f, nil
		}
		f.zeroCode = zero
		regular := 0
		if len(seps) > 0 {
			same := true
			for _, s := range seps[1:] {
				if s.character != seps[0].character {
					same = false
				}
			}
			if same {
				factor := seps[0].position
				for _, s := range seps[1:] {
					factor = gcd(factor, s.position)
				}
				regular = factor
				for i := 1; i <= len(seps); i++ {
					found := false
					for _, s := range seps {
						if s.position == i*factor {
							found = true
						}
					}
					if !found {
						regular = 0
						break
					}
				}
			}
		}
		if regular > 0 {
			f.regular = true
			f.regularSep = groupSep{position: regular, character: seps[0].character}
		} else {
			f.separators = seps
		}
	}
	return f, nil
}

func formatIntegerWith(value float64, f *intFormat) (string, error) {
	negative := value < 0
	value = math.Abs(value)
	var out string
	switch f.primary {
	case fmtLetters:
		a := 'a'
		if f.tcase == caseUpper {
			a = 'A'
		}
		out = decimalToLetters(value, a)
	case fmtRoman:
		out = decimalToRoman(value)
		if f.tcase == caseUpper {
			out = strings.ToUpper(out)
		}
	case fmtWords:
		if math.IsInf(value, 0) || math.IsNaN(value) {
			return "", &Error{Code: "D3001", Value: value, Message: messages["D3001"]}
		}
		out = numberToWords(value, f.ordinal)
		if f.tcase == caseUpper {
			out = strings.ToUpper(out)
		} else if f.tcase == caseLower {
			out = strings.ToLower(out)
		}
	case fmtDecimal:
		out = formatNumber(value)
		if pad := f.mandatoryDigits - len([]rune(out)); pad > 0 {
			out = strings.Repeat("0", pad) + out
		}
		if f.zeroCode != '0' {
			rs := []rune(out)
			for i, r := range rs {
				rs[i] = r + f.zeroCode - '0'
			}
			out = string(rs)
		}
		rs := []rune(out)
		if f.regular {
			n := (len(rs) - 1) / f.regularSep.position
			for ii := n; ii > 0; ii-- {
				p := len(rs) - ii*f.regularSep.position
				rs = append(rs[:p:p], append([]rune(f.regularSep.character), rs[p:]...)...)
			}
		} else {
			for i := len(f.separators) - 1; i >= 0; i-- {
				s := f.separators[i]
				p := len(rs) - s.position
				if p < 0 {
					p = 0
				}
				rs = append(rs[:p:p], append([]rune(s.character), rs[p:]...)...)
			}
		}
		out = string(rs)
		if f.ordinal {
			suffix := "th"
			last := out[len(out)-1]
			switch last {
			case '1':
				suffix = "st"
			case '2':
				suffix = "nd"
			case '3':
				suffix = "rd"
			}
			if len(out) > 1 && out[len(out)-2] == '1' {
				suffix = "th"
			}
			out += suffix
		}
	case fmtSequence:
		return "", dtErr("D3130", f.token)
	}
	if negative {
		out = "-" + out
	}
	return out, nil
}

func formatInteger(value float64, picture string) (string, error) {
	f, err := analyseIntegerPicture(picture)
	if err != nil {
		return "", err
	}
	return formatIntegerWith(math.Floor(value), f)
}

// ---- date/time pictures ----

type dtPart struct {
	literal     bool
	value       string
	component   byte
	widthMin    int // -1 = none
	widthMax    int // -1 = none
	hasWidth    bool
	pres1       string
	pres2       string
	ordinal     bool
	names       int // 0 none, else caseLower+1 ...
	intFmt      *intFormat
	n           int
	tzSeparator string
}

var defaultPresentation = map[byte]string{
	'Y': "1", 'M': "1", 'D': "1", 'd': "1", 'F': "n", 'W': "1", 'w': "1", 'X': "1", 'x': "1", 'H': "1", 'h': "1",
	'P': "n", 'm': "01", 's': "01", 'f': "1", 'Z': "01:01", 'z': "01:01", 'C': "n", 'E': "n",
}

var wsRunRe = regexp.MustCompile(`\s+`)

func analyseDateTimePicture(picture string) ([]*dtPart, error) {
	var spec []*dtPart
	addLiteral := func(s string) {
		if s != "" {
			spec = append(spec, &dtPart{literal: true, value: strings.ReplaceAll(s, "]]", "]")})
		}
	}
	start, pos := 0, 0
	for pos < len(picture) {
		if picture[pos] == '[' {
			if pos+1 < len(picture) && picture[pos+1] == '[' {
				addLiteral(picture[start:pos])
				spec = append(spec, &dtPart{literal: true, value: "["})
				pos += 2
				start = pos
				continue
			}
			addLiteral(picture[start:pos])
			start = pos
			end := strings.IndexByte(picture[start:], ']')
			if end < 0 {
				return nil, dtErr("D3135", nil)
			}
			pos = start + end
			marker := wsRunRe.ReplaceAllString(picture[start+1:pos], "")
			d := &dtPart{widthMin: -1, widthMax: -1}
			if marker != "" {
				d.component = marker[0]
			}
			var pres string
			if comma := strings.LastIndex(marker, ","); comma >= 0 {
				wm := marker[comma+1:]
				var min, max string
				hasMax := false
				if dash := strings.Index(wm, "-"); dash < 0 {
					min = wm
				} else {
					min, max, hasMax = wm[:dash], wm[dash+1:], true
				}
				d.hasWidth = true
				d.widthMin = parseWidth(min)
				if hasMax {
					d.widthMax = parseWidth(max)
				}
				if comma >= 1 {
					pres = marker[1:comma]
				}
			} else if len(marker) > 0 {
				pres = marker[1:]
			}
			if len(pres) == 1 {
				d.pres1 = pres
			} else if len(pres) > 1 {
				last := pres[len(pres)-1]
				if strings.IndexByte("atco", last) >= 0 {
					d.pres2 = string(last)
					d.ordinal = last == 'o'
					d.pres1 = pres[:len(pres)-1]
				} else {
					d.pres1 = pres
				}
			} else {
				p, ok := defaultPresentation[d.component]
				if !ok {
					return nil, dtErr("D3132", string(d.component))
				}
				d.pres1 = p
			}
			switch {
			case d.pres1[0] == 'n':
				d.names = caseLower + 1
			case d.pres1[0] == 'N':
				if len(d.pres1) > 1 && d.pres1[1] == 'n' {
					d.names = caseTitle + 1
				} else {
					d.names = caseUpper + 1
				}
			case strings.IndexByte("YMDdFWwXxHhmsf", d.component) >= 0:
				ip := d.pres1
				if d.pres2 != "" {
					ip += ";" + d.pres2
				}
				f, err := analyseIntegerPicture(ip)
				if err != nil {
					return nil, err
				}
				d.intFmt = f
				if d.widthMin >= 0 && f.mandatoryDigits < d.widthMin {
					f.mandatoryDigits = d.widthMin
				}
				if d.component == 'Y' {
					d.n = -1
					if d.widthMax >= 0 {
						d.n = d.widthMax
						f.mandatoryDigits = d.n
					} else if w := f.mandatoryDigits + f.optionalDigits; w >= 2 {
						d.n = w
					}
				}
				if len(spec) > 0 && spec[len(spec)-1].intFmt != nil {
					prev := spec[len(spec)-1].intFmt
					prev.parseWidth = prev.mandatoryDigits
				}
			}
			if d.component == 'Z' || d.component == 'z' {
				f, err := analyseIntegerPicture(d.pres1)
				if err != nil {
					return nil, err
				}
				d.intFmt = f
			}
			spec = append(spec, d)
			start = pos + 1
		}
		pos++
	}
	addLiteral(picture[start:])
	return spec, nil
}

func parseWidth(s string) int {
	if s == "*" || s == "" {
		return -1
	}
	// parseInt semantics: leading digits
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return -1
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil || n > 1000 {
		return 1000
	}
	return n
}

var dayNames = []string{"", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

const millisInADay = 86400000

func utcMillis(year, month, day int) float64 {
	return float64(time.Date(year, time.Month(month+1), day, 0, 0, 0, 0, time.UTC).UnixMilli())
}

func startOfFirstWeek(year, month int) float64 {
	jan1 := utcMillis(year, month, 1)
	dow := int(time.UnixMilli(int64(jan1)).UTC().Weekday())
	if dow == 0 {
		dow = 7
	}
	if dow > 4 {
		return jan1 + float64(8-dow)*millisInADay
	}
	return jan1 - float64(dow-1)*millisInADay
}

func deltaWeeks(start, end float64) float64 { return (end-start)/(millisInADay*7) + 1 }

func nextMonth(y, m int) (int, int) {
	if m == 11 {
		return y + 1, 0
	}
	return y, m + 1
}

func prevMonth(y, m int) (int, int) {
	if m == 0 {
		return y - 1, 11
	}
	return y, m - 1
}

// dateFragment returns a component value: a float64 or string.
func dateFragment(t time.Time, component byte) any {
	t = t.UTC()
	switch component {
	case 'Y':
		return float64(t.Year())
	case 'M':
		return float64(t.Month())
	case 'D':
		return float64(t.Day())
	case 'd':
		return float64(t.YearDay())
	case 'F':
		d := int(t.Weekday())
		if d == 0 {
			d = 7
		}
		return float64(d)
	case 'W':
		y := t.Year()
		sw1 := startOfFirstWeek(y, 0)
		today := utcMillis(y, int(t.Month())-1, t.Day())
		week := deltaWeeks(sw1, today)
		if week > 52 {
			if today >= startOfFirstWeek(y+1, 0) {
				week = 1
			}
		} else if week < 1 {
			week = deltaWeeks(startOfFirstWeek(y-1, 0), today)
		}
		return math.Floor(week)
	case 'w':
		y, m := t.Year(), int(t.Month())-1
		sw1 := startOfFirstWeek(y, m)
		today := utcMillis(y, m, t.Day())
		week := deltaWeeks(sw1, today)
		if week > 4 {
			ny, nm := nextMonth(y, m)
			if today >= startOfFirstWeek(ny, nm) {
				week = 1
			}
		} else if week < 1 {
			py, pm := prevMonth(y, m)
			week = deltaWeeks(startOfFirstWeek(py, pm), today)
		}
		return math.Floor(week)
	case 'X':
		y := t.Year()
		now := float64(t.UnixMilli())
		if now < startOfFirstWeek(y, 0) {
			return float64(y - 1)
		} else if now >= startOfFirstWeek(y+1, 0) {
			return float64(y + 1)
		}
		return float64(y)
	case 'x':
		y, m := t.Year(), int(t.Month())-1
		now := float64(t.UnixMilli())
		ny, nm := nextMonth(y, m)
		if now < startOfFirstWeek(y, m) {
			_, pm := prevMonth(y, m)
			return float64(pm + 1)
		} else if now >= startOfFirstWeek(ny, nm) {
			return float64(nm + 1)
		}
		return float64(m + 1)
	case 'H':
		return float64(t.Hour())
	case 'h':
		h := t.Hour() % 12
		if h == 0 {
			h = 12
		}
		return float64(h)
	case 'P':
		if t.Hour() >= 12 {
			return "pm"
		}
		return "am"
	case 'm':
		return float64(t.Minute())
	case 's':
		return float64(t.Second())
	case 'f':
		return float64(t.Nanosecond() / 1e6)
	case 'C', 'E':
		return "ISO"
	}
	return undefined
}

var iso8601Picture = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]"

// jsParseInt mimics JavaScript's parseInt for base 10.
func jsParseInt(s string) (int, bool) {
	s = strings.TrimSpace(s)
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return 0, false
	}
	n, err := strconv.Atoi(s[:j])
	if err != nil {
		return 0, false
	}
	return n, true
}

func formatDateTime(millis float64, picture *string, timezone *string) (string, error) {
	offH, offM := 0, 0
	if timezone != nil {
		off, ok := jsParseInt(*timezone)
		if !ok {
			// NaN offsets: JavaScript produces an invalid date
			return "", &Error{Code: "D3137", Message: "invalid timezone " + *timezone}
		}
		offH = int(math.Floor(float64(off) / 100))
		offM = off % 100
	}
	pic := iso8601Picture
	if picture != nil {
		pic = *picture
	}
	spec, err := analyseDateTimePicture(pic)
	if err != nil {
		return "", err
	}
	offMillis := float64((60*offH + offM) * 60 * 1000)
	ms := millis + offMillis
	if math.IsNaN(ms) || math.Abs(ms) > 8.64e15 {
		return "", &Error{Code: "D3137", Message: "invalid time value"}
	}
	t := time.UnixMilli(int64(math.Floor(ms))).UTC()
	var b strings.Builder
	for _, part := range spec {
		if part.literal {
			b.WriteString(part.value)
			continue
		}
		s, err := formatComponent(t, part, offH, offM)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

func formatComponent(t time.Time, part *dtPart, offH, offM int) (string, error) {
	cv := dateFragment(t, part.component)
	c := part.component
	switch {
	case strings.IndexByte("YMDdFWwXxHhms", c) >= 0:
		f, _ := cv.(float64)
		if c == 'Y' && part.n != -1 {
			f = math.Mod(f, math.Pow(10, float64(part.n)))
		}
		if part.names != 0 {
			var name string
			switch c {
			case 'M', 'x':
				name = monthNames[int(f)-1]
			case 'F':
				name = dayNames[int(f)]
			default:
				return "", dtErr("D3133", string(c))
			}
			switch part.names - 1 {
			case caseUpper:
				name = strings.ToUpper(name)
			case caseLower:
				name = strings.ToLower(name)
			}
			if part.widthMax >= 0 && len(name) > part.widthMax {
				name = name[:part.widthMax]
			}
			return name, nil
		}
		if part.intFmt == nil {
			return "", dtErr("D3132", string(c))
		}
		return formatIntegerWith(f, part.intFmt)
	case c == 'f':
		f, _ := cv.(float64)
		if part.intFmt == nil {
			return "", dtErr("D3132", string(c))
		}
		return formatIntegerWith(f, part.intFmt)
	case c == 'Z' || c == 'z':
		offset := offH*100 + offM
		var s string
		var err error
		if part.intFmt.regular {
			s, err = formatIntegerWith(float64(offset), part.intFmt)
		} else {
			nd := part.intFmt.mandatoryDigits
			switch {
			case nd == 1 || nd == 2:
				s, err = formatIntegerWith(float64(offH), part.intFmt)
				if offM != 0 {
					m, _ := formatInteger(float64(offM), "00")
					s += ":" + m
				}
			case nd == 3 || nd == 4:
				s, err = formatIntegerWith(float64(offset), part.intFmt)
			default:
				return "", dtErr("D3134", float64(nd))
			}
		}
		if err != nil {
			return "", err
		}
		if offset >= 0 {
			s = "+" + s
		}
		if c == 'z' {
			s = "GMT" + s
		}
		if offset == 0 && part.pres2 == "t" {
			s = "Z"
		}
		return s, nil
	case c == 'P':
		s, _ := cv.(string)
		if part.names-1 == caseUpper {
			s = strings.ToUpper(s)
		}
		return s, nil
	}
	if s, ok := cv.(string); ok {
		return s, nil
	}
	return "", dtErr("D3132", string(c))
}

// ---- parsing ----

type matcher struct {
	regex     string
	parse     func(string) any // float64 or undefined
	component byte
}

func integerMatcher(f *intFormat) (*matcher, error) {
	m := &matcher{}
	isUpper := f.tcase == caseUpper
	switch f.primary {
	case fmtLetters:
		a := 'a'
		m.regex = "[a-z]+"
		if isUpper {
			a = 'A'
			m.regex = "[A-Z]+"
		}
		m.parse = func(v string) any { return lettersToDecimal(v, a) }
	case fmtRoman:
		m.regex = "[mdclxvi]+"
		if isUpper {
			m.regex = "[MDCLXVI]+"
		}
		m.parse = func(v string) any { return romanToDecimal(strings.ToUpper(v)) }
	case fmtWords:
		keys := make([]string, 0, len(wordValues)+2)
		for k := range wordValues {
			keys = append(keys, k)
		}
		keys = append(keys, "and", `[\-, ]`)
		m.regex = "(?:" + strings.Join(keys, "|") + ")+"
		m.parse = func(v string) any { return wordsToNumber(strings.ToLower(v)) }
	case fmtDecimal:
		m.regex = "[0-9]"
		if f.parseWidth > 0 {
			m.regex += "{" + strconv.Itoa(f.parseWidth) + "}"
		} else {
			m.regex += "+"
		}
		if f.ordinal {
			m.regex += "(?:th|st|nd|rd)"
		}
		m.parse = func(v string) any {
			digits := v
			if f.ordinal && len(digits) >= 2 {
				digits = digits[:len(digits)-2]
			}
			if f.regular {
				digits = strings.ReplaceAll(digits, ",", "")
			} else {
				for _, s := range f.separators {
					digits = strings.ReplaceAll(digits, s.character, "")
				}
			}
			if f.zeroCode != '0' {
				rs := []rune(digits)
				for i, r := range rs {
					rs[i] = r - f.zeroCode + '0'
				}
				digits = string(rs)
			}
			n, ok := jsParseInt(digits)
			if !ok {
				return undefined
			}
			return float64(n)
		}
	case fmtSequence:
		return nil, dtErr("D3130", f.token)
	}
	return m, nil
}

func parseInteger(value, picture string) (any, error) {
	f, err := analyseIntegerPicture(picture)
	if err != nil {
		return nil, err
	}
	m, err := integerMatcher(f)
	if err != nil {
		return nil, err
	}
	return m.parse(value), nil
}

func dateTimeMatchers(spec []*dtPart) ([]*matcher, error) {
	var out []*matcher
	for _, part := range spec {
		m := &matcher{}
		switch {
		case part.literal:
			m.regex = regexp.QuoteMeta(part.value)
		case part.component == 'Z' || part.component == 'z':
			sep := ""
			if part.intFmt.regular {
				sep = part.intFmt.regularSep.character
			}
			if part.component == 'z' {
				m.regex = "GMT"
			}
			m.regex += "[-+][0-9]+"
			if sep != "" {
				m.regex += regexp.QuoteMeta(sep) + "[0-9]+"
			}
			isz := part.component == 'z'
			m.parse = func(v string) any {
				if isz && len(v) >= 3 {
					v = v[3:]
				}
				h, mm := 0, 0
				if sep != "" {
					i := strings.Index(v, sep)
					h, _ = jsParseInt(v[:i])
					mm, _ = jsParseInt(v[i+len(sep):])
				} else if len(v)-1 <= 2 {
					h, _ = jsParseInt(v)
				} else {
					h, _ = jsParseInt(v[:3])
					mm, _ = jsParseInt(v[3:])
				}
				return float64(h*60 + mm)
			}
		case part.component == 'f':
			m.regex = "[0-9]+"
			m.parse = func(v string) any {
				if len(v) > 3 {
					v = v[:3]
				}
				f, _ := strconv.ParseFloat("0."+v, 64)
				return f * 1000
			}
		case part.intFmt != nil:
			im, err := integerMatcher(part.intFmt)
			if err != nil {
				return nil, err
			}
			m = im
		default:
			m.regex = "[a-zA-Z]+"
			lookup := map[string]float64{}
			switch part.component {
			case 'M', 'x':
				for i, name := range monthNames {
					if part.widthMax > 0 && len(name) > part.widthMax {
						name = name[:part.widthMax]
					}
					lookup[name] = float64(i + 1)
				}
			case 'F':
				for i, name := range dayNames[1:] {
					if part.widthMax > 0 && len(name) > part.widthMax {
						name = name[:part.widthMax]
					}
					lookup[name] = float64(i + 1)
				}
			case 'P':
				lookup = map[string]float64{"am": 0, "AM": 0, "pm": 1, "PM": 1}
			default:
				return nil, dtErr("D3133", string(part.component))
			}
			m.parse = func(v string) any {
				if f, ok := lookup[v]; ok {
					return f
				}
				return undefined
			}
		}
		if !part.literal {
			m.component = part.component
		}
		out = append(out, m)
	}
	return out, nil
}

func parseDateTime(ev *evaluator, timestamp, picture string, pos int) (any, error) {
	spec, err := analyseDateTimePicture(picture)
	if err != nil {
		return nil, err
	}
	ms, err := dateTimeMatchers(spec)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("(?i)^")
	for _, m := range ms {
		b.WriteString("(" + m.regex + ")")
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, &Error{Code: "D3136", Position: pos, Message: messages["D3136"]}
	}
	info := re.FindStringSubmatch(timestamp)
	if info == nil {
		return undefined, nil
	}
	comps := map[byte]float64{}
	has := func(c byte) bool { _, ok := comps[c]; return ok }
	for i := 1; i < len(info); i++ {
		mp := ms[i-1]
		if mp.parse != nil {
			v := mp.parse(info[i])
			if f, ok := v.(float64); ok {
				comps[mp.component] = f
			} else {
				comps[mp.component] = math.NaN()
			}
		}
	}
	if len(comps) == 0 {
		return undefined, nil
	}
	mask := 0
	shift := func(c byte) {
		mask <<= 1
		if f, ok := comps[c]; ok && f != 0 && !math.IsNaN(f) {
			mask++
		}
	}
	isType := func(t int) bool { return (^t&mask) == 0 && (t&mask) != 0 }
	for _, c := range []byte("YXMxWwdD") {
		shift(c)
	}
	dateA := isType(161)
	dateB := !dateA && isType(130)
	dateC := isType(84)
	dateD := !dateC && isType(72)
	mask = 0
	for _, c := range []byte("PHhmsf") {
		shift(c)
	}
	timeA := isType(23)
	timeB := !timeA && isType(47)
	dateComps := "YMD"
	switch {
	case dateB:
		dateComps = "YD"
	case dateC:
		dateComps = "XxwF"
	case dateD:
		dateComps = "XWF"
	}
	timeComps := "Hmsf"
	if timeB {
		timeComps = "Phmsf"
	}
	startSpecified, endSpecified := false, false
	for _, c := range []byte(dateComps + timeComps) {
		if !has(c) {
			if startSpecified {
				if strings.IndexByte("MDd", c) >= 0 {
					comps[c] = 1
				} else {
					comps[c] = 0
				}
				endSpecified = true
			} else {
				now, err := ev.timeNow(pos)
				if err != nil {
					return nil, err
				}
				f, _ := dateFragment(now, c).(float64)
				comps[c] = f
			}
		} else {
			startSpecified = true
			if endSpecified {
				return nil, &Error{Code: "D3136", Position: pos, Message: messages["D3136"]}
			}
		}
	}
	if comps['M'] > 0 {
		comps['M']--
	} else {
		comps['M'] = 0
	}
	if dateB {
		first := utcMillis(int(comps['Y']), 0, 1)
		d := time.UnixMilli(int64(first + (comps['d']-1)*millisInADay)).UTC()
		comps['M'] = float64(d.Month() - 1)
		comps['D'] = float64(d.Day())
	}
	if dateC || dateD {
		return nil, &Error{Code: "D3136", Position: pos, Message: messages["D3136"]}
	}
	if timeB {
		if comps['h'] == 12 {
			comps['H'] = 0
		} else {
			comps['H'] = comps['h']
		}
		if comps['P'] == 1 {
			comps['H'] += 12
		}
	}
	for _, c := range []byte("YMDHmsf") {
		if math.IsNaN(comps[c]) || math.IsInf(comps[c], 0) || math.Abs(comps[c]) > 1e9 {
			return undefined, nil
		}
	}
	t := time.Date(int(comps['Y']), time.Month(int(comps['M'])+1), int(comps['D']), int(comps['H']), int(comps['m']), int(comps['s']), int(comps['f'])*1e6, time.UTC)
	millis := float64(t.UnixMilli())
	if z := comps['Z']; z != 0 && !math.IsNaN(z) {
		millis -= z * 60 * 1000
	} else if z := comps['z']; z != 0 && !math.IsNaN(z) {
		millis -= z * 60 * 1000
	}
	return millis, nil
}

var iso8601Re = regexp.MustCompile(`^\d{4}(-[01]\d)?(-[0-3]\d)?(T[0-2]\d:[0-5]\d:[0-5]\d)?(\.\d+)?([+-][0-2]\d:?[0-5]\d|Z)?$`)

// jsDateParse parses the ISO 8601 subset accepted by iso8601Re the way
// JavaScript's Date.parse does (date-only forms are UTC).
func jsDateParse(s string) any {
	m := iso8601Re.FindStringSubmatch(s)
	if m == nil {
		return undefined
	}
	year, _ := strconv.Atoi(s[:4])
	month, day := 1, 1
	if m[1] != "" {
		month, _ = strconv.Atoi(m[1][1:])
	}
	if m[2] != "" {
		day, _ = strconv.Atoi(m[2][1:])
	}
	hh, mm, ss := 0, 0, 0
	if m[3] != "" {
		hh, _ = strconv.Atoi(m[3][1:3])
		mm, _ = strconv.Atoi(m[3][4:6])
		ss, _ = strconv.Atoi(m[3][7:9])
	}
	if (m[2] != "" && m[1] == "") || (m[4] != "" && m[3] == "") || (m[5] != "" && m[3] == "") {
		return math.NaN()
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hh > 24 || (hh == 24 && (mm > 0 || ss > 0)) {
		return math.NaN()
	}
	nanos := 0
	if m[4] != "" {
		frac := m[4][1:]
		for len(frac) < 9 {
			frac += "0"
		}
		nanos, _ = strconv.Atoi(frac[:3])
		nanos *= 1e6
	}
	t := time.Date(year, time.Month(month), day, hh, mm, ss, nanos, time.UTC)
	ms := float64(t.UnixMilli())
	if z := m[5]; z != "" && z != "Z" {
		sign := 1.0
		if z[0] == '-' {
			sign = -1
		}
		z = strings.ReplaceAll(z[1:], ":", "")
		zh, _ := strconv.Atoi(z[:2])
		zm, _ := strconv.Atoi(z[2:])
		ms -= sign * float64(zh*60+zm) * 60000
	}
	return ms
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month+1), 0, 0, 0, 0, 0, time.UTC).Day()
}

func init() {
	def("formatInteger", "<n-s:s>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		v, ok := numArg(a, 0)
		if !ok {
			return undefined, nil
		}
		pic, _ := strArg(a, 1)
		s, err := formatInteger(v, pic)
		return withPos(s, err, pos)
	})
	def("parseInteger", "<s-s:n>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		v, ok := strArg(a, 0)
		if !ok {
			return undefined, nil
		}
		pic, _ := strArg(a, 1)
		r, err := parseInteger(v, pic)
		return withPos(r, err, pos)
	})
	def("fromMillis", "<n-s?s?:s>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		v, ok := numArg(a, 0)
		if !ok {
			return undefined, nil
		}
		var pic, tz *string
		if s, ok := strArg(a, 1); ok {
			pic = &s
		}
		if s, ok := strArg(a, 2); ok {
			tz = &s
		}
		s, err := formatDateTime(v, pic, tz)
		return withPos(s, err, pos)
	})
	def("toMillis", "<s-s?:n>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		v, ok := strArg(a, 0)
		if !ok {
			return undefined, nil
		}
		if pic, ok := strArg(a, 1); ok {
			r, err := parseDateTime(ev, v, pic, pos)
			return withPos(r, err, pos)
		}
		if !iso8601Re.MatchString(v) {
			e := dtErr("D3110", v)
			e.Position = pos
			return nil, e
		}
		r := jsDateParse(v)
		if f, ok := r.(float64); ok && math.IsNaN(f) {
			return nil, &Error{Code: "D3110", Position: pos, Value: v, Message: strings.ReplaceAll(messages["D3110"], "{{value}}", v)}
		}
		return r, nil
	})
	def("now", "<s?s?:s>", func(ev *evaluator, a []any, in any, pos int) (any, error) {
		t, err := ev.timeNow(pos)
		if err != nil {
			return nil, err
		}
		var pic, tz *string
		if s, ok := strArg(a, 0); ok {
			pic = &s
		}
		if s, ok := strArg(a, 1); ok {
			tz = &s
		}
		s, err := formatDateTime(float64(t.UnixMilli()), pic, tz)
		return withPos(s, err, pos)
	})
}

func withPos[T any](v T, err error, pos int) (any, error) {
	if err != nil {
		if e, ok := err.(*Error); ok && e.Position == 0 {
			e.Position = pos
		}
		return nil, err
	}
	return v, nil
}
