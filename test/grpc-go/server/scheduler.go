package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // IANA time zones without depending on the host's zoneinfo
	"unicode/utf8"

	"github.com/robfig/cron/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/k1s0/scheduler-client/test/grpc-go/server/gen/k1s0/system/scheduler/v1"
)

// The contract's limits (proto comments; the reference server's values where the proto leaves
// them to the server).
const (
	nameMaxRunes         = 200
	cronMaxLength        = 256
	maxRetriesMax        = 100
	timeoutSecsMax       = 86_400
	defaultTimeoutSecs   = 60
	payloadMaxBytes      = 1 << 20
	jobIDMaxLength       = 256
	pageSizeDefault      = 100
	pageSizeMax          = 1000
	oneShotPastTolerance = 5 * time.Second
	intervalMax          = 366 * 24 * time.Hour
	idempotencyWindow    = 24 * time.Hour
)

var (
	idempotencyKeyPattern = regexp.MustCompile(`^[\x21-\x7e]{1,128}$`)
	cronParser            = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
)

// scheduler serves SchedulerService from memory. Jobs never fire: statuses change only through
// Pause, Resume and Cancel, and no executions are recorded.
type scheduler struct {
	pb.UnimplementedSchedulerServiceServer
	now          func() time.Time
	maxPageBytes int

	mu          sync.Mutex
	jobs        map[string]*record
	order       []*record // creation order; index = seq
	idempotency map[string]idempotencyEntry
}

type record struct {
	seq  int
	job  *pb.Job
	cron cron.Schedule // cron schedules only
	loc  *time.Location
}

type idempotencyEntry struct {
	jobID       string
	fingerprint string
	at          time.Time
}

func newScheduler(now func() time.Time, maxPageBytes int) *scheduler {
	return &scheduler{
		now:          now,
		maxPageBytes: maxPageBytes,
		jobs:         map[string]*record{},
		idempotency:  map[string]idempotencyEntry{},
	}
}

// domainError is a gRPC status with the ErrorDetail of errors.proto attached.
func domainError(code codes.Code, reason pb.ErrorReason, field, format string, args ...any) error {
	st := status.New(code, fmt.Sprintf(format, args...))
	withDetail, err := st.WithDetails(&pb.ErrorDetail{Reason: reason, Field: field})
	if err != nil {
		return st.Err()
	}
	return withDetail.Err()
}

func invalidArgument(field, format string, args ...any) error {
	return domainError(codes.InvalidArgument, pb.ErrorReason_ERROR_REASON_INVALID_ARGUMENT, field, field+" "+format, args...)
}

func invalidSchedule(field, format string, args ...any) error {
	return domainError(codes.InvalidArgument, pb.ErrorReason_ERROR_REASON_INVALID_SCHEDULE, field, field+" "+format, args...)
}

func (s *scheduler) CreateJob(_ context.Context, req *pb.CreateJobRequest) (*pb.CreateJobResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	key := req.GetIdempotencyKey()
	if key != "" {
		if !idempotencyKeyPattern.MatchString(key) {
			return nil, invalidArgument("idempotencyKey", "must be 1 to 128 printable ASCII characters")
		}
		// Looked up before the other rules: a retry after a one-shot's time still gets its job.
		s.pruneIdempotency(now)
		if earlier, ok := s.idempotency[key]; ok {
			if earlier.fingerprint != fingerprint(req) {
				return nil, invalidArgument("idempotencyKey", "was already used for a different request")
			}
			return &pb.CreateJobResponse{Job: proto.CloneOf(s.jobs[earlier.jobID].job)}, nil
		}
	}
	r, err := s.create(req, now)
	if err != nil {
		return nil, err
	}
	if key != "" {
		s.idempotency[key] = idempotencyEntry{jobID: r.job.Id, fingerprint: fingerprint(req), at: now}
	}
	return &pb.CreateJobResponse{Job: proto.CloneOf(r.job)}, nil
}

