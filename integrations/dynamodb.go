package integrations

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/statecraft/statecraft/jsonv"
	"github.com/statecraft/statecraft/taskport"
)

// avMaps are the request fields holding attribute values, in DynamoDB's
// JSON form ({"S": "text"}, {"N": "12"}, {"M": {...}}, ...), which the
// SDK's structs cannot decode from JSON themselves.
var avMaps = []string{"Key", "Item", "ExpressionAttributeValues"}

func dynamo(ctx context.Context, c *dynamodb.Client, action string, params *jsonv.Object) (any, error) {
	resource := "dynamodb:" + action
	maps := map[string]map[string]types.AttributeValue{}
	rest := params
	for _, f := range avMaps {
		v, ok := params.Get(f)
		if !ok {
			continue
		}
		m, err := avMap(v)
		if err != nil {
			return nil, taskport.Fail("States.Runtime", fmt.Sprintf("The parameters of %s do not match the service's request: %s: %v.", resource, f, err))
		}
		maps[f] = m
		rest = rest.Clone(0)
		rest.Delete(f)
	}
	var (
		err  error
		meta func() any
	)
	switch action {
	case "getItem":
		var in dynamodb.GetItemInput
		if err := decode(resource, rest, &in); err != nil {
			return nil, err
		}
		in.Key = maps["Key"]
		if err := only(resource, maps, "Key"); err != nil {
			return nil, err
		}
		o, e := c.GetItem(ctx, &in)
		err = e
		if e == nil {
			meta = func() any {
				m := map[string]any{}
				if o.Item != nil {
					m["Item"] = avMapJSON(o.Item)
				}
				if o.ConsumedCapacity != nil {
					m["ConsumedCapacity"] = o.ConsumedCapacity
				}
				return finish(m, o.ResultMetadata)
			}
		}
	case "putItem":
		var in dynamodb.PutItemInput
		if err := decode(resource, rest, &in); err != nil {
			return nil, err
		}
		if err := only(resource, maps, "Item", "ExpressionAttributeValues"); err != nil {
			return nil, err
		}
		in.Item, in.ExpressionAttributeValues = maps["Item"], maps["ExpressionAttributeValues"]
		o, e := c.PutItem(ctx, &in)
		err = e
		if e == nil {
			meta = func() any {
				return written(o.Attributes, o.ConsumedCapacity, o.ItemCollectionMetrics, o.ResultMetadata)
			}
		}
	case "updateItem":
		var in dynamodb.UpdateItemInput
		if err := decode(resource, rest, &in); err != nil {
			return nil, err
		}
		if err := only(resource, maps, "Key", "ExpressionAttributeValues"); err != nil {
			return nil, err
		}
		in.Key, in.ExpressionAttributeValues = maps["Key"], maps["ExpressionAttributeValues"]
		o, e := c.UpdateItem(ctx, &in)
		err = e
		if e == nil {
			meta = func() any {
				return written(o.Attributes, o.ConsumedCapacity, o.ItemCollectionMetrics, o.ResultMetadata)
			}
		}
	case "deleteItem":
		var in dynamodb.DeleteItemInput
		if err := decode(resource, rest, &in); err != nil {
			return nil, err
		}
		in.Key, in.ExpressionAttributeValues = maps["Key"], maps["ExpressionAttributeValues"]
		if err := only(resource, maps, "Key", "ExpressionAttributeValues"); err != nil {
			return nil, err
		}
		o, e := c.DeleteItem(ctx, &in)
		err = e
		if e == nil {
			meta = func() any {
				return written(o.Attributes, o.ConsumedCapacity, o.ItemCollectionMetrics, o.ResultMetadata)
			}
		}
	default:
		return nil, taskport.ErrNotSupported
	}
	if err != nil {
		return nil, dynamoAPI.fail(err)
	}
	return meta(), nil
}

// only refuses an attribute-value field the operation does not take.
func only(resource string, maps map[string]map[string]types.AttributeValue, allowed ...string) error {
	for f := range maps {
		ok := false
		for _, a := range allowed {
			ok = ok || a == f
		}
		if !ok {
			return taskport.Fail("States.Runtime", fmt.Sprintf("The parameters of %s do not match the service's request: unknown field %q.", resource, f))
		}
	}
	return nil
}

func written(attrs map[string]types.AttributeValue, cc *types.ConsumedCapacity, icm *types.ItemCollectionMetrics, meta middleware.Metadata) any {
	m := map[string]any{}
	if attrs != nil {
		m["Attributes"] = avMapJSON(attrs)
	}
	if cc != nil {
		m["ConsumedCapacity"] = cc
	}
	if icm != nil {
		x := map[string]any{"ItemCollectionKey": avMapJSON(icm.ItemCollectionKey)}
		if icm.SizeEstimateRangeGB != nil {
			x["SizeEstimateRangeGB"] = icm.SizeEstimateRangeGB
		}
		m["ItemCollectionMetrics"] = x
	}
	return finish(m, meta)
}

