package proxy

// The classic configuration file, for running the proxy as a plain load
// balancer:
//
//	{"port": ":8080", "healthCheckInterval": "2s",
//	 "servers": ["http://localhost:5001", "http://localhost:5002"]}
//
// with optional "algorithm", "params", "healthCheckPath",
// "healthCheckMethod", "timeout", "retries", "exposeBackend",
// "trustForwarded" and "sessionCookie" (Config.SessionCookie).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// classicKeys are the keys of a classic file, in the order errors list them.
var classicKeys = []string{
	"port", "healthCheckInterval", "servers", "algorithm", "params",
	"healthCheckPath", "healthCheckMethod", "timeout", "retries",
	"exposeBackend", "trustForwarded", "sessionCookie",
}

// LoadClassic reads a classic configuration file. Its defaults are those of
// the simple balancer it replaces: round-robin; listen on "port" (default
// ":8080", every interface; a bare number means that port); every
// healthCheckInterval (default 2s), a HEAD request (healthCheckMethod) to the
// server's URL as written, or to URL + healthCheckPath if given, healthy on
// 200 within the interval; rise 1, fall 1 (one failed check takes a server
// out, one success brings it back); no timeout, no retries. "servers" is
// required. Unknown keys are errors, as are values of the wrong type.
func LoadClassic(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	cfg, err := parseClassic(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

func parseClassic(data []byte) (Config, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
			return Config{}, fmt.Errorf("line %d: %w", line, err)
		}
		return Config{}, fmt.Errorf("want a JSON object of settings: %w", err)
	}
	for _, k := range sortedKeys(raw) {
		if !slices.Contains(classicKeys, k) {
			return Config{}, fmt.Errorf("unknown key %q (known: %s)", k, strings.Join(classicKeys, ", "))
		}
	}
	var c struct {
		Port, HealthCheckInterval, Algorithm string
		HealthCheckPath, HealthCheckMethod   string
		Timeout, SessionCookie               string
		Servers                              []string
		Params                               map[string]any
		Retries                              int
		ExposeBackend, TrustForwarded        bool
	}
	fields := map[string]any{
		"port": &c.Port, "healthCheckInterval": &c.HealthCheckInterval,
		"servers": &c.Servers, "algorithm": &c.Algorithm, "params": &c.Params,
		"healthCheckPath": &c.HealthCheckPath, "healthCheckMethod": &c.HealthCheckMethod,
		"timeout": &c.Timeout, "retries": &c.Retries,
		"exposeBackend": &c.ExposeBackend, "trustForwarded": &c.TrustForwarded,
		"sessionCookie": &c.SessionCookie,
	}
	for _, k := range sortedKeys(raw) {
		d := json.NewDecoder(bytes.NewReader(raw[k]))
		d.UseNumber()
		if err := d.Decode(fields[k]); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return Config{}, fmt.Errorf("%s: got %s, want %s", k, te.Value, jsonType(fields[k]))
			}
			return Config{}, fmt.Errorf("%s: %w", k, err)
		}
	}
	_, hasPath := raw["healthCheckPath"]
	if len(c.Servers) == 0 {
		return Config{}, errors.New(`"servers" is required: a list of server URLs, e.g. ["http://localhost:5001"]`)
	}
	params, err := numbersToFloats(c.Params)
	if err != nil {
		return Config{}, fmt.Errorf("params: %w", err)
	}
	cfg := Config{
		Listen:         ":8080",
		Algorithm:      DefaultAlgorithm,
		Params:         params,
		Retries:        c.Retries,
		ExposeBackend:  c.ExposeBackend,
		TrustForwarded: c.TrustForwarded,
		SessionCookie:  c.SessionCookie,
	}
	if c.Algorithm != "" {
		cfg.Algorithm = c.Algorithm
	}
	if c.Port != "" {
		cfg.Listen = c.Port
		if !strings.Contains(c.Port, ":") {
			cfg.Listen = ":" + c.Port
		}
	}
	if c.Retries < 0 {
		return Config{}, fmt.Errorf("retries: %d is negative", c.Retries)
	}
	interval := 2 * time.Second
	if c.HealthCheckInterval != "" {
		if interval, err = classicDuration("healthCheckInterval", c.HealthCheckInterval); err != nil {
			return Config{}, err
		}
		if interval <= 0 {
			return Config{}, fmt.Errorf("healthCheckInterval: %q must be positive", c.HealthCheckInterval)
		}
	}
	if c.Timeout != "" {
		if cfg.Timeout, err = classicDuration("timeout", c.Timeout); err != nil {
			return Config{}, err
		}
	}
	cfg.Health = &HealthCheck{
		Interval: interval,
		Timeout:  interval,
		Rise:     1,
		Fall:     1,
		Method:   "HEAD",
		BareURL:  !hasPath,
		Path:     c.HealthCheckPath,
	}
	if c.HealthCheckMethod != "" {
		cfg.Health.Method = strings.ToUpper(c.HealthCheckMethod)
	}
	for _, s := range c.Servers {
		cfg.Backends = append(cfg.Backends, Backend{URL: s})
	}
	// Check everything New checks, so that a bad file fails here, naming it.
	if _, _, err := cfg.withDefaults(); err != nil {
		msg := strings.TrimPrefix(err.Error(), "proxy: ")
		return Config{}, errors.New(strings.ReplaceAll(msg, "backends[", "servers["))
	}
	return cfg, nil
}

func classicDuration(key, s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a duration (e.g. 2s or 500ms)", key, s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%s: %q is negative", key, s)
	}
	return d, nil
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// jsonType names what a field expects, for errors.
func jsonType(p any) string {
	switch p.(type) {
	case *string:
		return "a string"
	case *[]string:
		return "a list of strings"
	case *map[string]any:
		return "a JSON object"
	case *int:
		return "an integer"
	case *bool:
		return "true or false"
	}
	return "another value"
}

// numbersToFloats turns the json.Numbers of params into float64 (what the
// algorithms package's params accept for numbers), recursively.
func numbersToFloats(m map[string]any) (map[string]any, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		conv, err := numberToFloat(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = conv
	}
	return out, nil
}

func numberToFloat(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		return x.Float64()
	case map[string]any:
		return numbersToFloats(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := numberToFloat(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	return v, nil
}
