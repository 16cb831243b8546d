package cost

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"time"
)

//go:embed prices.json
var defaultPrices []byte

// Prices is a price table: what each billed unit costs, in Currency, in
// Region, as listed on Date.
type Prices struct {
	Date     string `json:"date"`
	Region   string `json:"region"`
	Currency string `json:"currency"`
	Source   string `json:"source,omitempty"`
	// StandardPerTransition is the price of one state transition of a
	// STANDARD execution.
	StandardPerTransition float64 `json:"standardPerTransition"`
	// ExpressPerRequest is the price of starting one EXPRESS execution,
	// ExpressPerGBSecond that of its duration, at ExpressMemoryMB.
	ExpressPerRequest  float64 `json:"expressPerRequest"`
	ExpressPerGBSecond float64 `json:"expressPerGBSecond"`
	ExpressMemoryMB    int64   `json:"expressMemoryMB"`
	// LambdaPerRequest is the price of one invocation of a function,
	// LambdaPerGBSecond that of its duration at its memory.
	LambdaPerRequest  float64 `json:"lambdaPerRequest"`
	LambdaPerGBSecond float64 `json:"lambdaPerGBSecond"`
}

// Default returns the embedded table.
func Default() Prices {
	var p Prices
	if err := json.Unmarshal(defaultPrices, &p); err != nil {
		panic("cost: the embedded prices.json: " + err.Error())
	}
	return p
}

// Load reads an operator's table from path: a JSON object of Prices'
// fields; the fields it leaves out keep their default, and an unknown one
// is refused (a misspelt price must not silently stay the default).
func Load(path string) (Prices, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Prices{}, err
	}
	return Parse(b)
}

// Parse is Load of a file's content.
func Parse(b []byte) (Prices, error) {
	p := Default()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Prices{}, fmt.Errorf("cost: price table: %w", err)
	}
	for name, v := range map[string]float64{
		"standardPerTransition": p.StandardPerTransition, "expressPerRequest": p.ExpressPerRequest,
		"expressPerGBSecond": p.ExpressPerGBSecond, "lambdaPerRequest": p.LambdaPerRequest, "lambdaPerGBSecond": p.LambdaPerGBSecond,
	} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return Prices{}, fmt.Errorf("cost: price table: %s must be a price of 0 or more", name)
		}
	}
	if p.ExpressMemoryMB <= 0 {
		return Prices{}, fmt.Errorf("cost: price table: expressMemoryMB must be a positive number of MB")
	}
	return p, nil
}

// Standard is the price of n transitions of a STANDARD execution.
func (p Prices) Standard(n int64) float64 { return float64(n) * p.StandardPerTransition }

// ExpressBilled is what AWS bills an EXPRESS execution that ran for d:
// its duration rounded up to 100 ms, and its memory (ExpressMemoryMB)
// rounded up to a multiple of 64 MB.
func (p Prices) ExpressBilled(d time.Duration) (ms, memoryMB int64) {
	ms = ceilTo(max(d.Milliseconds()+boolInt(d%time.Millisecond != 0), 1), 100)
	return ms, ceilTo(p.ExpressMemoryMB, 64)
}

// Express is the price of one EXPRESS execution that ran for d.
func (p Prices) Express(d time.Duration) float64 {
	ms, mb := p.ExpressBilled(d)
	return p.ExpressPerRequest + gbSeconds(ms, mb)*p.ExpressPerGBSecond
}

// LambdaBilledMs is an invocation's billed duration: rounded up to 1 ms.
func LambdaBilledMs(d time.Duration) int64 {
	return max(d.Milliseconds()+boolInt(d%time.Millisecond != 0), 1)
}

// Lambda is the price of one invocation billed ms at memoryMB.
func (p Prices) Lambda(ms, memoryMB int64) float64 {
	return p.LambdaPerRequest + gbSeconds(ms, memoryMB)*p.LambdaPerGBSecond
}

func gbSeconds(ms, mb int64) float64 { return float64(ms) / 1000 * float64(mb) / 1024 }

func ceilTo(n, step int64) int64 {
	if n <= 0 {
		return step
	}
	return (n + step - 1) / step * step
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
