// Command k1s0-scheduler-go-server is a small in-memory implementation of the k1s0
// SchedulerService (proto/k1s0/system/scheduler/v1) on grpc-go, written independently of the
// TypeScript package so that the client's tests run against a gRPC peer nobody here wrote.
//
// It keeps jobs in memory and applies the contract's rules (validation, status transitions,
// idempotency keys, paging, ErrorDetail on every domain error); it never fires jobs, so
// ListExecutions answers empty pages. Transport behaviour is set by flags ("knobs"):
//
//	--port N                      0 picks a free port
//	--max-connection-age D        keepalive.ServerParameters.MaxConnectionAge (GOAWAY), 0 = never
//	--max-connection-age-grace D  keepalive.ServerParameters.MaxConnectionAgeGrace, 0 = forever
//	--max-concurrent-streams N    grpc.MaxConcurrentStreams, 0 = grpc-go's default (unlimited)
//	--keepalive-min-time D        keepalive.EnforcementPolicy.MinTime (grpc-go's default 5m)
//	--keepalive-permit-without-stream  keepalive.EnforcementPolicy.PermitWithoutStream (default false)
//	--gzip                        answer gzip-compressed when the client accepts gzip
//	--delay D                     wait D before answering each call (the call's deadline still applies)
//	--delay-methods M,N           only delay these methods (e.g. GetJob); default all
//	--seed-jobs N --payload-bytes B  create N jobs with payloads of about B bytes at start-up
//	--max-page-bytes B            server-side byte budget of a ListJobs page, 0 = none
//
// Protocol with the process that started it: the first line on stdout is "LISTENING <port>",
// written once the server accepts connections. Each line "stats" read from stdin is answered
// with one line "STATS <json>" on stdout (counters: calls per method, results per status code,
// connections, HTTP/2 GOAWAY / RST_STREAM frames sent and PINGs received). The server stops when
// stdin reaches end of file (so it never outlives its parent), on SIGTERM or SIGINT; it then
// writes "FINAL STATS <json>" to stderr.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"

	pb "github.com/k1s0/scheduler-client/test/grpc-go/server/gen/k1s0/system/scheduler/v1"
)

