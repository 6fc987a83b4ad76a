// Command echo is the smallest strategy that speaks the protocol: it says
// hello and answers every pick with backend 0, ignoring everything else.
// BenchmarkPickGoEcho builds it to measure the protocol's own cost.
package main

import (
	"bufio"
	"bytes"
	"os"
)

func main() {
	in := bufio.NewReaderSize(os.Stdin, 64<<10)
	out := bufio.NewWriter(os.Stdout)
	if _, err := in.ReadSlice('\n'); err != nil {
		return
	}
	out.WriteString(`{"type":"hello","name":"echo","version":1}` + "\n")
	out.Flush()
	pick := []byte(`"type":"pick"`)
	for {
		line, err := in.ReadSlice('\n')
		if err != nil {
			return
		}
		if bytes.Contains(line, pick) {
			out.WriteString(`{"id":0}` + "\n")
			out.Flush()
		}
	}
}
