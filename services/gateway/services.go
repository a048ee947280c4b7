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
	name string
	// The proto file that declares it: the gateway checks its public routes against it.
	file     string
	register func(context.Context, *runtime.ServeMux, string, []grpc.DialOption) error
}

// Every service whose protos carry google.api.http rules, one line each. build.sh stops the
// build when generated code registers a service that is missing here.
var restServices = []restService{
	{"merchant", "aggpay/v1/merchant.proto", aggpayv1.RegisterMerchantServiceHandlerFromEndpoint},
	{"fee", "aggpay/v1/fee.proto", aggpayv1.RegisterFeeServiceHandlerFromEndpoint},
	{"terminal", "aggpay/v1/terminal.proto", aggpayv1.RegisterTerminalServiceHandlerFromEndpoint},
	{"binding", "aggpay/v1/binding.proto", aggpayv1.RegisterBindingServiceHandlerFromEndpoint},
	{"payment", "aggpay/v1/payment.proto", aggpayv1.RegisterPaymentServiceHandlerFromEndpoint},
	{"risk", "aggpay/v1/risk.proto", aggpayv1.RegisterRiskServiceHandlerFromEndpoint},
	{"settlement", "aggpay/v1/settlement.proto", aggpayv1.RegisterSettlementServiceHandlerFromEndpoint},
	{"admin", "aggpay/v1/admin.proto", aggpayv1.RegisterAdminServiceHandlerFromEndpoint},
}