type config struct {
	host                         string
	port                         int
	maxConnectionAge             time.Duration
	maxConnectionAgeGrace        time.Duration
	maxConcurrentStreams         uint
	keepaliveMinTime             time.Duration
	keepalivePermitWithoutStream bool
	gzip                         bool
	delay                        time.Duration
	delayMethods                 map[string]bool
	seedJobs                     int
	payloadBytes                 int
	maxPageBytes                 int
	stdinControl                 bool
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("k1s0-scheduler-go-server", flag.ContinueOnError)
	fs.StringVar(&c.host, "host", "127.0.0.1", "address to listen on")
	fs.IntVar(&c.port, "port", 0, "port to listen on; 0 picks a free one (printed as LISTENING <port>)")
	fs.DurationVar(&c.maxConnectionAge, "max-connection-age", 0, "keepalive.ServerParameters.MaxConnectionAge: GOAWAY after this long; 0 = never")
	fs.DurationVar(&c.maxConnectionAgeGrace, "max-connection-age-grace", 0, "keepalive.ServerParameters.MaxConnectionAgeGrace; 0 = forever")
	fs.UintVar(&c.maxConcurrentStreams, "max-concurrent-streams", 0, "grpc.MaxConcurrentStreams (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS); 0 = grpc-go's default")
	fs.DurationVar(&c.keepaliveMinTime, "keepalive-min-time", 5*time.Minute, "keepalive.EnforcementPolicy.MinTime: client PINGs more often than this are strikes (grpc-go's default: 5m)")
	fs.BoolVar(&c.keepalivePermitWithoutStream, "keepalive-permit-without-stream", false, "keepalive.EnforcementPolicy.PermitWithoutStream (grpc-go's default: false)")
	fs.BoolVar(&c.gzip, "gzip", false, "compress responses with gzip when the client accepts it (grpc.SetSendCompressor)")
	fs.DurationVar(&c.delay, "delay", 0, "wait this long before answering each call, or until the call's deadline")
	delayMethods := fs.String("delay-methods", "", "comma-separated methods --delay applies to (e.g. GetJob,ListJobs); empty = all")
	fs.IntVar(&c.seedJobs, "seed-jobs", 0, "jobs to create at start-up")
	fs.IntVar(&c.payloadBytes, "payload-bytes", 0, "approximate payload size of each seeded job, in bytes")
	fs.IntVar(&c.maxPageBytes, "max-page-bytes", 0, "byte budget of a ListJobs page (at least one job per page); 0 = none")
	fs.BoolVar(&c.stdinControl, "stdin-control", true, "read commands from stdin and stop at its end of file")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if *delayMethods != "" {
		c.delayMethods = map[string]bool{}
		for _, m := range strings.Split(*delayMethods, ",") {
			if pb.File_k1s0_system_scheduler_v1_scheduler_service_proto.Services().Get(0).Methods().ByName(protoreflect.Name(m)) == nil {
				return c, fmt.Errorf("--delay-methods: %q is not a SchedulerService method", m)
			}
			c.delayMethods[m] = true
		}
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if c.seedJobs < 0 || c.payloadBytes < 0 || c.maxPageBytes < 0 || c.delay < 0 {
		return c, fmt.Errorf("--seed-jobs, --payload-bytes, --max-page-bytes and --delay must not be negative")
	}
	return c, nil
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "k1s0-scheduler-go-server:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	counters := newCounters()
	svc := newScheduler(time.Now, cfg.maxPageBytes)
	if err := svc.seed(cfg.seedJobs, cfg.payloadBytes); err != nil {
		return fmt.Errorf("seeding jobs: %w", err)
	}

	sp := keepalive.ServerParameters{}
	if cfg.maxConnectionAge > 0 {
		sp.MaxConnectionAge = cfg.maxConnectionAge
	}
	if cfg.maxConnectionAgeGrace > 0 {
		sp.MaxConnectionAgeGrace = cfg.maxConnectionAgeGrace
	}
	opts := []grpc.ServerOption{
		grpc.KeepaliveParams(sp),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime:             cfg.keepaliveMinTime,
			PermitWithoutStream: cfg.keepalivePermitWithoutStream,
		}),
		grpc.ChainUnaryInterceptor(countCalls(counters), compressResponses(cfg.gzip, counters), delayAnswers(cfg.delay, cfg.delayMethods)),
	}
	if cfg.maxConcurrentStreams > 0 {
		opts = append(opts, grpc.MaxConcurrentStreams(uint32(cfg.maxConcurrentStreams)))
	}
	srv := grpc.NewServer(opts...)
	pb.RegisterSchedulerServiceServer(srv, svc)

	lis, err := net.Listen("tcp", net.JoinHostPort(cfg.host, strconv.Itoa(cfg.port)))
	if err != nil {
		return err
	}
	out := &lineWriter{w: os.Stdout}
	out.printf("LISTENING %d\n", lis.Addr().(*net.TCPAddr).Port)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(&sniffingListener{Listener: lis, c: counters}) }()

	stop := make(chan string, 2)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() { stop <- (<-sigs).String() }()
	if cfg.stdinControl {
		go readCommands(os.Stdin, out, counters, stop)
	}

	var reason string
	select {
	case reason = <-stop:
	case err := <-served:
		return err
	}
	// Calls in flight get a moment to finish; a delayed call does not hold the exit up.
	done := make(chan struct{})
	go func() { srv.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		srv.Stop()
	}
	fmt.Fprintf(os.Stderr, "FINAL STATS %s (stopped: %s)\n", counters.json(), reason)
	return nil
}

