package awssdk

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/statecraft/statecraft/jsonv"
)

// unions maps each union interface the services' shapes use to its
// members by JSON key. The Go SDK models a union as an interface whose
// members are *XMemberKEY structs with one Value field; Go cannot list an
// interface's implementations, so they are listed here.
var unions = map[reflect.Type]map[string]reflect.Type{}

func union[I any](members ...I) {
	m := map[string]reflect.Type{}
	for _, v := range members {
		t := reflect.TypeOf(v).Elem()
		_, key, _ := strings.Cut(t.Name(), "Member")
		m[key] = t
	}
	unions[reflect.TypeFor[I]()] = m
}

func init() {
	union[types.AttributeValue](&types.AttributeValueMemberB{}, &types.AttributeValueMemberBOOL{},
		&types.AttributeValueMemberBS{}, &types.AttributeValueMemberL{}, &types.AttributeValueMemberM{},
		&types.AttributeValueMemberN{}, &types.AttributeValueMemberNS{}, &types.AttributeValueMemberNULL{},
		&types.AttributeValueMemberS{}, &types.AttributeValueMemberSS{})
}

var (
	timeType   = reflect.TypeFor[time.Time]()
	readerType = reflect.TypeFor[io.Reader]()
	bytesType  = reflect.TypeFor[[]byte]()
	stringType = reflect.TypeFor[string]()

	readCloserType = reflect.TypeFor[io.ReadCloser]()
)

// decodeError is a parameter the input shape cannot take.
type decodeError struct {
	path    string
	unknown bool // the field is not a member of the shape
	msg     string
}

func (e *decodeError) Error() string { return e.message("Parameters") }

