// Package external runs a load-balancing strategy written in any language
// as a child process, behind the algorithms.Balancer contract, so that a
// researcher can try a strategy in both engines without writing Go. Package
// algorithms stays pure (no I/O, no goroutines), which is why this lives
// outside it.
//
// The engine and the process speak a line protocol over the process's stdin
// and stdout, one JSON object per line (PROTOCOL.md is the specification):
//
//	engine -> process  {"type":"init","version":1,"seed":S,"params":{...}}
//	process -> engine  {"type":"hello","name":"...","version":1}
//	engine -> process  {"type":"update","now":NS,"backends":[{"id":0,"name":"web-0","weight":1,"healthy":true},...]}
//	engine -> process  {"type":"started","id":N,"now":NS}
//	engine -> process  {"type":"finished","id":N,"now":NS,"latency":NS,"ok":true}
//	engine -> process  {"type":"pick","now":NS,"key":"<uint64 in decimal>"}
//	process -> engine  {"id":N} | {"none":true} | {"error":"..."}
//
// Only a pick is answered. The engine buffers update, started and finished
// and writes them with the next pick, so a pick costs one write and one
// read. The seed comes from the rand.Source given to New, so a
// deterministic strategy makes the same choices for the same seed.
//
// Nothing the process does can hang the engine: reads and writes on the
// pipes have deadlines (PickTimeout). Any failure (the process exits,
// answers garbage, answers an id that is out of range, not listed or
// unhealthy, is too slow, never says hello) kills the process and makes
// every later Pick fail at once with the same error, which wraps
// ErrStrategy and names the command and what happened. Only a {"none":true}
// answer gives algorithms.ErrNoBackend.
//
// python/fulcrum_strategy.py is a stdlib-only Python client library and
// python/least_loaded.py a worked example.
package external
