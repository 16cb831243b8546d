package jsonata

import (
	"regexp"
	"strings"
)

// node kinds
type nodeKind uint8

const (
	nPath nodeKind = iota
	nBinary
	nUnary
	nName
	nString
	nNumber
	nValue
	nWildcard
	nDescendant
	nCondition
	nBlock
	nBind
	nRegex
	nFunction
	nPartial
	nVariable
	nLambda
	nApply
	nTransform
	nSort
	nArray
	nObject
	nNegate
	nPlaceholer
	nParent
	nIndexStage
)

var kindNames = [...]string{nPath: "path", nBinary: "binary", nUnary: "unary", nName: "name", nString: "string", nNumber: "number", nValue: "value", nWildcard: "wildcard", nDescendant: "descendant", nCondition: "condition", nBlock: "block", nBind: "bind", nRegex: "regex", nFunction: "function", nPartial: "partial", nVariable: "variable", nLambda: "lambda", nApply: "apply", nTransform: "transform", nSort: "sort", nArray: "array", nObject: "object", nNegate: "negate", nPlaceholer: "placeholder", nParent: "parent", nIndexStage: "index"}

func (k nodeKind) String() string { return kindNames[k] }

// slot is a parent-operator (%) binding: the ancestor that a % refers to is
// captured in the tuple stream under label.
type slot struct {
	label string
	level int
	index int
}

type sortTerm struct {
	expr       *node
	descending bool
}

type node struct {
	// hot fields first: the evaluator reads these for every node
	kind               nodeKind
	tuple              bool // a step of a tuple stream (focus, index or ancestry)
	hasFocus           bool
	keepArray          bool
	consArray          bool
	keepSingletonArray bool
	thunk              bool
	binop              binop // nBinary: op as a code
	fuseDepth          uint8 // fused: see fuseDepth
	// nPath: how many leading steps are a plain variable or field name
	// followed by plain field names, which evalPath walks without the
	// general step machinery (0: none)
	fastSteps int
	// literal: a string, number or value node without filters, whose
	// value eval returns as it is
	literal bool
	// directPath: an nPath that is all fastSteps with nothing applied to
	// its result, which eval can answer from fastSteps alone
	directPath bool
	// directBinary: an nBinary whose operator never yields a sequence and
	// with nothing applied to its result, which eval hands straight to
	// evalBinary
	directBinary bool
	// fused: a directBinary arithmetic, comparison or equality whose
	// operands are each a literal, a directPath or a plainVar, which
	// evalFused can do in one go
	fused bool
	// fast, fastDepth: see classifyFast (fast.go)
	fast      fastShape
	fastDepth uint8
	// plainVar: an nVariable (not $) with nothing applied to its value
	plainVar  bool
	pos       int
	op        string // operator, name, variable name or string value
	val       any    // literal value
	lhs, rhs  *node
	items     []*node // array items, block expressions, call arguments, path steps
	predicate []*node // filters applied to the node's value
	stages    []*node // filters applied per step in a path
	group     *node   // grouping object constructor (kind nObject)
	procedure *node
	body      *node
	params    []string
	// scopeNames: params as a lambda's scope binds them (see dedupParams)
	scopeNames []string

	pairs     [][2]*node // object constructor / group pairs
	sig       *signature
	cond      *node
	then, els *node
	update    *node
	del       *node
	terms     []sortTerm
	re        *regexp.Regexp

	// tuple streams: focus (@) and index (#) variable names and ancestry (%)
	focus         string
	index         string
	ancestor      *slot
	slot          *slot
	seekingParent []*slot
}

// maxParseDepth bounds parser recursion so deeply nested input fails cleanly.
const maxParseDepth = 500

type parser struct {
	lx       lexer
	tok      token
	depth    int
	labels   int
	ancestry []*node
}