// create validates a request and stores the job; the caller holds s.mu.
func (s *scheduler) create(req *pb.CreateJobRequest, now time.Time) (*record, error) {
	name := req.GetName()
	if strings.TrimSpace(name) == "" {
		return nil, invalidArgument("name", "must be a non-empty string")
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > nameMaxRunes {
		return nil, invalidArgument("name", "must be at most %d characters", nameMaxRunes)
	}
	maxRetries := req.GetMaxRetries()
	if maxRetries > maxRetriesMax {
		return nil, invalidArgument("maxRetries", "must be a whole number from 0 to %d, got %d", maxRetriesMax, maxRetries)
	}
	timeoutSecs := uint32(defaultTimeoutSecs)
	if req.TimeoutSecs != nil {
		timeoutSecs = req.GetTimeoutSecs()
	}
	if timeoutSecs < 1 || timeoutSecs > timeoutSecsMax {
		return nil, invalidArgument("timeoutSecs", "must be a whole number from 1 to %d, got %d", timeoutSecsMax, timeoutSecs)
	}
	r := &record{seq: len(s.order)}
	if err := r.setSchedule(req.GetSchedule(), now); err != nil {
		return nil, err
	}
	payload := req.GetPayloadJson()
	switch {
	case payload == "":
		return nil, invalidArgument("payload", "must not be empty (send \"null\" for no payload)")
	case len(payload) > payloadMaxBytes:
		return nil, invalidArgument("payload", "must be at most %d bytes as JSON, got %d", payloadMaxBytes, len(payload))
	case !utf8.ValidString(payload) || !json.Valid([]byte(payload)):
		return nil, invalidArgument("payload", "is not valid JSON")
	}
	r.job = &pb.Job{
		Id:          newUUID(),
		Name:        name,
		Schedule:    proto.CloneOf(req.GetSchedule()),
		Status:      pb.JobStatus_JOB_STATUS_PENDING,
		PayloadJson: payload,
		MaxRetries:  maxRetries,
		TimeoutSecs: timeoutSecs,
		CreatedAt:   timestamppb.New(now),
	}
	r.job.NextRunAt = r.nextRun(now)
	s.jobs[r.job.Id] = r
	s.order = append(s.order, r)
	return r, nil
}

// setSchedule checks a schedule (INVALID_SCHEDULE naming the field) and keeps what computing
// fire times needs.
func (r *record) setSchedule(sch *pb.Schedule, now time.Time) error {
	switch kind := sch.GetKind().(type) {
	case *pb.Schedule_Cron:
		expr := kind.Cron.GetExpression()
		trimmed := strings.TrimSpace(expr)
		if trimmed == "" {
			return invalidSchedule("schedule.expression", "must be a non-empty cron expression")
		}
		if len(expr) > cronMaxLength {
			return invalidSchedule("schedule.expression", "must be at most %d characters", cronMaxLength)
		}
		if n := len(strings.Fields(trimmed)); !strings.HasPrefix(trimmed, "@") && (n < 5 || n > 6) {
			return invalidSchedule("schedule.expression", "must have 5 fields (minute hour day month weekday) or 6 with leading seconds")
		}
		if strings.HasPrefix(trimmed, "@every") {
			return invalidSchedule("schedule.expression", "is not a cron expression (use an interval schedule)")
		}
		tz := kind.Cron.GetTimezone()
		if tz == "" {
			tz = "UTC"
		}
		loc, err := time.LoadLocation(tz)
		if err != nil || tz == "Local" {
			return invalidSchedule("schedule.timezone", "must be an IANA time zone such as \"Asia/Tokyo\", got %q", tz)
		}
		parsed, err := cronParser.Parse(trimmed)
		if err != nil {
			return invalidSchedule("schedule.expression", "is not a valid cron expression (%v)", err)
		}
		r.cron, r.loc = parsed, loc
		if parsed.Next(now.In(loc)).IsZero() {
			return invalidSchedule("schedule.expression", "never fires")
		}
	case *pb.Schedule_OneShot:
		at := kind.OneShot.GetRunAt()
		if at == nil {
			return invalidSchedule("schedule.runAt", "is required")
		}
		if err := at.CheckValid(); err != nil {
			return invalidSchedule("schedule.runAt", "is not a valid timestamp (%v)", err)
		}
		if at.AsTime().Before(now.Add(-oneShotPastTolerance)) {
			return invalidSchedule("schedule.runAt", "is in the past (now is %s)", now.UTC().Format(time.RFC3339Nano))
		}
	case *pb.Schedule_Interval:
		d := kind.Interval.GetInterval()
		if d == nil {
			return invalidSchedule("schedule.intervalMs", "is required")
		}
		if err := d.CheckValid(); err != nil || d.GetNanos()%1_000_000 != 0 || d.AsDuration() <= 0 || d.AsDuration() > intervalMax {
			return invalidSchedule("schedule.intervalMs", "must be a whole number of milliseconds from 1 to %d", intervalMax.Milliseconds())
		}
	default:
		return invalidSchedule("schedule", "must set one of cron, one_shot or interval")
	}
	return nil
}

// nextRun is the first fire after `after`: cron in its time zone, a one-shot at its time (at
// once if that passed), an interval anchored to the creation time.
func (r *record) nextRun(after time.Time) *timestamppb.Timestamp {
	switch kind := r.job.GetSchedule().GetKind().(type) {
	case *pb.Schedule_Cron:
		return timestamppb.New(r.cron.Next(after.In(r.loc)))
	case *pb.Schedule_OneShot:
		at := kind.OneShot.GetRunAt().AsTime()
		if at.Before(after) {
			at = after
		}
		return timestamppb.New(at)
	case *pb.Schedule_Interval:
		interval := kind.Interval.GetInterval().AsDuration()
		created := r.job.GetCreatedAt().AsTime()
		fires := after.Sub(created)/interval + 1
		return timestamppb.New(created.Add(fires * interval))
	}
	return nil
}

// fingerprint is what makes two create requests "the same" for an idempotency key: the request
// without its key and with the defaults spelled out.
func fingerprint(req *pb.CreateJobRequest) string {
	c := proto.CloneOf(req)
	c.IdempotencyKey = ""
	if c.MaxRetries == nil {
		c.MaxRetries = proto.Uint32(0)
	}
	if c.TimeoutSecs == nil {
		c.TimeoutSecs = proto.Uint32(defaultTimeoutSecs)
	}
	if cr := c.GetSchedule().GetCron(); cr != nil {
		cr.Expression = strings.Join(strings.Fields(cr.Expression), " ")
		if cr.Timezone == "" {
			cr.Timezone = "UTC"
		}
	}
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	return string(b)
}

func (s *scheduler) pruneIdempotency(now time.Time) {
	for key, e := range s.idempotency {
		if now.Sub(e.at) >= idempotencyWindow {
			delete(s.idempotency, key)
		}
	}
}

// find returns the job or JOB_NOT_FOUND; the caller holds s.mu.
func (s *scheduler) find(jobID string) (*record, error) {
	if jobID == "" || len(jobID) > jobIDMaxLength {
		return nil, invalidArgument("jobId", "must be a non-empty string of at most %d characters", jobIDMaxLength)
	}
	r, ok := s.jobs[jobID]
	if !ok {
		return nil, domainError(codes.NotFound, pb.ErrorReason_ERROR_REASON_JOB_NOT_FOUND, "jobId", "job %s not found", jobID)
	}
	return r, nil
}

func (s *scheduler) GetJob(_ context.Context, req *pb.GetJobRequest) (*pb.GetJobResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.find(req.GetJobId())
	if err != nil {
		return nil, err
	}
	return &pb.GetJobResponse{Job: proto.CloneOf(r.job)}, nil
}

type operation string

const (
	opPause  operation = "pause"
	opResume operation = "resume"
	opCancel operation = "cancel"
)

const noop = pb.JobStatus_JOB_STATUS_UNSPECIFIED

// transitions is the contract's status table: the status an operation moves a job to, noop,
// or absent (not allowed: FAILED_PRECONDITION with INVALID_STATE).
var transitions = map[pb.JobStatus]map[operation]pb.JobStatus{
	pb.JobStatus_JOB_STATUS_PENDING:   {opPause: pb.JobStatus_JOB_STATUS_PAUSED, opResume: noop, opCancel: pb.JobStatus_JOB_STATUS_CANCELLED},
	pb.JobStatus_JOB_STATUS_RUNNING:   {opPause: pb.JobStatus_JOB_STATUS_PAUSED, opResume: noop, opCancel: pb.JobStatus_JOB_STATUS_CANCELLED},
	pb.JobStatus_JOB_STATUS_PAUSED:    {opPause: noop, opResume: pb.JobStatus_JOB_STATUS_PENDING, opCancel: pb.JobStatus_JOB_STATUS_CANCELLED},
	pb.JobStatus_JOB_STATUS_COMPLETED: {},
	pb.JobStatus_JOB_STATUS_FAILED:    {},
	pb.JobStatus_JOB_STATUS_CANCELLED: {opCancel: noop},
}

func (s *scheduler) operate(jobID string, op operation) (*pb.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.find(jobID)
	if err != nil {
		return nil, err
	}
	to, allowed := transitions[r.job.Status][op]
	if !allowed {
		return nil, domainError(codes.FailedPrecondition, pb.ErrorReason_ERROR_REASON_INVALID_STATE, "jobId",
			"cannot %s job %s: it is %s", op, jobID, strings.ToLower(strings.TrimPrefix(r.job.Status.String(), "JOB_STATUS_")))
	}
	if to != noop {
		r.job.Status = to
		r.job.NextRunAt = nil
		if to == pb.JobStatus_JOB_STATUS_PENDING {
			r.job.NextRunAt = r.nextRun(s.now())
		}
	}
	return proto.CloneOf(r.job), nil
}

func (s *scheduler) PauseJob(_ context.Context, req *pb.PauseJobRequest) (*pb.PauseJobResponse, error) {
	job, err := s.operate(req.GetJobId(), opPause)
	if err != nil {
		return nil, err
	}
	return &pb.PauseJobResponse{Job: job}, nil
}

func (s *scheduler) ResumeJob(_ context.Context, req *pb.ResumeJobRequest) (*pb.ResumeJobResponse, error) {
	job, err := s.operate(req.GetJobId(), opResume)
	if err != nil {
		return nil, err
	}
	return &pb.ResumeJobResponse{Job: job}, nil
}

func (s *scheduler) CancelJob(_ context.Context, req *pb.CancelJobRequest) (*pb.CancelJobResponse, error) {
	job, err := s.operate(req.GetJobId(), opCancel)
	if err != nil {
		return nil, err
	}
	return &pb.CancelJobResponse{Job: job}, nil
}

func resolvePageSize(size int32) (int, error) {
	if size == 0 {
		return pageSizeDefault, nil
	}
	if size < 1 || size > pageSizeMax {
		return 0, invalidArgument("pageSize", "must be a whole number from 1 to %d, got %d", pageSizeMax, size)
	}
	return int(size), nil
}

// Page tokens are opaque: the position after which the next page starts, bound to what is
// listed (the scope) so a token cannot be replayed against another filter or job.
func encodePageToken(scope string, afterSeq int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(afterSeq) + "|" + scope))
}