func finish(m map[string]any, meta middleware.Metadata) any {
	v, err := result(m, meta, true)
	if err != nil {
		return nil
	}
	return v
}

func avMap(v any) (map[string]types.AttributeValue, error) {
	o, ok := v.(*jsonv.Object)
	if !ok {
		return nil, fmt.Errorf("must be an object of attribute values, got %s", jsonv.TypeName(v))
	}
	out := make(map[string]types.AttributeValue, o.Len())
	for k, e := range o.All() {
		av, err := attributeValue(e)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", k, err)
		}
		out[k] = av
	}
	return out, nil
}

// attributeValue reads one attribute value: an object with exactly one
// of DynamoDB's type keys.
func attributeValue(v any) (types.AttributeValue, error) {
	o, ok := v.(*jsonv.Object)
	if !ok || o.Len() != 1 {
		return nil, fmt.Errorf("an attribute value is an object with one of S, N, B, BOOL, NULL, M, L, SS, NS, BS, got %s", jsonv.String(v))
	}
	typ, val := o.KeyAt(0), o.ValueAt(0)
	str := func() (string, error) {
		s, ok := val.(string)
		if !ok {
			return "", fmt.Errorf("%s takes a string, got %s", typ, jsonv.TypeName(val))
		}
		return s, nil
	}
	strs := func() ([]string, error) {
		l, ok := val.([]any)
		if !ok {
			return nil, fmt.Errorf("%s takes an array of strings, got %s", typ, jsonv.TypeName(val))
		}
		out := make([]string, len(l))
		for i, e := range l {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%s takes an array of strings, got %s in it", typ, jsonv.TypeName(e))
			}
			out[i] = s
		}
		return out, nil
	}
	switch typ {
	case "S":
		s, err := str()
		return &types.AttributeValueMemberS{Value: s}, err
	case "N":
		s, err := str()
		return &types.AttributeValueMemberN{Value: s}, err
	case "B":
		s, err := str()
		if err != nil {
			return nil, err
		}
		b, err := base64.StdEncoding.DecodeString(s)
		return &types.AttributeValueMemberB{Value: b}, err
	case "BOOL":
		b, ok := val.(bool)
		if !ok {
			return nil, fmt.Errorf("BOOL takes true or false")
		}
		return &types.AttributeValueMemberBOOL{Value: b}, nil
	case "NULL":
		b, ok := val.(bool)
		if !ok {
			return nil, fmt.Errorf("NULL takes true")
		}
		return &types.AttributeValueMemberNULL{Value: b}, nil
	case "M":
		m, err := avMap(val)
		return &types.AttributeValueMemberM{Value: m}, err
	case "L":
		l, ok := val.([]any)
		if !ok {
			return nil, fmt.Errorf("L takes an array of attribute values")
		}
		out := make([]types.AttributeValue, len(l))
		for i, e := range l {
			av, err := attributeValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = av
		}
		return &types.AttributeValueMemberL{Value: out}, nil
	case "SS":
		s, err := strs()
		return &types.AttributeValueMemberSS{Value: s}, err
	case "NS":
		s, err := strs()
		return &types.AttributeValueMemberNS{Value: s}, err
	case "BS":
		s, err := strs()
		if err != nil {
			return nil, err
		}
		out := make([][]byte, len(s))
		for i, e := range s {
			if out[i], err = base64.StdEncoding.DecodeString(e); err != nil {
				return nil, err
			}
		}
		return &types.AttributeValueMemberBS{Value: out}, nil
	}
	return nil, fmt.Errorf("unknown attribute type %q; expected S, N, B, BOOL, NULL, M, L, SS, NS or BS", typ)
}

func avMapJSON(m map[string]types.AttributeValue) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = avJSON(v)
	}
	return out
}

func avJSON(v types.AttributeValue) map[string]any {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": x.Value}
	case *types.AttributeValueMemberN:
		return map[string]any{"N": x.Value}
	case *types.AttributeValueMemberB:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(x.Value)}
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": x.Value}
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": x.Value}
	case *types.AttributeValueMemberM:
		return map[string]any{"M": avMapJSON(x.Value)}
	case *types.AttributeValueMemberL:
		l := make([]any, len(x.Value))
		for i, e := range x.Value {
			l[i] = avJSON(e)
		}
		return map[string]any{"L": l}
	case *types.AttributeValueMemberSS:
		return map[string]any{"SS": strList(x.Value)}
	case *types.AttributeValueMemberNS:
		return map[string]any{"NS": strList(x.Value)}
	case *types.AttributeValueMemberBS:
		l := make([]any, len(x.Value))
		for i, b := range x.Value {
			l[i] = base64.StdEncoding.EncodeToString(b)
		}
		return map[string]any{"BS": l}
	}
	return map[string]any{}
}

func strList(s []string) []any {
	s = append([]string(nil), s...)
	sort.Strings(s)
	out := make([]any, len(s))
	for i, e := range s {
		out[i] = e
	}
	return out
}
