package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/golang/protobuf/ptypes"
	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The one error shape of the merchant API, for every error the gateway answers:
//
//	{"error":{"code":"INVALID_ARGUMENT","http_status":400,"message":"...","field":"amount"}}
//
// code is the gRPC status name (google.rpc.Code), http_status the HTTP status of the response,
// field the request field at fault when the service named one (google.rpc.BadRequest).
type errorBody struct {
	Code       string `json:"code"`
	HTTPStatus int    `json:"http_status"`
	Message    string `json:"message"`
	Field      string `json:"field,omitempty"`
}

type errorEnvelope struct {
	Error errorBody `json:"error"`
}

// apiError is an error on its way to the client: its shape plus the headers that go with it.
type apiError struct {
	body       errorBody
	retryAfter time.Duration // > 0: a Retry-After header
}

var codeNames = map[codes.Code]string{
	codes.OK:                 "OK",
	codes.Canceled:           "CANCELLED",
	codes.Unknown:            "UNKNOWN",
	codes.InvalidArgument:    "INVALID_ARGUMENT",
	codes.DeadlineExceeded:   "DEADLINE_EXCEEDED",
	codes.NotFound:           "NOT_FOUND",
	codes.AlreadyExists:      "ALREADY_EXISTS",
	codes.PermissionDenied:   "PERMISSION_DENIED",
	codes.ResourceExhausted:  "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION",
	codes.Aborted:            "ABORTED",
	codes.OutOfRange:         "OUT_OF_RANGE",
	codes.Unimplemented:      "UNIMPLEMENTED",
	codes.Internal:           "INTERNAL",
	codes.Unavailable:        "UNAVAILABLE",
	codes.DataLoss:           "DATA_LOSS",
	codes.Unauthenticated:    "UNAUTHENTICATED",
}

func codeName(c codes.Code) string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return "UNKNOWN"
}

// newAPIError builds an error with the HTTP status that grpc-gateway maps the code to.
func newAPIError(c codes.Code, message string) *apiError {
	return &apiError{body: errorBody{
		Code:       codeName(c),
		HTTPStatus: runtime.HTTPStatusFromCode(c),
		Message:    message,
	}}
}

// withStatus overrides the HTTP status for the errors that have no gRPC code of their own
// (404 for an unknown route, 405, 413).
func (e *apiError) withStatus(httpStatus int) *apiError {
	e.body.HTTPStatus = httpStatus
	return e
}

// The services' auth interceptor answers a wrong x-aggpay-internal with UNAUTHENTICATED and
// this message (services/common/grpc/auth_interceptor.cc). That is the gateway's configuration
// at fault, never the merchant's credential: it becomes a 500 and an error in the log.
const internalCredentialMessage = "invalid internal credential"

func internalCredentialRefused(s *status.Status) bool {
	return s.Code() == codes.Unauthenticated && s.Message() == internalCredentialMessage
}

// fromStatus turns a gRPC status from a service into the client's error. Messages that could
// carry internal detail (addresses, stack traces) are replaced; the original is logged.
func fromStatus(s *status.Status, requestID string) *apiError {
	c := s.Code()
	msg := s.Message()
	if internalCredentialRefused(s) {
		log.Printf("ERROR a service refused the gateway's internal credential: check that "+
			"AGGPAY_INTERNAL_SECRET matches aggpayd's (request_id=%s)", requestID)
		c = codes.Internal
	}
	switch c {
	case codes.Unavailable:
		logInternal(requestID, s)
		msg = "the service is unavailable; try again shortly"
	case codes.DeadlineExceeded:
		logInternal(requestID, s)
		msg = "the service did not answer in time"
	case codes.Internal, codes.Unknown, codes.DataLoss:
		logInternal(requestID, s)
		c = codes.Internal
		msg = "internal error"
	case codes.Canceled:
		msg = "the request was cancelled"
	}
	if msg == "" {
		msg = http.StatusText(runtime.HTTPStatusFromCode(c))
	}
	e := newAPIError(c, msg)
	for _, d := range s.Details() {
		switch d := d.(type) {
		case *errdetails.BadRequest:
			if e.body.Field == "" {
				for _, v := range d.GetFieldViolations() {
					if v.GetField() != "" {
						e.body.Field = v.GetField()
						break
					}
				}
			}
		case *errdetails.RetryInfo:
			if d.GetRetryDelay() != nil {
				if delay, err := ptypes.Duration(d.GetRetryDelay()); err == nil && delay > 0 {
					e.retryAfter = delay
				}
			}
		}
	}
	if c == codes.ResourceExhausted && e.retryAfter <= 0 {
		e.retryAfter = time.Second
	}
	return e
}

func logInternal(requestID string, s *status.Status) {
	log.Printf("upstream error request_id=%s code=%s message=%q", requestID, codeName(s.Code()),
		s.Message())
}

// retryAfterSeconds rounds a delay up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int64 {
	secs := int64(math.Ceil(d.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return secs
}

func (e *apiError) write(w http.ResponseWriter) {
	h := w.Header()
	h.Del("Trailer")
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if e.retryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(retryAfterSeconds(e.retryAfter), 10))
	}
	if e.body.HTTPStatus == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", authScheme)
	}
	buf, err := json.Marshal(errorEnvelope{Error: e.body})
	if err != nil {
		// Cannot happen for this struct; keep the shape anyway.
		buf = []byte(`{"error":{"code":"INTERNAL","http_status":500,"message":"internal error"}}`)
		e.body.HTTPStatus = http.StatusInternalServerError
	}
	w.WriteHeader(e.body.HTTPStatus)
	_, _ = w.Write(append(buf, '\n'))
}

// protoErrorHandler is grpc-gateway's error hook (runtime.WithProtoErrorHandler). It gets the
// errors of the services and grpc-gateway's own: no route, wrong method, a body or query that
// does not parse.
func protoErrorHandler(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler,
	w http.ResponseWriter, r *http.Request, err error) {
	info := requestInfoFrom(r.Context())
	s, ok := status.FromError(err)
	if !ok {
		s = status.New(codes.Unknown, err.Error())
	}
	md, fromHandler := runtime.ServerMetadataFromContext(ctx)
	if info.signed != nil {
		// aggpayd's verdict on the signed request first: a refusal is answered as before.
		if e := info.signed.verdict(r.Context(), info, md, fromHandler, s); e != nil {
			e.write(w)
			return
		}
	}
	// grpc-gateway v1.6.4's ServeMux reports an unknown route and a wrong method as
	// UNIMPLEMENTED with the HTTP status text as the message, before any handler ran (so without
	// server metadata in the context). A service's own UNIMPLEMENTED always comes through a
	// handler and keeps its 501.
	if !fromHandler && s.Code() == codes.Unimplemented {
		if s.Message() == http.StatusText(http.StatusMethodNotAllowed) {
			newAPIError(codes.Unimplemented,
				fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path)).
				withStatus(http.StatusMethodNotAllowed).write(w)
			return
		}
		newAPIError(codes.NotFound, fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path)).
			write(w)
		return
	}
	fromStatus(s, info.requestID).write(w)
}