func parse(src string) (*node, error) {
	p := &parser{lx: lexer{src: []rune(src)}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	ast, err := p.expression(0)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEnd {
		return nil, newErr("S0201", p.tok.pos, p.tok.value, "syntax error: unexpected %q", p.tok.value)
	}
	res, err := p.process(ast)
	if err != nil {
		return nil, err
	}
	if res.kind == nParent || res.seekingParent != nil {
		return nil, codeErr("S0217", res.pos, res.kind.String())
	}
	(&annotator{seen: map[*node]bool{}, names: map[string]string{}}).annotate(res)
	return res, nil
}

// noFastPaths turns the evaluator's shortcuts off (tests compare results
// and step counts with and without them).
var noFastPaths bool

// binop codes a binary operator, so the evaluator need not compare strings.
type binop uint8

const (
	opOther binop = iota
	opAnd
	opOr
	opCoalesce // ??
	opElvis    // ?:
	opAdd
	opSub
	opMul
	opDiv
	opMod
	opEq
	opNe
	opLt
	opLe
	opGt
	opGe
	opConcat
	opIn
	opRange
)

var binops = map[string]binop{"and": opAnd, "or": opOr, "??": opCoalesce, "?:": opElvis,
	"+": opAdd, "-": opSub, "*": opMul, "/": opDiv, "%": opMod, "=": opEq, "!=": opNe,
	"<": opLt, "<=": opLe, ">": opGt, ">=": opGe, "&": opConcat, "in": opIn, "..": opRange}

type annotator struct {
	seen  map[*node]bool
	names map[string]string
}

// intern returns one shared copy of each variable name, so that scope
// lookups mostly compare equal pointers.
func (a *annotator) intern(s string) string {
	if c, ok := a.names[s]; ok {
		return c
	}
	a.names[s] = s
	return s
}

// annotate precomputes evaluation hints on the processed tree (binop,
// fastSteps, literal, scopeNames). It only adds information derived from
// the node itself.
func (a *annotator) annotate(n *node) {
	if n == nil || a.seen[n] {
		return
	}
	a.seen[n] = true
	switch n.kind {
	case nBinary:
		n.binop = binops[n.op]
	case nVariable, nBind:
		n.op = a.intern(n.op)
	case nLambda:
		for i, p := range n.params {
			n.params[i] = a.intern(p)
		}
		n.scopeNames = dedupParams(n.params)
	case nString, nNumber, nValue:
		_, isArr := n.val.(*array)
		n.literal = !noFastPaths && !isArr && len(n.predicate) == 0 && len(n.stages) == 0 && n.group == nil && !n.keepArray
	}
	plainResult := len(n.predicate) == 0 && len(n.stages) == 0 && n.group == nil && !n.keepArray && !n.keepSingletonArray && !n.tuple
	if n.kind == nBinary {
		switch n.binop {
		case opAnd, opOr, opAdd, opSub, opMul, opDiv, opMod, opEq, opNe, opLt, opLe, opGt, opGe, opConcat, opIn:
			n.directBinary = !noFastPaths && plainResult
		}
	}
	if n.kind == nPath {
		n.fastSteps = 0
		if noFastPaths || len(n.items) == 0 || n.items[0].consArray || !plainStep(n.items[0]) {
			// none
		} else if n.items[0].kind == nVariable && n.items[0].op != "" {
			n.fastSteps = 1
			for _, st := range n.items[1:] {
				if st.kind != nName || !plainStep(st) {
					break
				}
				n.fastSteps++
			}
		} else if n.items[0].kind == nName {
			for _, st := range n.items {
				if st.kind != nName || !plainStep(st) {
					break
				}
				n.fastSteps++
			}
		}
		n.directPath = n.fastSteps > 0 && n.fastSteps == len(n.items) && plainResult
	}
	for _, c := range []*node{n.lhs, n.rhs, n.group, n.procedure, n.body, n.cond, n.then, n.els, n.update, n.del} {
		a.annotate(c)
	}
	for _, list := range [][]*node{n.items, n.predicate, n.stages} {
		for _, c := range list {
			a.annotate(c)
		}
	}
	for _, pair := range n.pairs {
		a.annotate(pair[0])
		a.annotate(pair[1])
	}
	for _, t := range n.terms {
		a.annotate(t.expr)
	}
	// after the operands are annotated
	if n.kind == nVariable {
		n.plainVar = !noFastPaths && n.op != "" && plainResult
	}
	if n.directBinary {
		switch n.binop {
		case opAdd, opSub, opMul, opDiv, opMod, opEq, opNe, opLt, opLe, opGt, opGe:
			if n.fused = fusable(n.lhs) && fusable(n.rhs); n.fused {
				n.fuseDepth = max(fuseDepth(n.lhs), fuseDepth(n.rhs))
			}
		}
	}
	classifyFast(n)
}

// fusable reports whether evalFused can evaluate o as an operand.
func fusable(o *node) bool {
	return o != nil && (o.literal || o.directPath || o.plainVar)
}

// fuseDepth is how much deeper than a fused operand's parent eval checks
// the depth limit when it evaluates the operand (fastSteps checks one
// level further for a path that starts with a variable).
func fuseDepth(o *node) uint8 {
	if o.directPath && o.items[0].kind == nVariable {
		return 2
	}
	return 1
}

// plainStep reports whether a path step has no filters, grouping, array
// flags or tuple bindings.
func plainStep(st *node) bool {
	return !st.keepArray && len(st.predicate) == 0 && len(st.stages) == 0 && st.group == nil &&
		!st.tuple && !st.hasFocus && st.focus == "" && st.index == "" && st.ancestor == nil
}

func (p *parser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	if t.kind == tokOperator && (t.value == "!" || t.value == "~") {
		return newErr("S0204", t.pos, t.value, "unknown operator: %q", t.value)
	}
	p.tok = t
	return nil
}

func (p *parser) isOp(v string) bool {
	return p.tok.kind == tokOperator && p.tok.value == v
}

// expect consumes the operator v or fails.
func (p *parser) expect(v string) error {
	if p.tok.kind == tokEnd {
		return newErr("S0203", p.tok.pos, v, "expected %q before end of expression", v)
	}
	if !p.isOp(v) {
		return newErr("S0202", p.tok.pos, p.tok.value, "expected %q, got %q", v, p.tok.value)
	}
	return p.advance()
}

// lbp is the left binding power of the current token.
func (p *parser) lbp() int {
	if p.tok.kind != tokOperator {
		return 0
	}
	switch p.tok.value {
	case "]", "}", ")", ",", ";", ":", "..", "!", "~", "|", "**":
		return 0
	}
	return operators[p.tok.value]
}

func (p *parser) expression(rbp int) (*node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxParseDepth {
		return nil, newErr("U1001", p.tok.pos, "", "expression is nested too deeply")
	}
	t := p.tok
	if err := p.advance(); err != nil {
		return nil, err
	}
	left, err := p.nud(t)
	if err != nil {
		return nil, err
	}
	for rbp < p.lbp() {
		t = p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
		left, err = p.led(t, left)
		if err != nil {
			return nil, err
		}
	}
	return left, nil
}

func (p *parser) nud(t token) (*node, error) {
	switch t.kind {
	case tokEnd:
		return nil, codeErr("S0207", t.pos, "(end)")
	case tokString:
		return &node{kind: nString, op: t.value, val: t.value, pos: t.pos}, nil
	case tokNumber:
		return &node{kind: nNumber, val: t.num, pos: t.pos}, nil
	case tokValue:
		return &node{kind: nValue, val: t.lit, op: t.value, pos: t.pos}, nil
	case tokName:
		return &node{kind: nName, op: t.value, pos: t.pos}, nil
	case tokVariable:
		return &node{kind: nVariable, op: t.value, pos: t.pos}, nil
	case tokRegex:
		re, err := compileRegex(t.value, t.flags)
		if err != nil {
			return nil, newErr("S0302", t.pos, t.value, "invalid regular expression: %v", err)
		}
		return &node{kind: nRegex, op: t.value, re: re, pos: t.pos}, nil
	}
	switch t.value {
	case "and", "or", "in":
		return &node{kind: nName, op: t.value, pos: t.pos}, nil
	case "-":
		operand, err := p.expression(70)
		if err != nil {
			return nil, err
		}
		if operand.kind == nNumber {
			if f, ok := operand.val.(float64); ok {
				operand.val = -f
				return operand, nil
			}
		}
		return &node{kind: nNegate, lhs: operand, pos: t.pos}, nil
	case "*":
		return &node{kind: nWildcard, op: "*", pos: t.pos}, nil
	case "**":
		return &node{kind: nDescendant, op: "**", pos: t.pos}, nil
	case "(":
		n := &node{kind: nBlock, pos: t.pos}
		for !p.isOp(")") {
			e, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, e)
			if !p.isOp(";") {
				break
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		return n, p.expect(")")
	case "[":
		n := &node{kind: nArray, pos: t.pos}
		if !p.isOp("]") {
			for {
				item, err := p.expression(0)
				if err != nil {
					return nil, err
				}
				if p.isOp("..") {
					pos := p.tok.pos
					if err := p.advance(); err != nil {
						return nil, err
					}
					rhs, err := p.expression(0)
					if err != nil {
						return nil, err
					}
					item = &node{kind: nBinary, op: "..", lhs: item, rhs: rhs, pos: pos}
				}
				n.items = append(n.items, item)
				if !p.isOp(",") {
					break
				}
				if err := p.advance(); err != nil {
					return nil, err
				}
			}
		}
		return n, p.expect("]")
	case "{":
		pairs, err := p.pairs()
		if err != nil {
			return nil, err
		}
		return &node{kind: nObject, pairs: pairs, pos: t.pos}, nil
	case "|":
		n := &node{kind: nTransform, pos: t.pos}
		var err error
		if n.lhs, err = p.expression(0); err != nil {
			return nil, err
		}
		if err := p.expect("|"); err != nil {
			return nil, err
		}
		if n.update, err = p.expression(0); err != nil {
			return nil, err
		}
		if p.isOp(",") {
			if err := p.advance(); err != nil {
				return nil, err
			}
			if n.del, err = p.expression(0); err != nil {
				return nil, err
			}
		}
		return n, p.expect("|")
	case "%":
		return &node{kind: nParent, pos: t.pos}, nil
	}
	return nil, newErr("S0211", t.pos, t.value, "the symbol %q cannot be used as a unary operator", t.value)
}

// pairs parses `k: v, ...}` after an opening brace.
func (p *parser) pairs() ([][2]*node, error) {
	var out [][2]*node
	if !p.isOp("}") {
		for {
			k, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			if err := p.expect(":"); err != nil {
				return nil, err
			}
			v, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			out = append(out, [2]*node{k, v})
			if !p.isOp(",") {
				break
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
	}
	return out, p.expect("}")
}

func (p *parser) led(t token, left *node) (*node, error) {
	bp := operators[t.value]
	switch t.value {
	case ".", "+", "-", "*", "/", "%", "=", "!=", "<", "<=", ">", ">=", "&", "and", "or", "in", "??", "?:", "~>":
		rhs, err := p.expression(bp)
		if err != nil {
			return nil, err
		}
		return &node{kind: nBinary, op: t.value, lhs: left, rhs: rhs, pos: t.pos}, nil
	case ":=":
		rhs, err := p.expression(bp - 1)
		if err != nil {
			return nil, err
		}
		return &node{kind: nBinary, op: t.value, lhs: left, rhs: rhs, pos: t.pos}, nil
	case "(":
		return p.call(t, left)
	case "[":
		if p.isOp("]") {
			step := left
			for step.kind == nBinary && step.op == "[" && step.lhs != nil {
				step = step.lhs
			}
			step.keepArray = true
			return left, p.advance()
		}
		rhs, err := p.expression(0)
		if err != nil {
			return nil, err
		}
		return &node{kind: nBinary, op: "[", lhs: left, rhs: rhs, pos: t.pos}, p.expect("]")
	case "{":
		pairs, err := p.pairs()
		if err != nil {
			return nil, err
		}
		return &node{kind: nBinary, op: "{", lhs: left, pairs: pairs, pos: t.pos}, nil
	case "?":
		n := &node{kind: nCondition, cond: left, pos: t.pos}
		var err error
		if n.then, err = p.expression(0); err != nil {
			return nil, err
		}
		if p.isOp(":") {
			if err := p.advance(); err != nil {
				return nil, err
			}
			if n.els, err = p.expression(0); err != nil {
				return nil, err
			}
		}
		return n, nil
	case "^":
		if err := p.expect("("); err != nil {
			return nil, err
		}
		n := &node{kind: nSort, lhs: left, pos: t.pos}
		for {
			desc := false
			if p.isOp("<") {
				if err := p.advance(); err != nil {
					return nil, err
				}
			} else if p.isOp(">") {
				desc = true
				if err := p.advance(); err != nil {
					return nil, err
				}
			}
			e, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			n.terms = append(n.terms, sortTerm{expr: e, descending: desc})
			if !p.isOp(",") {
				break
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		return n, p.expect(")")
	case "@", "#":
		rhs, err := p.expression(bp)
		if err != nil {
			return nil, err
		}
		if rhs.kind != nVariable {
			return nil, newErr("S0214", rhs.pos, t.value, "the right side of %s must be a variable name (start with $)", t.value)
		}
		return &node{kind: nBinary, op: t.value, lhs: left, rhs: rhs, pos: t.pos}, nil
	}
	return nil, newErr("S0201", t.pos, t.value, "syntax error: unexpected %q", t.value)
}

func (p *parser) call(t token, left *node) (*node, error) {
	n := &node{kind: nFunction, procedure: left, pos: t.pos}
	if !p.isOp(")") {
		for {
			if p.isOp("?") {
				n.kind = nPartial
				n.items = append(n.items, &node{kind: nPlaceholer, pos: p.tok.pos})
				if err := p.advance(); err != nil {
					return nil, err
				}
			} else {
				a, err := p.expression(0)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, a)
			}
			if !p.isOp(",") {
				break
			}
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	if left.kind != nName || (left.op != "function" && left.op != "λ") {
		return n, nil
	}
	// lambda definition
	lam := &node{kind: nLambda, pos: t.pos}
	for _, a := range n.items {
		if a.kind != nVariable {
			return nil, codeErr("S0208", a.pos, a.op)
		}
		lam.params = append(lam.params, a.op)
	}
	if p.isOp("<") {
		// the signature is read from the raw source up to the matching '>'
		src := p.lx.src
		depth := 1
		i := p.lx.pos
		for i < len(src) && depth > 0 {
			switch src[i] {
			case '<':
				depth++
			case '>':
				depth--
			}
			i++
		}
		if depth != 0 {
			return nil, newErr("S0203", len(src), ">", "expected '>' before end of expression")
		}
		text := "<" + string(src[p.lx.pos:i])
		sig, err := parseSignature(text)
		if err != nil {
			return nil, err
		}
		lam.sig = sig
		p.lx.pos = i
		p.lx.prev = &token{kind: tokOperator, value: ">"}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	body, err := p.expression(0)
	if err != nil {
		return nil, err
	}
	lam.body = body
	return lam, p.expect("}")
}

func compileRegex(pattern, flags string) (*regexp.Regexp, error) {
	prefix := ""
	if strings.Contains(flags, "i") {
		prefix += "i"
	}
	if strings.Contains(flags, "m") {
		prefix += "m"
	}
	if prefix != "" {
		pattern = "(?" + prefix + ")" + pattern
	}
	return regexp.Compile(pattern)
}

// process turns the raw parse tree into the evaluation tree: '.' chains
// become path nodes with steps, predicates become filters or step stages,
// grouping and sorting attach to their operands, and focus (@), index (#)
// and parent (%) operators are resolved into tuple-stream steps, as
// jsonata-js's processAST does.
func (p *parser) process(n *node) (*node, error) {
	if n == nil {
		return nil, nil
	}
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxParseDepth {
		return nil, newErr("U1001", n.pos, "", "expression is nested too deeply")
	}
	res, err := p.processNode(n)
	if err != nil {
		return nil, err
	}
	if n.keepArray {
		res.keepArray = true
	}
	return res, nil
}

// seekParent walks back from node to find the step whose input a %
// refers to.
func (p *parser) seekParent(n *node, s *slot) (*slot, error) {
	switch n.kind {
	case nName, nWildcard:
		s.level--
		if s.level == 0 {
			if n.ancestor != nil {
				s.label = n.ancestor.label
			}
			n.ancestor = s
			n.tuple = true
		}
	case nParent:
		s.level++
	case nBlock:
		if len(n.items) > 0 {
			n.tuple = true
			return p.seekParent(n.items[len(n.items)-1], s)
		}
	case nPath:
		n.tuple = true
		index := len(n.items) - 1
		var err error
		if s, err = p.seekParent(n.items[index], s); err != nil {
			return nil, err
		}
		index--
		for s.level > 0 && index >= 0 {
			if s, err = p.seekParent(n.items[index], s); err != nil {
				return nil, err
			}
			index--
		}
	default:
		return nil, codeErr("S0217", n.pos, n.kind.String())
	}
	return s, nil
}

func pushAncestry(result, value *node) {
	if value == nil || (value.seekingParent == nil && value.kind != nParent) {
		return
	}
	slots := value.seekingParent
	if value.kind == nParent {
		slots = append(slots, value.slot)
	}
	result.seekingParent = append(result.seekingParent, slots...)
}

func (p *parser) resolveAncestry(path *node) error {
	last := path.items[len(path.items)-1]
	slots := last.seekingParent
	if last.kind == nParent {
		slots = append(append([]*slot(nil), slots...), last.slot)
	}
	for _, s := range slots {
		index := len(path.items) - 2
		for s.level > 0 {
			if index < 0 {
				path.seekingParent = append(path.seekingParent, s)
				break
			}
			step := path.items[index]
			index--
			for index >= 0 && step.hasFocus && path.items[index].hasFocus {
				step = path.items[index]
				index--
			}
			var err error
			if s, err = p.seekParent(step, s); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *parser) processNode(n *node) (*node, error) {
	var err error
	switch n.kind {
	case nBinary:
		switch n.op {
		case ".":
			return p.processPath(n)
		case "[":
			res, err := p.process(n.lhs)
			if err != nil {
				return nil, err
			}
			step := res
			stages := false
			if res.kind == nPath && len(res.items) > 0 {
				step = res.items[len(res.items)-1]
				stages = true
			}
			if step.group != nil {
				return nil, codeErr("S0209", n.pos, "")
			}
			pred, err := p.process(n.rhs)
			if err != nil {
				return nil, err
			}
			if pred.seekingParent != nil {
				for _, s := range pred.seekingParent {
					if s.level == 1 {
						if _, err := p.seekParent(step, s); err != nil {
							return nil, err
						}
					} else {
						s.level--
					}
				}
				pushAncestry(step, pred)
			}
			if stages {
				step.stages = append(step.stages, pred)
			} else {
				step.predicate = append(step.predicate, pred)
			}
			return res, nil
		case "{":
			res, err := p.process(n.lhs)
			if err != nil {
				return nil, err
			}
			if res.group != nil {
				return nil, codeErr("S0210", n.pos, "")
			}
			g := &node{kind: nObject, pos: n.pos}
			if g.pairs, err = p.processPairs(n.pairs, nil); err != nil {
				return nil, err
			}
			res.group = g
			return res, nil
		case ":=":
			if n.lhs == nil || n.lhs.kind != nVariable {
				return nil, codeErr("S0212", n.pos, "")
			}
			rhs, err := p.process(n.rhs)
			if err != nil {
				return nil, err
			}
			b := &node{kind: nBind, op: n.lhs.op, rhs: rhs, pos: n.pos}
			pushAncestry(b, rhs)
			return b, nil
		case "~>":
			lhs, err := p.process(n.lhs)
			if err != nil {
				return nil, err
			}
			rhs, err := p.process(n.rhs)
			if err != nil {
				return nil, err
			}
			return &node{kind: nApply, lhs: lhs, rhs: rhs, pos: n.pos, keepArray: n.keepArray || lhs.keepArray || rhs.keepArray}, nil
		case "@":
			res, err := p.process(n.lhs)
			if err != nil {
				return nil, err
			}
			step := res
			if res.kind == nPath {
				step = res.items[len(res.items)-1]
			}
			if step.stages != nil || step.predicate != nil {
				return nil, codeErr("S0215", n.pos, "")
			}
			if step.kind == nSort {
				return nil, codeErr("S0216", n.pos, "")
			}
			if n.keepArray {
				step.keepArray = true
			}
			step.focus = n.rhs.op
			step.hasFocus = true
			step.tuple = true
			return res, nil
		case "#":
			res, err := p.process(n.lhs)
			if err != nil {
				return nil, err
			}
			step := res
			if res.kind == nPath {
				step = res.items[len(res.items)-1]
			} else {
				res = &node{kind: nPath, items: []*node{res}, pos: res.pos}
				if step.predicate != nil {
					step.stages = step.predicate
					step.predicate = nil
				}
			}
			if step.stages == nil {
				step.index = n.rhs.op
			} else {
				step.stages = append(step.stages, &node{kind: nIndexStage, op: n.rhs.op, pos: n.pos})
			}
			step.tuple = true
			return res, nil
		}
		if n.lhs, err = p.process(n.lhs); err != nil {
			return nil, err
		}
		if n.rhs, err = p.process(n.rhs); err != nil {
			return nil, err
		}
		pushAncestry(n, n.lhs)
		pushAncestry(n, n.rhs)
		return n, nil
	case nArray, nBlock:
		for i, it := range n.items {
			if n.items[i], err = p.process(it); err != nil {
				return nil, err
			}
			pushAncestry(n, n.items[i])
		}
		return n, nil
	case nObject:
		if n.pairs, err = p.processPairs(n.pairs, n); err != nil {
			return nil, err
		}
		return n, nil
	case nNegate:
		if n.lhs, err = p.process(n.lhs); err != nil {
			return nil, err
		}
		pushAncestry(n, n.lhs)
		return n, nil
	case nFunction, nPartial:
		for i, it := range n.items {
			if n.items[i], err = p.process(it); err != nil {
				return nil, err
			}
			pushAncestry(n, n.items[i])
		}
		if n.procedure, err = p.process(n.procedure); err != nil {
			return nil, err
		}
		return n, nil
	case nLambda:
		body, err := p.process(n.body)
		if err != nil {
			return nil, err
		}
		n.body = tailCallOptimize(body)
		return n, nil
	case nCondition:
		if n.cond, err = p.process(n.cond); err != nil {
			return nil, err
		}
		pushAncestry(n, n.cond)
		if n.then, err = p.process(n.then); err != nil {
			return nil, err
		}
		pushAncestry(n, n.then)
		if n.els, err = p.process(n.els); err != nil {
			return nil, err
		}
		pushAncestry(n, n.els)
		return n, nil
	case nTransform:
		if n.lhs, err = p.process(n.lhs); err != nil {
			return nil, err
		}
		if n.update, err = p.process(n.update); err != nil {
			return nil, err
		}
		if n.del, err = p.process(n.del); err != nil {
			return nil, err
		}
		return n, nil
	case nSort:
		res, err := p.process(n.lhs)
		if err != nil {
			return nil, err
		}
		if res.kind != nPath {
			res = &node{kind: nPath, items: []*node{res}, pos: res.pos}
		}
		st := &node{kind: nSort, pos: n.pos}
		for _, term := range n.terms {
			e, err := p.process(term.expr)
			if err != nil {
				return nil, err
			}
			pushAncestry(st, e)
			st.terms = append(st.terms, sortTerm{expr: e, descending: term.descending})
		}
		res.items = append(res.items, st)
		if err := p.resolveAncestry(res); err != nil {
			return nil, err
		}
		return res, nil
	case nName:
		path := &node{kind: nPath, items: []*node{n}, pos: n.pos}
		if n.keepArray {
			path.keepSingletonArray = true
		}
		return path, nil
	case nParent:
		n.slot = &slot{label: "!" + itoa(p.labels), level: 1, index: len(p.ancestry)}
		p.labels++
		p.ancestry = append(p.ancestry, n)
		return n, nil
	}
	return n, nil
}

func (p *parser) processPairs(pairs [][2]*node, anc *node) ([][2]*node, error) {
	out := make([][2]*node, len(pairs))
	for i, pr := range pairs {
		k, err := p.process(pr[0])
		if err != nil {
			return nil, err
		}
		v, err := p.process(pr[1])
		if err != nil {
			return nil, err
		}
		if anc != nil {
			pushAncestry(anc, k)
			pushAncestry(anc, v)
		}
		out[i] = [2]*node{k, v}
	}
	return out, nil
}

func (p *parser) processPath(n *node) (*node, error) {
	lstep, err := p.process(n.lhs)
	if err != nil {
		return nil, err
	}
	var res *node
	if lstep.kind == nPath {
		res = lstep
	} else {
		res = &node{kind: nPath, items: []*node{lstep}, pos: n.pos}
	}
	if lstep.kind == nParent {
		res.seekingParent = []*slot{lstep.slot}
	}
	rest, err := p.process(n.rhs)
	if err != nil {
		return nil, err
	}
	if rest.kind == nPath {
		res.items = append(res.items, rest.items...)
		if rest.keepSingletonArray {
			res.keepSingletonArray = true
		}
		if rest.group != nil {
			if res.group != nil {
				return nil, codeErr("S0210", n.pos, "")
			}
			res.group = rest.group
		}
	} else {
		if rest.predicate != nil {
			rest.stages = rest.predicate
			rest.predicate = nil
		}
		res.items = append(res.items, rest)
	}
	for _, step := range res.items {
		switch step.kind {
		case nNumber, nValue:
			return nil, codeErr("S0213", step.pos, "")
		case nString:
			step.kind = nName
		}
		if step.keepArray {
			res.keepSingletonArray = true
		}
	}
	if first := res.items[0]; first.kind == nArray {
		first.consArray = true
	}
	if last := res.items[len(res.items)-1]; last.kind == nArray {
		last.consArray = true
	}
	if err := p.resolveAncestry(res); err != nil {
		return nil, err
	}
	return res, nil
}

func tailCallOptimize(n *node) *node {
	if n == nil {
		return nil
	}
	switch n.kind {
	case nFunction:
		if len(n.predicate) == 0 && n.group == nil {
			return &node{kind: nLambda, thunk: true, body: n, pos: n.pos}
		}
	case nCondition:
		n.then = tailCallOptimize(n.then)
		n.els = tailCallOptimize(n.els)
	case nBlock:
		if len(n.items) > 0 {
			n.items[len(n.items)-1] = tailCallOptimize(n.items[len(n.items)-1])
		}
	}
	return n
}