func (e *decodeError) message(where string) string {
	if e.unknown {
		return fmt.Sprintf("The field %q is not supported by Step Functions at %s", e.path, where)
	}
	return fmt.Sprintf("The value at %q for %s %s", e.path, where, e.msg)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func mismatch(path string, want string, v any) error {
	return &decodeError{path: path, msg: "must be " + want + ", not " + jsonv.TypeName(v)}
}

// blob is the bytes of a blob or streaming member: the JSON text of its
// value, a string's included ("text" is sent as "\"text\""). AWS does
// this: an aws-sdk:s3:putObject with "Body": "text data" stores the 11
// bytes "text data" in quotes, and one with an object stores the object's
// JSON.
func blob(v any) []byte { return jsonv.Marshal(v) }

// textPlain is the ContentType AWS gives an object that aws-sdk:s3:
// putObject stores without one.
const textPlain = "text/plain; charset=UTF-8"

// decode sets dst from the jsonv value v. A null leaves dst unset, as an
// absent member.
func decode(v any, dst reflect.Value, path string) error {
	if v == nil {
		return nil
	}
	t := dst.Type()
	switch {
	case t == timeType:
		switch x := v.(type) {
		case string:
			tm, err := time.Parse(time.RFC3339Nano, x)
			if err != nil {
				return &decodeError{path: path, msg: "must be an ISO 8601 timestamp (2024-05-01T10:00:00Z), not " + strconv.Quote(x)}
			}
			dst.Set(reflect.ValueOf(tm))
			return nil
		default:
			f, ok := jsonv.Number(v)
			if !ok {
				return mismatch(path, "a timestamp", v)
			}
			sec, frac := math.Modf(f)
			dst.Set(reflect.ValueOf(time.Unix(int64(sec), int64(frac*1e9)).UTC()))
			return nil
		}
	case t == bytesType:
		dst.SetBytes(blob(v))
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		if err := decode(v, p.Elem(), path); err != nil {
			return err
		}
		dst.Set(p)
	case reflect.Struct:
		o, ok := v.(*jsonv.Object)
		if !ok {
			return mismatch(path, "an object", v)
		}
		for k, fv := range o.All() {
			f, ok := t.FieldByName(k)
			if !ok || !f.IsExported() || len(f.Index) != 1 || f.Name == "ResultMetadata" {
				return &decodeError{path: join(path, k), unknown: true}
			}
			if err := decode(fv, dst.FieldByIndex(f.Index), join(path, k)); err != nil {
				return err
			}
		}
		// A body sent without a ContentType is text, as AWS labels it.
		if body := dst.FieldByName("Body"); body.IsValid() && body.Type() == readerType && !body.IsNil() {
			if ct := dst.FieldByName("ContentType"); ct.IsValid() && ct.Type() == reflect.TypeFor[*string]() && ct.IsNil() {
				s := textPlain
				ct.Set(reflect.ValueOf(&s))
			}
		}
	case reflect.Interface:
		if t == readerType {
			// A streaming body (S3 PutObject's Body); a bytes.Reader can be
			// re-read for signing and retries.
			dst.Set(reflect.ValueOf(bytes.NewReader(blob(v))))
			return nil
		}
		members, ok := unions[t]
		if !ok {
			return &decodeError{path: path, msg: "has a type (" + t.String() + ") this server cannot send"}
		}
		o, ok := v.(*jsonv.Object)
		if !ok || o.Len() != 1 {
			keys := make([]string, 0, len(members))
			for k := range members {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			return &decodeError{path: path, msg: "must be an object with exactly one of " + strings.Join(keys, ", ")}
		}
		key := o.KeyAt(0)
		mt, ok := members[key]
		if !ok {
			return &decodeError{path: join(path, key), unknown: true}
		}
		m := reflect.New(mt)
		if err := decode(o.ValueAt(0), m.Elem().FieldByName("Value"), join(path, key)); err != nil {
			return err
		}
		dst.Set(m)
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			// AWS sends a string member's non-string value as its JSON
			// text: sfn startExecution's Input given an object starts
			// the execution with that object.
			s = string(jsonv.Marshal(v))
		}
		dst.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return mismatch(path, "a boolean", v)
		}
		dst.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := jsonv.Integer(v)
		if !ok || dst.OverflowInt(i) {
			return mismatch(path, "an integer that fits "+t.Kind().String(), v)
		}
		dst.SetInt(i)
	case reflect.Float32, reflect.Float64:
		f, ok := jsonv.Number(v)
		if !ok {
			return mismatch(path, "a number", v)
		}
		dst.SetFloat(f)
	case reflect.Slice:
		a, ok := v.([]any)
		if !ok {
			return mismatch(path, "an array", v)
		}
		s := reflect.MakeSlice(t, len(a), len(a))
		for i, e := range a {
			if err := decode(e, s.Index(i), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		dst.Set(s)
	case reflect.Map:
		o, ok := v.(*jsonv.Object)
		if !ok || t.Key().Kind() != reflect.String {
			return mismatch(path, "an object", v)
		}
		m := reflect.MakeMapWithSize(t, o.Len())
		for k, e := range o.All() {
			ev := reflect.New(t.Elem()).Elem()
			if err := decode(e, ev, join(path, k)); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), ev)
		}
		dst.Set(m)
	default:
		return &decodeError{path: path, msg: "has a type (" + t.String() + ") this server cannot send"}
	}
	return nil
}

// encodeOutput renders an *Output struct of svc.
func encodeOutput(svc service, v reflect.Value) (*jsonv.Object, error) {
	t := v.Type()
	o := jsonv.NewObject(t.NumField())
	var stream string
	var body any
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Name == "ResultMetadata" {
			continue
		}
		val, ok, err := encode(v.Field(i))
		if err != nil {
			return nil, err
		}
		if !ok && svc.name == "s3" && f.Name == "Metadata" && f.Type.Kind() == reflect.Map {
			// S3's user metadata (the x-amz-meta-* headers) is {} in
			// AWS's results when the object has none.
			val, ok = jsonv.NewObject(0), true
		}
		if !ok {
			continue
		}
		if f.Type == readCloserType {
			// The streaming body comes last, as in AWS's getObject
			// results.
			stream, body = f.Name, val
			continue
		}
		o.Append(f.Name, val)
	}
	if stream != "" {
		o.Append(stream, body)
	}
	return o, nil
}

