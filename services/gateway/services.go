package main

import (
	"context"

	aggpayv1 "aggpay/gen/aggpay/v1"

	"github.com/grpc-ecosystem/grpc-gateway/runtime"
	"google.golang.org/grpc"
)

// restService is one aggpay gRPC service with google.api.http rules.
type restService struct {
	// The service's short name: its address comes from --<name>-addr, or --grpc-addr.
	name     string
	register func(context.Context, *runtime.ServeMux, string, []grpc.DialOption) error
}

// Every service whose protos carry google.api.http rules, one line each. build.sh stops the
// build when generated code registers a service that is missing here.
var restServices = []restService{
	{"merchant", aggpayv1.RegisterMerchantServiceHandlerFromEndpoint},
	{"fee", aggpayv1.RegisterFeeServiceHandlerFromEndpoint},
	{"terminal", aggpayv1.RegisterTerminalServiceHandlerFromEndpoint},
	{"binding", aggpayv1.RegisterBindingServiceHandlerFromEndpoint},
}
