// Command k1s0-bench-go-client is the grpc-go reference client of the bench's transport suite
// (bench/suites/transport.ts): the same three calls as the TypeScript clients, on grpc-go with the
// generated code of test/grpc-go/server/gen, in its own process.
//
// Protocol with the bench: it takes the server address as its only argument and prints "READY"
// once connected. Each line "<method> <inFlight> <durationMs> <pageSize> <jobId>" on stdin
// (method: getJob, createJob or listJobs) runs a closed loop of inFlight goroutines calling it
// for durationMs and answers one JSON line {"calls", "elapsedMs", "cpuUs", "p50Ms"}, where cpuUs
// is the process's user+system CPU time over the loop (getrusage). It exits when stdin closes.
// Run it with GOMAXPROCS=1 (the bench does): one core, as a Node.js event loop has.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/k1s0/scheduler-client/test/grpc-go/server/gen/k1s0/system/scheduler/v1"
)

const callTimeout = 10 * time.Second

type result struct {
	Calls     int     `json:"calls"`
	ElapsedMs float64 `json:"elapsedMs"`
	CPUUs     float64 `json:"cpuUs"`
	P50Ms     float64 `json:"p50Ms"`
}

func cpuUs() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e3
}

func newKey() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// invoke makes one call of method; for listJobs, every page of the listing.
func invoke(client pb.SchedulerServiceClient, method string, pageSize int32, jobID string) error {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	switch method {
	case "getJob":
		_, err := client.GetJob(ctx, &pb.GetJobRequest{JobId: jobID})
		return err
	case "createJob":
		maxRetries, timeoutSecs := uint32(3), uint32(60)
		_, err := client.CreateJob(ctx, &pb.CreateJobRequest{
			Name:           "bench-report",
			Schedule:       &pb.Schedule{Kind: &pb.Schedule_Interval{Interval: &pb.IntervalSchedule{Interval: durationpb.New(time.Hour)}}},
			PayloadJson:    `{"reportId":42,"format":"pdf"}`,
			MaxRetries:     &maxRetries,
			TimeoutSecs:    &timeoutSecs,
			IdempotencyKey: newKey(),
		})
		return err
	case "listJobs":
		token := ""
		for {
			res, err := client.ListJobs(ctx, &pb.ListJobsRequest{PageSize: pageSize, PageToken: token})
			if err != nil {
				return err
			}
			if token = res.GetNextPageToken(); token == "" {
				return nil
			}
		}
	}
	return fmt.Errorf("unknown method %q", method)
}

func run(client pb.SchedulerServiceClient, method string, inFlight int, duration time.Duration, pageSize int32, jobID string) (result, error) {
	var mu sync.Mutex
	var latencies []float64
	var firstErr error
	cpu0 := cpuUs()
	start := time.Now()
	end := start.Add(duration)
	var wg sync.WaitGroup
	for i := 0; i < inFlight; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []float64
			for time.Now().Before(end) {
				t0 := time.Now()
				if err := invoke(client, method, pageSize, jobID); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				mine = append(mine, float64(time.Since(t0).Nanoseconds())/1e6)
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := cpuUs() - cpu0
	if firstErr != nil {
		return result{}, firstErr
	}
	if len(latencies) == 0 {
		return result{}, fmt.Errorf("no call completed")
	}
	sort.Float64s(latencies)
	rank := (len(latencies)+1)/2 - 1
	return result{Calls: len(latencies), ElapsedMs: float64(elapsed.Nanoseconds()) / 1e6, CPUUs: cpu, P50Ms: latencies[rank]}, nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: k1s0-bench-go-client host:port")
		os.Exit(2)
	}
	conn, err := grpc.NewClient(os.Args[1], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer conn.Close()
	conn.Connect()
	client := pb.NewSchedulerServiceClient(conn)
	fmt.Println("READY")
	in := bufio.NewScanner(os.Stdin)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) != 5 {
			fmt.Fprintf(os.Stderr, "k1s0-bench-go-client: bad command %q\n", in.Text())
			os.Exit(2)
		}
		inFlight, err1 := strconv.Atoi(f[1])
		ms, err2 := strconv.Atoi(f[2])
		pageSize, err3 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil || err3 != nil {
			fmt.Fprintf(os.Stderr, "k1s0-bench-go-client: bad numbers in %q\n", in.Text())
			os.Exit(2)
		}
		res, err := run(client, f[0], inFlight, time.Duration(ms)*time.Millisecond, int32(pageSize), f[4])
		if err != nil {
			fmt.Fprintf(os.Stderr, "k1s0-bench-go-client: %s failed: %v\n", f[0], err)
			os.Exit(1)
		}
		if err := out.Encode(res); err != nil {
			os.Exit(1)
		}
	}
}