// formatTime writes t as Java's Instant.toString does, which is how Step
// Functions' results show timestamps: UTC, the fraction in groups of three
// digits and none when zero.
func formatTime(t time.Time) string {
	t = t.UTC()
	s := t.Format("2006-01-02T15:04:05")
	if ns := t.Nanosecond(); ns != 0 {
		switch {
		case ns%1e6 == 0:
			s += fmt.Sprintf(".%03d", ns/1e6)
		case ns%1e3 == 0:
			s += fmt.Sprintf(".%06d", ns/1e3)
		default:
			s += fmt.Sprintf(".%09d", ns)
		}
	}
	return s + "Z"
}

// encode renders v as a jsonv value; ok is false for an absent member (a
// nil pointer, slice, map or interface, an unset enum), which the result
// leaves out. A map's members are in key order: the SDK's Go maps do not
// keep the order the service sent.
func encode(v reflect.Value) (any, bool, error) {
	t := v.Type()
	switch {
	case t == timeType:
		return formatTime(v.Interface().(time.Time)), true, nil
	case t == bytesType:
		if v.IsNil() {
			return nil, false, nil
		}
		return string(v.Bytes()), true, nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil, false, nil
		}
		return encode(v.Elem())
	case reflect.Interface:
		if v.IsNil() {
			return nil, false, nil
		}
		if rc, ok := v.Interface().(io.ReadCloser); ok {
			// S3 GetObject's Body: Step Functions returns the object's
			// content as text.
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				return nil, false, err
			}
			return string(b), true, nil
		}
		e := v.Elem()
		et := e.Type()
		if et.Kind() == reflect.Pointer {
			et = et.Elem()
		}
		if _, key, ok := strings.Cut(et.Name(), "Member"); ok && et.Kind() == reflect.Struct {
			// A union member renders as {"KEY": value}; a member newer
			// than the SDK arrives as UnknownUnionMember with its key in
			// Tag.
			if tag := reflect.Indirect(e).FieldByName("Tag"); key == "" && tag.IsValid() {
				key = tag.String()
			}
			val, _, err := encode(reflect.Indirect(e).FieldByName("Value"))
			if err != nil {
				return nil, false, err
			}
			return jsonv.ObjectOf(key, val), true, nil
		}
		return encode(e)
	case reflect.Struct:
		o := jsonv.NewObject(t.NumField())
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Name == "ResultMetadata" {
				continue
			}
			val, ok, err := encode(v.Field(i))
			if err != nil {
				return nil, false, err
			}
			if ok {
				o.Append(f.Name, val)
			}
		}
		return o, true, nil
	case reflect.String:
		// The SDK's enums are named string types held by value, so an
		// enum the service did not return is "", which no enum has as a
		// value: it is absent.
		if v.Len() == 0 && t != stringType {
			return nil, false, nil
		}
		return v.String(), true, nil
	case reflect.Bool:
		return v.Bool(), true, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int(), true, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(v.Uint()), true, nil
	case reflect.Float32, reflect.Float64:
		return v.Float(), true, nil
	case reflect.Slice:
		if v.IsNil() {
			return nil, false, nil
		}
		a := make([]any, v.Len())
		for i := range a {
			e, _, err := encode(v.Index(i))
			if err != nil {
				return nil, false, err
			}
			a[i] = e
		}
		return a, true, nil
	case reflect.Map:
		if v.IsNil() {
			return nil, false, nil
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		o := jsonv.NewObject(len(keys))
		for _, k := range keys {
			e, _, err := encode(v.MapIndex(k))
			if err != nil {
				return nil, false, err
			}
			o.Append(k.String(), e)
		}
		return o, true, nil
	}
	return nil, false, fmt.Errorf("the result has a member of type %s this server cannot render", t)
}
