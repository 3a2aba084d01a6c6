// Goroutines that spin, recurse and allocate, so their stacks grow and the runtime moves them and collects
// garbage while a sampler copies them: what a Go program looks like to a native profiler.
//
//	goroutines COUNT SECONDS    COUNT goroutines for SECONDS, then exits with status 0
package main

import (
	"os"
	"strconv"
	"sync"
	"time"
)

var sink []byte

//go:noinline
func churn(depth int) int {
	if depth == 0 {
		buffer := make([]byte, 4096)
		sink = buffer
		return len(buffer)
	}
	var pad [256]byte
	pad[depth%256] = byte(depth)
	return churn(depth-1) + int(pad[depth%256])
}

func main() {
	count, _ := strconv.Atoi(os.Args[1])
	seconds, _ := strconv.ParseFloat(os.Args[2], 64)
	deadline := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	var group sync.WaitGroup
	for i := 0; i < count; i++ {
		group.Add(1)
		go func(i int) {
			defer group.Done()
			for round := 0; time.Now().Before(deadline); round++ {
				churn(1 + (round*7+i)%200)
			}
		}(i)
	}
	group.Wait()
}