// decodePageToken returns the position in the token, -1 for the empty (first-page) token.
func decodePageToken(token, scope string) (int, error) {
	if token == "" {
		return -1, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	seqText, tokenScope, found := strings.Cut(string(raw), "|")
	seq, convErr := strconv.Atoi(seqText)
	if err != nil || !found || convErr != nil || seq < 0 || tokenScope != scope {
		return 0, invalidArgument("pageToken", "is not a page token issued for this listing")
	}
	return seq, nil
}

func (s *scheduler) ListJobs(_ context.Context, req *pb.ListJobsRequest) (*pb.ListJobsResponse, error) {
	if _, known := pb.JobStatus_name[int32(req.GetStatus())]; !known {
		return nil, invalidArgument("filter.status", "is not a known JobStatus (%d)", req.GetStatus())
	}
	size, err := resolvePageSize(req.GetPageSize())
	if err != nil {
		return nil, err
	}
	scope := fmt.Sprintf("jobs:%d:%s", req.GetStatus(), req.GetNamePrefix())
	after, err := decodePageToken(req.GetPageToken(), scope)
	if err != nil {
		return nil, err
	}
	matches := func(r *record) bool {
		return (req.GetStatus() == pb.JobStatus_JOB_STATUS_UNSPECIFIED || r.job.Status == req.GetStatus()) &&
			strings.HasPrefix(r.job.Name, req.GetNamePrefix())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := &pb.ListJobsResponse{}
	bytes, last := 0, after
	for seq := after + 1; seq < len(s.order); seq++ {
		r := s.order[seq]
		if !matches(r) {
			continue
		}
		if len(resp.Jobs) == size {
			resp.NextPageToken = encodePageToken(scope, last)
			break
		}
		// Field tag, length prefix and the job: what the job adds to the encoded response.
		jobBytes := proto.Size(r.job) + 6
		if s.maxPageBytes > 0 && len(resp.Jobs) > 0 && bytes+jobBytes > s.maxPageBytes {
			resp.NextPageToken = encodePageToken(scope, last)
			break
		}
		resp.Jobs = append(resp.Jobs, proto.CloneOf(r.job))
		bytes += jobBytes
		last = seq
	}
	return resp, nil
}

func (s *scheduler) ListExecutions(_ context.Context, req *pb.ListExecutionsRequest) (*pb.ListExecutionsResponse, error) {
	s.mu.Lock()
	_, err := s.find(req.GetJobId())
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if _, err := resolvePageSize(req.GetPageSize()); err != nil {
		return nil, err
	}
	if _, err := decodePageToken(req.GetPageToken(), "executions:"+req.GetJobId()); err != nil {
		return nil, err
	}
	// Jobs never fire here, so there is no execution history: one empty, last page.
	return &pb.ListExecutionsResponse{}, nil
}

// seed creates n interval jobs named "seed-0000", ... whose payloads are about payloadBytes
// bytes of JSON each, through the same rules as CreateJob.
func (s *scheduler) seed(n, payloadBytes int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for i := 0; i < n; i++ {
		head := fmt.Sprintf(`{"seed":%d,"data":"`, i)
		filler := max(0, payloadBytes-len(head)-2)
		payload := head + strings.Repeat("x", filler) + `"}`
		req := &pb.CreateJobRequest{
			Name:        fmt.Sprintf("seed-%04d", i),
			Schedule:    &pb.Schedule{Kind: &pb.Schedule_Interval{Interval: &pb.IntervalSchedule{Interval: durationpb.New(time.Hour)}}},
			PayloadJson: payload,
		}
		if _, err := s.create(req, now); err != nil {
			return err
		}
	}
	return nil
}

// newUUID is a random version-4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