// readCommands serves the stdin protocol until end of file.
func readCommands(in io.Reader, out *lineWriter, c *counters, stop chan<- string) {
	scanner := bufio.NewScanner(in)
	for scanner.Scan() {
		switch scanner.Text() {
		case "stats":
			out.printf("STATS %s\n", c.json())
		case "reset":
			c.reset()
			out.printf("RESET\n")
		case "":
		default:
			out.printf("ERROR unknown command %q\n", scanner.Text())
		}
	}
	stop <- "stdin closed"
}

type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format, args...)
}

// countCalls counts each call that reaches the server's handlers, and its result.
func countCalls(c *counters) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		c.call(methodName(info))
		resp, err := handler(ctx, req)
		c.result(status.Code(err).String())
		return resp, err
	}
}

// methodName is the short name of the called method ("GetJob").
func methodName(info *grpc.UnaryServerInfo) string {
	return strings.TrimPrefix(info.FullMethod, "/"+pb.SchedulerService_ServiceDesc.ServiceName+"/")
}

// compressResponses makes the response gzip-compressed when on and the client accepts gzip.
func compressResponses(on bool, c *counters) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if !on {
			return handler(ctx, req)
		}
		compressed := grpc.SetSendCompressor(ctx, gzip.Name) == nil
		resp, err := handler(ctx, req)
		if compressed && err == nil {
			c.gzipResponse()
		}
		return resp, err
	}
}

// delayAnswers waits before the handler runs (for the methods in `only`, or all when it is
// nil); a call whose deadline passes first fails with DEADLINE_EXCEEDED (CANCELLED when the
// client cancels it).
func delayAnswers(d time.Duration, only map[string]bool) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if d > 0 && (only == nil || only[methodName(info)]) {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, status.FromContextError(ctx.Err()).Err()
			}
		}
		return handler(ctx, req)
	}
}

// counters are the figures reported by "stats".
type counters struct {
	mu                sync.Mutex
	calls             map[string]int64
	results           map[string]int64
	connectionsOpened int64
	connectionsClosed int64
	gzipResponses     int64
	goAwaysSent       map[string]int64
	rstStreamsSent    map[string]int64
	pingsReceived     int64
}

func newCounters() *counters {
	c := &counters{}
	c.reset()
	return c
}

func (c *counters) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = map[string]int64{}
	c.results = map[string]int64{}
	c.goAwaysSent = map[string]int64{}
	c.rstStreamsSent = map[string]int64{}
	c.connectionsOpened, c.connectionsClosed, c.gzipResponses, c.pingsReceived = 0, 0, 0, 0
}

func (c *counters) call(method string) {
	c.mu.Lock()
	c.calls[method]++
	c.mu.Unlock()
}

func (c *counters) result(code string) {
	c.mu.Lock()
	c.results[code]++
	c.mu.Unlock()
}

func (c *counters) gzipResponse() {
	c.mu.Lock()
	c.gzipResponses++
	c.mu.Unlock()
}

func (c *counters) connection(opened bool) {
	c.mu.Lock()
	if opened {
		c.connectionsOpened++
	} else {
		c.connectionsClosed++
	}
	c.mu.Unlock()
}

func (c *counters) frameSent(kind string, detail string) {
	c.mu.Lock()
	switch kind {
	case "GOAWAY":
		c.goAwaysSent[detail]++
	case "RST_STREAM":
		c.rstStreamsSent[detail]++
	}
	c.mu.Unlock()
}

func (c *counters) pingReceived() {
	c.mu.Lock()
	c.pingsReceived++
	c.mu.Unlock()
}

func (c *counters) json() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var total int64
	for _, n := range c.calls {
		total += n
	}
	b, _ := json.Marshal(map[string]any{
		"calls":             c.calls,
		"totalCalls":        total,
		"results":           c.results,
		"connectionsOpened": c.connectionsOpened,
		"connectionsClosed": c.connectionsClosed,
		"gzipResponses":     c.gzipResponses,
		"goAwaysSent":       c.goAwaysSent,
		"rstStreamsSent":    c.rstStreamsSent,
		"pingsReceived":     c.pingsReceived,
	})
	return string(b)
}
